/**
 * waiters: one waiter registered, resolved by a mutation, awaited. polymachine uses whenTicks(A, 1) (A inactive, so
 * one tick = A activated); the others wait for A with their own API (XState waitFor, asyncmachine when). Each
 * resolution also costs two mutations (add A to resolve, add B to reset). A second polymachine row resolves 100
 * waiters with one mutation, which shows the cost of a waiter alone.
 */
import { createActor, createMachine, waitFor } from 'xstate'
import { Machine, schema } from '../../../lib/index.js'
import { amMachine } from '../am.js'
import { type Case, measure, rows, type Scenario, sameFinal } from '../run.js'
import { xsActive } from '../xs.js'

const AB = schema({ A: { remove: ['B'] }, B: { remove: ['A'] } })
const FAN = 100

function cases(): Case[] {
  const poly = new Machine(AB)
  poly.add('B')
  const fan = new Machine(AB)
  fan.add('B')
  const waiting: Array<Promise<void>> = new Array<Promise<void>>(FAN)

  const xs = createActor(createMachine({ initial: 'B', states: { A: { on: { B: 'B' } }, B: { on: { A: 'A' } } } })).start()
  const evA = { type: 'A' } as const
  const evB = { type: 'B' } as const
  const isA = (s: { matches(v: 'A'): boolean }): boolean => s.matches('A')

  const am = amMachine({ A: { drop: ['B'] }, B: { drop: ['A'] } })
  am.add('B')
  const noException = (s: string): boolean => s !== 'Exception'

  return [
    {
      lib: 'polymachine', opsPerCall: 1,
      afn: async () => {
        const p = poly.whenTicks('A', 1)
        poly.add('A')
        await p
        poly.add('B')
      },
      final: () => poly.activeStates.filter(noException),
    },
    {
      lib: 'xstate', opsPerCall: 1,
      afn: async () => {
        const p = waitFor(xs, isA)
        xs.send(evA)
        await p
        xs.send(evB)
      },
      final: () => xsActive(xs, { A: 'A', B: 'B' }),
    },
    {
      lib: 'asyncmachine', opsPerCall: 1,
      afn: async () => {
        const p = am.when('A')
        am.add('A')
        await p
        am.add('B')
      },
      final: () => am.is().filter(noException),
    },
    {
      label: `polymachine, ${FAN} waiters per mutation`, lib: 'polymachine', opsPerCall: FAN,
      afn: async () => {
        for (let i = 0; i < FAN; i++) waiting[i] = fan.whenTicks('A', 1)
        fan.add('A')
        await Promise.all(waiting)
        fan.add('B')
      },
      final: () => fan.activeStates.filter(noException),
    },
  ]
}

export const waiters: Scenario = {
  name: 'waiters',
  title: 'waiters: whenTicks resolutions (register, resolve by a mutation, await; ns per resolution)',
  async run(opts) {
    const m = await measure(cases(), opts)
    return {
      rows: rows(m),
      checks: [sameFinal('waiters: final states', m)],
      goals: [],
      notes: ['XState: waitFor(actor, s => s.matches("A")); asyncmachine: when("A"). Each single-waiter row includes ' +
        'two mutations and one await.'],
    }
  },
}
