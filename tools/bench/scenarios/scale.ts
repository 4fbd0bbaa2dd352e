/**
 * scale (polymachine only): the same mutation (toggle A ⇄ B) on a 10-state and on a 1000-state schema. The other
 * states are inactive filler with require/remove/add relations among themselves, so a size-independent mutation
 * should cost the same; a second pair makes 10% of the filler auto states (each requiring an inactive state), which
 * every transition's auto round has to consider, and a third binds Enter/State handlers on A and B (transition
 * records are then built). Only the first pair is the goal; the others show where size still costs.
 */
import { Machine, schema, type StateDef } from '../../../lib/index.js'
import { type Case, type Goal, measure, type Measured, rows, type Scenario, sameFinal } from '../run.js'

/** A, B and `n - 2` filler states F0…; with `autoEvery`, one filler in every `autoEvery` is an auto state. */
function scaleSchema(n: number, autoEvery: number | null) {
  const def: Record<string, StateDef<string>> = { A: { remove: ['B'] }, B: { remove: ['A'] } }
  const f = (i: number): string => `F${i}`
  const fillers = n - 2
  for (let i = 0; i < fillers; i++) {
    const d: { -readonly [K in keyof StateDef<string>]: StateDef<string>[K] } = {}
    if (i % 3 === 1) d.require = [f(i - 1)]
    if (i % 3 === 2 && i + 1 < fillers) d.remove = [f(i + 1)]
    if (i % 5 === 0 && i + 2 < fillers) d.add = [f(i + 2)]
    if (autoEvery !== null && i % autoEvery === autoEvery >> 1) {
      d.auto = true
      d.require = [f(i - 1)]
      delete d.remove
    }
    def[f(i)] = d
  }
  return schema(def)
}

/** Handlers on A and B only: the transition records (Tx) are then built for every mutation. */
const AB_HANDLERS = { AEnter() {}, AState() {}, BEnter() {}, BState() {} }

function scaleCase(label: string, n: number, autoEvery: number | null, withHandlers = false): Case {
  const m = new Machine(scaleSchema(n, autoEvery), withHandlers ? { handlers: AB_HANDLERS } : {})
  m.add('A')
  return {
    label,
    lib: 'polymachine',
    opsPerCall: 2,
    fn: () => {
      m.add('B')
      m.add('A')
    },
    final: () => m.activeStates.filter((s) => s !== 'Exception'),
  }
}

function ratioGoal(name: string, small: Measured | undefined, big: Measured | undefined): Goal {
  if (!small || !big) return { name, pass: false, detail: 'missing case' }
  const r = big.nsPerOp / small.nsPerOp
  return { name, pass: r <= 1.5, detail: `1000 states ${big.nsPerOp.toFixed(0)} ns vs 10 states ${small.nsPerOp.toFixed(0)} ns: ${r.toFixed(2)}×` }
}

export const scale: Scenario = {
  name: 'scale',
  title: 'scale: toggle A ⇄ B on a 10-state vs a 1000-state schema, polymachine only (ns per mutation)',
  async run(opts) {
    const cases = [
      scaleCase('10 states', 10, null),
      scaleCase('1000 states', 1000, null),
      scaleCase('10 states, 10% auto', 10, 10),
      scaleCase('1000 states, 10% auto', 1000, 10),
      scaleCase('10 states, handlers', 10, null, true),
      scaleCase('1000 states, handlers', 1000, null, true),
    ]
    const m = await measure(cases, opts)
    const [s10, s1000, a10, a1000, h10, h1000] = m
    const base = rows(m)
    // Ratios within each pair: the 10-state case of the pair is the reference.
    const out = base.map((r, i) => ({ ...r, ratio: r.nsPerOp / ((m[i - (i % 2)] as Measured).nsPerOp) }))
    return {
      rows: out,
      checks: [sameFinal('scale: final states', m)],
      goals: [
        ratioGoal('scale: 1000-state within 1.5× of 10-state', s10, s1000),
        ratioGoal('(extra) scale, 10% auto states: 1000-state within 1.5× of 10-state', a10, a1000),
        ratioGoal('(extra) scale, handlers on A and B: 1000-state within 1.5× of 10-state', h10, h1000),
      ],
      notes: ['Ratio column: relative to the 10-state case of the same pair.'],
    }
  },
}
