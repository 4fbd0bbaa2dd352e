/**
 * toggle: two mutually exclusive states, alternated. The smallest transition each library can do; it measures the
 * fixed cost of a mutation (parsing, resolution, bookkeeping).
 */
import { createActor, createMachine } from 'xstate'
import { Machine, schema } from '../../../lib/index.js'
import { amMachine } from '../am.js'
import { type Case, fasterGoal, measure, perMutationGoal, rows, type Scenario, sameFinal } from '../run.js'
import { xsActive } from '../xs.js'

const AB = schema({ A: { remove: ['B'] }, B: { remove: ['A'] } })

/** Each call: add B, add A (2 mutations), so every call starts and ends in A. */
export function toggleCases(): Case[] {
  const poly = new Machine(AB)
  poly.add('A')

  const xs = createActor(createMachine({
    initial: 'A',
    states: { A: { on: { B: 'B' } }, B: { on: { A: 'A' } } },
  })).start()
  const evA = { type: 'A' } as const
  const evB = { type: 'B' } as const

  const am = amMachine({ A: { drop: ['B'] }, B: { drop: ['A'] } })
  am.add('A')

  return [
    {
      lib: 'polymachine', opsPerCall: 2,
      fn: () => {
        poly.add('B')
        poly.add('A')
      },
      final: () => poly.activeStates.filter((s) => s !== 'Exception'),
    },
    {
      lib: 'xstate', opsPerCall: 2,
      fn: () => {
        xs.send(evB)
        xs.send(evA)
      },
      final: () => xsActive(xs, { A: 'A', B: 'B' }),
    },
    {
      lib: 'asyncmachine', opsPerCall: 2,
      fn: () => {
        am.add('B')
        am.add('A')
      },
      final: () => am.is().filter((s) => s !== 'Exception'),
    },
  ]
}

export const toggle: Scenario = {
  name: 'toggle',
  title: 'toggle: A ⇄ B, two mutually exclusive states (ns per mutation)',
  async run(opts) {
    const m = await measure(toggleCases(), opts)
    return {
      rows: rows(m),
      checks: [sameFinal('toggle: final states', m)],
      goals: [
        fasterGoal('toggle ≥20× faster than XState v5 and asyncmachine', m, 20, ['xstate', 'asyncmachine']),
        perMutationGoal('toggle', m),
      ],
      notes: [],
    }
  },
}
