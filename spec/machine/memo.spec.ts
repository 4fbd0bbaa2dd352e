/**
 * The resolution memo (lib/machine/memo.ts): machines whose schema remembers resolutions must behave exactly like
 * machines that compute every one, including when several machines share the remembered (read-only) lists, when
 * handlers cancel or partially accept transitions, and when the memo turns itself off for workloads that do not
 * repeat.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LogLevel, Machine, schema, type Event, type TransitionInfo, type Schema } from '../../lib/machine/index.js'
import { internals } from '../../lib/machine/internals.js'
import { MEMO_BYPASS, MEMO_CAPACITY, MEMO_WINDOW, type ResolutionMemo } from '../../lib/machine/memo.js'
import { type Model, modelArb } from '../support/model.js'

type AnySchema = Schema<string>

function memoOf(m: Machine<string>): ResolutionMemo {
  return internals(m).resolver.memo
}

function describeTx(tx: TransitionInfo): string {
  const auto = tx.isAuto ? ':auto' : ''
  return `${tx.type}${auto} ${tx.calledStates.join(',')} ${tx.accepted} before=${tx.statesBefore.join(',')} ` +
    `T=${tx.targetStates.join(',')} +${tx.enters.join(',')} -${tx.exits.join(',')} ${tx.timeAfter.join(',')}`
}

/** A machine of the model, recording every transition it ends; handlers only when `withHandlers`. */
function driven(ss: AnySchema, model: Model, withHandlers: boolean) {
  const log: string[] = []
  let budget = 0
  let enters = 0
  let finals = 0
  const handlers: Record<string, (e: Event) => unknown> = {}
  if (withHandlers) {
    for (const [from, to] of model.reactions) {
      const prev = handlers[`S${from}State`]
      handlers[`S${from}State`] = (e) => {
        prev?.(e)
        // Every fifth call throws: the transition is rolled back and Exception added.
        if (finals++ % 5 === 4) throw new Error('boom')
        if (budget-- > 0) e.machine.add(`S${to}`)
      }
    }
    // Every third Enter call cancels: negotiation cancels plain transitions and partially accepts auto ones.
    for (const [from] of model.reactions) handlers[`S${from}Enter`] = () => enters++ % 3 !== 0
  }
  const kept: TransitionInfo[] = []
  const tracer = {
    transitionEnd(tx: TransitionInfo) {
      log.push(describeTx(tx))
      kept.push(tx)
    },
  }
  const m = new Machine(ss as never, withHandlers ? { handlers, tracers: [tracer] } : {}) as Machine<string>
  return {
    m,
    log,
    kept,
    step(op: Model['steps'][number]['op'], states: string[]) {
      budget = 20
      m[op](states)
    },
  }
}

/** Runs the model's steps twice (the second pass repeats situations, so the memo answers) on three machines. */
interface Variant {
  withHandlers: boolean
  /** Every situation hashes alike: only the full comparison of an entry tells them apart. */
  collide?: boolean
  /** Tiny limits: the memo restarts, switches off and on again all the time. */
  tiny?: boolean
}

/** Resolutions the tiny-limit runs computed while their memo was off: proof that those runs reach that path. */
let tinyBypassed = 0

function compare(model: Model, { withHandlers, collide = false, tiny = false }: Variant): void {
  const remembering = schema(model.defs as never) as unknown as AnySchema
  const computing = schema(model.defs as never) as unknown as AnySchema
  const a = driven(remembering, model, withHandlers)
  const b = driven(remembering, model, withHandlers)
  const ref = driven(computing, model, withHandlers)
  memoOf(ref.m).enabled = false
  if (collide) memoOf(a.m).key = () => 1
  if (tiny) memoOf(a.m).setLimits({ capacity: 6, window: 8, bypass: 8, bypassMax: 32 })
  for (let pass = 0; pass < 2; pass++) {
    for (const { op, states } of model.steps) {
      const names = states.map((i) => `S${i}`)
      for (const x of [a, b, ref]) x.step(op, names)
      const want = ref.m.time()
      expect(a.m.time()).toEqual(want)
      expect(b.m.time()).toEqual(want)
      expect(a.m.activeStates).toEqual(ref.m.activeStates)
      expect(b.m.activeStates).toEqual(ref.m.activeStates)
    }
  }
  expect(a.log).toEqual(ref.log)
  expect(b.log).toEqual(ref.log)
  // Records may share a memo entry's lists, or copy a machine's reused buffers: read long after, they still tell
  // what they told at the time.
  for (const x of [a, b, ref]) expect(x.kept.map(describeTx)).toEqual(x.log)
  if (tiny) tinyBypassed += memoOf(a.m).stats().bypassed
  expect(memoOf(ref.m).stats().hits).toBe(0)
}

