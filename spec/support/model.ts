/**
 * Random machine models for property tests: a schema of 10–30 states with random relations and flags, handler
 * reactions (a State handler adding another state) and a sequence of mutations.
 */
import fc from 'fast-check'
import type { StateDef } from '../../lib/machine/index.js'

export interface Model {
  defs: Record<string, StateDef<string>>
  /** state index → state index to add from its State handler (queued mutation) */
  reactions: Array<[number, number]>
  steps: Array<{ op: 'add' | 'remove' | 'set' | 'toggle'; states: number[] }>
}

export const modelArb: fc.Arbitrary<Model> = fc.integer({ min: 10, max: 30 }).chain((n) => {
  const idx = fc.integer({ min: 0, max: n - 1 })
  const few = (max: number): fc.Arbitrary<number[]> => fc.uniqueArray(idx, { maxLength: max })
  const stateArb = fc.record({
    require: fc.oneof(fc.constant([] as number[]), few(2)),
    remove: fc.oneof(fc.constant([] as number[]), few(3)),
    add: fc.oneof(fc.constant([] as number[]), few(2)),
    after: fc.oneof(fc.constant([] as number[]), few(2)),
    auto: fc.integer({ min: 0, max: 9 }).map((x) => x < 2),
    multi: fc.integer({ min: 0, max: 9 }).map((x) => x < 2),
  })
  return fc.record({
    states: fc.array(stateArb, { minLength: n, maxLength: n }),
    reactions: fc.array(fc.tuple(idx, idx), { maxLength: 4 }),
    steps: fc.array(
      fc.record({ op: fc.constantFrom('add' as const, 'remove' as const, 'set' as const, 'toggle' as const), states: few(3) }),
      { minLength: 1, maxLength: 40 },
    ),
  }).map(({ states, reactions, steps }) => {
    const name = (i: number): string => `S${i}`
    const defs: Record<string, StateDef<string>> = {}
    states.forEach((s, i) => {
      const remove = s.remove.filter((x) => !s.require.includes(x))
      defs[name(i)] = {
        ...(s.require.length > 0 && { require: s.require.map(name) }),
        ...(remove.length > 0 && { remove: remove.map(name) }),
        ...(s.add.length > 0 && { add: s.add.map(name) }),
        ...(s.after.length > 0 && { after: s.after.map(name) }),
        ...(s.auto && { auto: true }),
        ...(s.multi && { multi: true }),
      }
    })
    return { defs, reactions, steps }
  })
})
