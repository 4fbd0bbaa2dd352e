/**
 * Property test: random schemas (10–30 states, random relations and flags) driven by random mutation sequences,
 * some mutations issued from handlers. After every idle mutation the machine's invariants must hold.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Machine, schema, type Event, type StateDef, type Schema } from '../../lib/machine/index.js'
import { type Model, modelArb } from '../support/model.js'

function run(model: Model): void {
  const ss = schema(model.defs as never) as unknown as Schema<string>
  const names = ss.names as readonly string[]
  let budget = 0
  const handlers: Record<string, (e: Event) => void> = {}
  for (const [from, to] of model.reactions) {
    const prev = handlers[`S${from}State`]
    handlers[`S${from}State`] = (e) => {
      prev?.(e)
      // bounded: reactions may ping-pong forever otherwise
      if (budget-- > 0) e.machine.add(`S${to}`)
    }
  }
  const m = new Machine(ss as never, { handlers }) as Machine<string>
  let last = m.time()
  for (const step of model.steps) {
    budget = 20
    const states = step.states.map((i) => `S${i}`)
    m[step.op](states)
    const time = m.time()
    const active = new Set(m.activeStates)
    // the queue drained before the idle call returned
    expect(m.queueLen).toBe(0)
    names.forEach((s, i) => {
      // odd tick ⇔ active; ticks never decrease
      expect((time[i] as number) % 2 === 1, `${s} tick ${time[i]}`).toBe(active.has(s))
      expect(time[i] as number).toBeGreaterThanOrEqual(last[i] as number)
    })
    expect(active.size).toBe(m.activeStates.length)
    for (const s of active) {
      const def = ss.states[s as 'Exception'] as StateDef<string>
      // every active state's require is active
      for (const r of def.require ?? []) expect(active.has(r), `${s} requires ${r}; ${m.toString()}`).toBe(true)
      // no two active states that remove each other, unless one adds the other. (One-way removes can coexist via
      // asyncmachine-go's second Add pass, which may re-add a state that was blocked.)
      for (const r of def.remove ?? []) {
        const other = ss.states[r as 'Exception'] as StateDef<string>
        const added = (def.add?.includes(r) ?? false) || (other.add?.includes(s) ?? false)
        const mutual = other.remove?.includes(s) ?? false
        if (mutual && !added) expect(active.has(r), `${s} and ${r} remove each other; ${m.toString()}`).toBe(false)
      }
    }
    last = time
  }
}

describe('property: invariants over random schemas and mutations', () => {
  it('holds after every mutation', () => {
    fc.assert(fc.property(modelArb, (model) => run(model)), { numRuns: Number(process.env.PROP_RUNS ?? 300) })
  })
})