describe('resolution memo', () => {
  const numRuns = Number(process.env.PROP_RUNS ?? 300)

  it('changes nothing: machines with and without it reach the same clocks, step by step', () => {
    fc.assert(fc.property(modelArb, (model) => compare(model, { withHandlers: false })), { numRuns })
  })

  it('changes nothing with handlers that react, cancel, throw and partially accept auto transitions', () => {
    fc.assert(fc.property(modelArb, (model) => compare(model, { withHandlers: true })), { numRuns })
  })

  it('changes nothing when every key collides (entries are compared in full)', () => {
    fc.assert(fc.property(modelArb, (model) => compare(model, { withHandlers: true, collide: true })), { numRuns })
  })

  it('changes nothing while it restarts, switches off and back on all the time (tiny limits)', () => {
    fc.assert(fc.property(modelArb, (model) => compare(model, { withHandlers: true, tiny: true })), { numRuns })
    expect(tinyBypassed).toBeGreaterThan(0)
  })

  it('changes nothing after import() replaced the active states', () => {
    const make = () => new Machine(schema({ A: { remove: ['B'] }, B: { remove: ['A'] }, C: { auto: true, require: ['A'] } }))
    const [on, off] = [make(), make()]
    memoOf(off).enabled = false
    for (const m of [on, off]) {
      m.add('A')
      m.add('B')
      m.add('A')
      const snap = m.export()
      m.add('B')
      m.import(snap) // A and C active again, B not, without a transition
      m.add('B')
      m.add('A')
      m.remove('B')
    }
    expect(on.time()).toEqual(off.time())
    expect(on.activeStates).toEqual(['A', 'C'])
  })

  it('changes nothing after a throwing handler rolled a remembered transition back', () => {
    const run = (memo: boolean): number[] => {
      let calls = 0
      const m = new Machine(schema({ A: {}, B: {} }), {
        handlers: {
          BState() {
            if (calls++ === 0) throw new Error('first B fails')
          },
        },
      })
      memoOf(m).enabled = memo
      for (let round = 0; round < 2; round++) {
        m.add('A')
        m.add('B') // round 0: rolled back (B stays inactive), Exception added
        m.add('Exception')
        m.remove(['Exception', 'A', 'B'])
      }
      return m.time()
    }
    expect(run(true)).toEqual(run(false))
  })

  it('keeps auto candidates per machine when machines took them from the same entry', () => {
    const make = () => schema({ A: {}, X: { auto: true, require: ['A'] }, Y: {} })
    const shared = make()
    const m1 = new Machine(shared)
    const m2 = new Machine(shared)
    const ref = new Machine(make())
    memoOf(ref).enabled = false
    for (const m of [m1, m2, ref]) m.add('A') // the auto round adds X; m2 takes the counts m1 left in the entries
    expect(m2.activeStates).toEqual(['A', 'X'])
    memoOf(m1).enabled = false // from here on, counts change one by one
    m2.remove('A') // X loses its requirement in m2 only
    for (const m of [m1, ref]) {
      m.remove('X')
      m.add('Y') // any change: the auto round must offer X again, A being active here
    }
    expect(m1.activeStates).toEqual(ref.activeStates)
    expect([...m1.activeStates].sort()).toEqual(['A', 'X', 'Y'])
  })

  it('answers a repeating workload from memory, shared by the machines of a schema', () => {
    const ss = schema({ A: { remove: ['B'] }, B: { remove: ['A'] }, C: { require: ['A'] }, D: { auto: true, require: ['C'] } })
    const m1 = new Machine(ss)
    const m2 = new Machine(ss)
    for (let i = 0; i < 100; i++) {
      for (const m of [m1, m2]) {
        m.add(['A', 'C'])
        m.add('B')
      }
    }
    expect(m1.activeStates).toEqual(['B'])
    expect(m2.time()).toEqual(m1.time())
    const stats = memoOf(m1).stats()
    // add A+C (from no state, then from B), its auto round (D), add B: each situation is computed once, by the first
    // machine that met it
    expect(stats.misses).toBe(4)
    expect(stats.hits).toBe(2 * 100 * 3 - 4)
    expect(stats.entries).toBe(4)
  })

  it('turns itself off while situations do not repeat, and back on afterwards', () => {
    // 20 independent states: setting a new subset every time is never the same situation twice.
    const defs: Record<string, object> = {}
    for (let i = 0; i < 20; i++) defs[`S${i}`] = {}
    const ss = schema(defs as never) as unknown as AnySchema
    const m = new Machine(ss as never) as Machine<string>
    const memo = memoOf(m)
    let x = 1
    const subset = (): string[] => {
      x = (x * 1103515245 + 12345) % 2 ** 31
      return Array.from({ length: 20 }, (_, i) => `S${i}`).filter((_, i) => (x >> (i + 5)) & 1)
    }
    for (let i = 0; i < MEMO_WINDOW; i++) m.set(subset())
    expect(memo.stats()).toMatchObject({ bypassed: 0, entries: 0 })
    expect(memo.stats().hits).toBeLessThan(MEMO_WINDOW / 4)
    for (let i = 0; i < MEMO_BYPASS; i++) m.set(subset())
    expect(memo.stats().bypassed).toBe(MEMO_BYPASS)
    // a second window without repeats: off for twice as long
    for (let i = 0; i < MEMO_WINDOW + 2 * MEMO_BYPASS; i++) m.set(subset())
    expect(memo.stats().bypassed).toBe(3 * MEMO_BYPASS)
    expect(memo.stats().misses).toBeGreaterThanOrEqual(2 * MEMO_WINDOW - MEMO_WINDOW / 4)
    // on again: a repeating workload is remembered
    const before = memo.stats().hits
    for (let i = 0; i < 100; i++) m.set(i % 2 === 0 ? ['S1'] : ['S2'])
    expect(memo.stats().hits - before).toBeGreaterThanOrEqual(96)
    // that window had enough hits, so the next off period is the short one again
    for (let i = 100; i < MEMO_WINDOW; i++) m.set(i % 2 === 0 ? ['S1'] : ['S2'])
    for (let i = 0; i < MEMO_WINDOW + MEMO_BYPASS; i++) m.set(subset())
    expect(memo.stats().bypassed).toBe(4 * MEMO_BYPASS)
    m.set(subset())
    expect(memo.stats().bypassed).toBe(4 * MEMO_BYPASS)
  })

  it('holds at most MEMO_CAPACITY entries', () => {
    // 14 independent states: 16 384 subsets; each new one is followed by a repeat, so the memo stays on.
    const defs: Record<string, object> = {}
    for (let i = 0; i < 14; i++) defs[`S${i}`] = {}
    const ss = schema(defs as never) as unknown as AnySchema
    const m = new Machine(ss as never) as Machine<string>
    const memo = memoOf(m)
    const names = (bits: number): string[] => Array.from({ length: 14 }, (_, i) => `S${i}`).filter((_, i) => (bits >> i) & 1)
    // An early machine, left in a state whose entry links to the next set(['S1'])
    const early = new Machine(ss as never) as Machine<string>
    for (let r = 0; r < 3; r++) early.set(['S1'])
    let most = 0
    let restarts = 0
    // Each new subset adds two entries (set from the previous subset, set from itself); the third set is a hit.
    for (let bits = 0; bits < MEMO_CAPACITY / 2 + 50; bits++) {
      const before = memo.stats().entries
      for (let r = 0; r < 3; r++) m.set(names(bits))
      if (memo.stats().entries < before) restarts++
      most = Math.max(most, memo.stats().entries)
    }
    expect(memo.stats().bypassed).toBe(0)
    expect(most).toBeLessThanOrEqual(MEMO_CAPACITY)
    expect(most).toBeGreaterThanOrEqual(MEMO_CAPACITY - 2)
    // it started afresh once full
    expect(restarts).toBe(1)
    // and no longer follows the links of the generation it forgot (which may not keep that one alive)
    const { misses } = memo.stats()
    early.set(['S1'])
    expect(memo.stats().misses).toBe(misses + 1)
  })

  it('is skipped while relations are logged, so every resolution writes its lines', () => {
    const ss = schema({ A: { remove: ['B'] }, B: { remove: ['A'] } })
    const lines: string[] = []
    const m = new Machine(ss, { logLevel: LogLevel.Decisions, logger: (_l, msg) => void lines.push(msg) })
    m.add('A')
    m.add('B')
    m.add('A')
    m.add('B')
    expect(memoOf(m).stats()).toMatchObject({ hits: 0, misses: 0 })
    expect(lines.filter((l) => l.includes('] [rel:remove] '))).toHaveLength(3)
  })
})
