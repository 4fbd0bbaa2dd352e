/**
 * relations: the 10-state schema of models/relations.ts driven through its 10-mutation cycle (require, remove,
 * add, auto, a rejected mutation and a require cascade). Also used, with handlers on, by the handlers scenario.
 */
import { CYCLE, type Driver, relDrivers, XSTATE_NOTE } from '../models/relations.js'
import { type Case, type Check, fasterGoal, measure, perMutationGoal, type Report, rows, type RunOptions, type Scenario, sameFinal } from '../run.js'

/**
 * Steps one fresh machine per library through a cycle and compares the active states after every mutation, so a
 * semantic difference shows as the step where it happens rather than only in the final states.
 */
export function stepCheck(name: string, drivers: readonly Driver[]): Check {
  for (let k = 0; k < CYCLE.length; k++) {
    const seen = drivers.map((d) => {
      d.step(k)
      return { lib: d.lib, states: d.active().join(' ') }
    })
    if (seen.some((s) => s.states !== seen[0]?.states)) {
      const [type, state] = CYCLE[k] as (typeof CYCLE)[number]
      const detail = seen.map((s) => `${s.lib}: (${s.states})`).join('; ')
      return { name, ok: false, detail: `after step ${k + 1} (${type} ${state}): ${detail}` }
    }
  }
  return { name, ok: true, detail: `all ${CYCLE.length} steps of the cycle agree` }
}

export async function relationsRun(opts: RunOptions, withHandlers: boolean): Promise<Report> {
  const what = withHandlers ? 'handlers' : 'relations'
  const check = stepCheck(`${what}: states after each step`, relDrivers(withHandlers))
  const drivers = relDrivers(withHandlers)
  const cases: Case[] = drivers.map((d) => ({ lib: d.lib, opsPerCall: CYCLE.length, fn: d.cycle, final: d.active }))
  const m = await measure(cases, opts)
  const checks = [check, sameFinal(`${what}: final states`, m)]
  const notes = [`XState: ${XSTATE_NOTE}`]
  if (withHandlers) {
    // Every library must have run one State handler (XState: entry action) per activation.
    const per = drivers.map((d) => ({ lib: d.lib, state: d.calls.state, enter: d.calls.enter }))
    const cycles = drivers.map((d) => d.calls.state / 12)
    const ok = cycles.every((c) => Number.isInteger(c) && c > 0)
    checks.push({
      name: 'handlers: 12 State handler calls per cycle',
      ok,
      detail: per.map((p) => `${p.lib} ${p.state} State / ${p.enter} Enter`).join(', '),
    })
    notes.push('XState: State handlers are entry actions, Enter handlers are guards (and-ed with the relation guards); ' +
      'a guard cannot veto a child initial state, so Audit has no Enter equivalent.')
  }
  const goal = withHandlers
    ? fasterGoal('handlers ≥10× faster than XState v5 and asyncmachine', m, 10, ['xstate', 'asyncmachine'])
    : fasterGoal('relations ≥20× faster than XState v5 and asyncmachine', m, 20, ['xstate', 'asyncmachine'])
  const goals = withHandlers ? [goal] : [goal, perMutationGoal('relations', m)]
  return { rows: rows(m), checks, goals, notes }
}

export const relations: Scenario = {
  name: 'relations',
  title: 'relations: 10-state schema, require/remove/add/auto, fixed 10-mutation cycle (ns per mutation)',
  run: (opts) => relationsRun(opts, false),
}
