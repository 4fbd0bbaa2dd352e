/**
 * memo (polymachine only): what the resolution memo (lib/machine/memo.ts) gains where situations repeat and costs
 * where they do not. Each pair runs the same work on two copies of a schema, one with the memo turned off:
 * - relations: the 10-state relations cycle (repeats every 10 mutations);
 * - random 30: random single-state adds and removes over a 30-state schema with random relations (some repeats);
 * - random 300: the same over 300 states (practically no repeats: the memo should switch itself off).
 * Random mutations come from a cheap generator run inside the timed call, so no fixed sequence can be learned.
 */
import { Machine, schema, type StateDef } from '../../../lib/index.js'
import { internals } from '../../../lib/machine/internals.js'
import { CYCLE, REL } from '../models/relations.js'
import { type Case, type Check, type Goal, measure, type Measured, rows, type Scenario } from '../run.js'
import { seededRandom } from '../../../lib/actor/random.js'

type AnyMachine = Machine<string>

/** A schema of `n` states S0… with a few random relations each (a fixed seed: every run builds the same one). */
function randomDefs(n: number): Record<string, StateDef<string>> {
  const rnd = seededRandom(n)
  const pick = (k: number): string[] => {
    const out = new Set<string>()
    for (let i = 0; i < k; i++) out.add(`S${Math.floor(rnd() * n)}`)
    return [...out]
  }
  const defs: Record<string, StateDef<string>> = {}
  for (let i = 0; i < n; i++) {
    const r = rnd()
    const require = r < 0.2 ? pick(1) : []
    const remove = pick(r < 0.5 ? 1 : 0).filter((s) => !require.includes(s) && s !== `S${i}`)
    defs[`S${i}`] = {
      ...(require.length > 0 && { require }),
      ...(remove.length > 0 && { remove }),
      ...(r > 0.9 && { add: pick(1).filter((s) => s !== `S${i}`) }),
      ...(r > 0.85 && r <= 0.9 && { auto: true }),
    }
  }
  return defs
}

function machine(defs: Record<string, StateDef<string>>, memo: boolean): AnyMachine {
  const m = new Machine(schema(defs as never) as never) as AnyMachine
  internals(m).resolver.memo.enabled = memo
  return m
}

/** `steps` random single-state adds/removes per call, from an xorshift generator (cheaper than a mutation). */
function randomDriver(m: AnyMachine, n: number, seed: number) {
  let x = seed
  const names = Array.from({ length: n }, (_, i) => `S${i}`)
  return (steps: number): void => {
    for (let k = 0; k < steps; k++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      const s = names[(x >>> 1) % n] as string
      if ((x & 1) === 0) m.add(s)
      else m.remove(s)
    }
  }
}

function relationsCase(label: string, memo: boolean): Case {
  const m = machine(REL.states as Record<string, StateDef<string>>, memo)
  return {
    label, lib: 'polymachine', opsPerCall: CYCLE.length,
    fn: () => {
      for (const [type, s] of CYCLE) {
        if (type === 'add') m.add(s)
        else m.remove(s)
      }
    },
  }
}

function randomCase(label: string, n: number, memo: boolean): Case {
  const drive = randomDriver(machine(randomDefs(n), memo), n, 0x2545f491)
  return { label, lib: 'polymachine', opsPerCall: 16, fn: () => drive(16) }
}

/** Not timed: both copies of each random schema, driven by the same generator, must end in the same clocks. */
function sameClocks(n: number): Check {
  const on = machine(randomDefs(n), true)
  const off = machine(randomDefs(n), false)
  randomDriver(on, n, 7)(20_000)
  randomDriver(off, n, 7)(20_000)
  const ok = on.time().join() === off.time().join()
  const s = internals(on).resolver.memo.stats()
  return {
    name: `memo: random ${n}: same clocks with and without the memo`,
    ok,
    detail: `${ok ? 'equal' : 'DIFFERENT'} after 20 000 mutations; memo hits ${s.hits}, misses ${s.misses}, ` +
      `bypassed ${s.bypassed}`,
  }
}

function overheadGoal(name: string, on: Measured | undefined, off: Measured | undefined, limit: number): Goal {
  if (!on || !off) return { name, pass: false, detail: 'missing case' }
  const r = on.nsPerOp / off.nsPerOp
  return { name, pass: r <= limit, detail: `memo on ${on.nsPerOp.toFixed(0)} ns vs off ${off.nsPerOp.toFixed(0)} ns: ${r.toFixed(2)}×` }
}

export const memo: Scenario = {
  name: 'memo',
  title: 'memo: the resolution memo on vs off, where situations repeat and where they do not (ns per mutation)',
  async run(opts) {
    const cases = [
      relationsCase('relations, memo on', true),
      relationsCase('relations, memo off', false),
      randomCase('random 30, memo on', 30, true),
      randomCase('random 30, memo off', 30, false),
      randomCase('random 300, memo on', 300, true),
      randomCase('random 300, memo off', 300, false),
    ]
    const m = await measure(cases, opts)
    const [relOn, relOff, r30On, r30Off, r300On, r300Off] = m
    // Ratios within each pair: the memo-off case is the reference.
    const out = rows(m).map((r, i) => ({ ...r, ratio: r.nsPerOp / ((m[i + 1 - (i % 2)] as Measured).nsPerOp) }))
    return {
      rows: out,
      checks: [sameClocks(30), sameClocks(300)],
      goals: [
        overheadGoal('(extra) memo: relations cycle at least 1.5× faster with it', relOn, relOff, 1 / 1.5),
        overheadGoal('(extra) memo: random 30 states no more than 10% slower with it', r30On, r30Off, 1.1),
        overheadGoal('(extra) memo: random 300 states no more than 10% slower with it', r300On, r300Off, 1.1),
      ],
      notes: ['Ratio column: relative to the memo-off case of the same pair (< 1: the memo saves time).'],
    }
  },
}
