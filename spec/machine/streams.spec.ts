/**
 * rxjs streams: `transitions$` (every ended transition: accepted, canceled by a handler, rejected by
 * relations; checks excluded), `state$(state)` and `ticks$(state)` (the current value first, then each change).
 * All complete on dispose; an unobserved machine builds no transition records and registers no watchers.
 */
import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { Machine, Result, schema, type Event, type TransitionInfo } from '../../lib/machine/index.js'
import { internals, pendingWaiters } from '../../lib/machine/internals.js'

const ss = schema({ A: {}, B: { multi: true }, C: { require: ['D'] }, D: {}, E: { auto: true, require: ['A'] } })
type N = 'A' | 'B' | 'C' | 'D' | 'E' | 'Exception'
const mk = (id = 'obs'): Machine<N> => new Machine(ss, { id })

/** The fields of a TransitionInfo that say what happened. */
function summary(tx: TransitionInfo<N>): Record<string, unknown> {
  return {
    type: tx.type, called: tx.calledStates, enters: tx.enters, exits: tx.exits, auto: tx.isAuto,
    accepted: tx.accepted, canceledBy: tx.canceledBy,
  }
}

describe('transitions$', () => {
  it('emits accepted transitions, auto ones included, with the machine, args and times', () => {
    const m = mk()
    const seen: Array<TransitionInfo<N>> = []
    const sub = m.transitions$.subscribe((tx) => seen.push(tx))
    m.add('A', { id: 1 })
    sub.unsubscribe()
    expect(seen.map(summary)).toEqual([
      { type: 'add', called: ['A'], enters: ['A'], exits: [], auto: false, accepted: true, canceledBy: undefined },
      { type: 'add', called: ['E'], enters: ['E'], exits: [], auto: true, accepted: true, canceledBy: undefined },
    ])
    const [first] = seen
    expect(first?.machine).toBe(m)
    expect(first?.args).toEqual({ id: 1 })
    expect(first?.isCheck).toBe(false)
    expect(first?.timeBefore).toEqual([0, 0, 0, 0, 0, 0])
    expect(first?.timeAfter).toEqual([1, 0, 0, 0, 0, 0])
    expect(seen[1]?.timeAfter).toEqual([1, 0, 0, 0, 1, 0])
  })

  it('emits transitions canceled by a handler (canceledBy = handler name) and rejected by relations', () => {
    const m = mk()
    m.bind({ DEnter: () => false })
    const seen: Array<TransitionInfo<N>> = []
    const sub = m.transitions$.subscribe((tx) => seen.push(tx))
    expect(m.add('D')).toBe(Result.Canceled)
    expect(m.add('C')).toBe(Result.Canceled)
    sub.unsubscribe()
    expect(seen.map(summary)).toEqual([
      { type: 'add', called: ['D'], enters: ['D'], exits: [], auto: false, accepted: false, canceledBy: 'DEnter' },
      { type: 'add', called: ['C'], enters: [], exits: [], auto: false, accepted: false, canceledBy: 'relations' },
    ])
    expect(seen[0]?.timeAfter).toEqual(seen[0]?.timeBefore)
  })

  it('excludes canAdd/canRemove checks', () => {
    const m = mk()
    m.add('A')
    const seen: Array<TransitionInfo<N>> = []
    const sub = m.transitions$.subscribe((tx) => seen.push(tx))
    expect(m.canAdd('D')).toBe(Result.Executed)
    expect(m.canAdd('C')).toBe(Result.Canceled)
    expect(m.canRemove('A')).toBe(Result.Executed)
    m.add('D')
    sub.unsubscribe()
    expect(seen.map((tx) => `${tx.type} ${tx.calledStates.join(',')}`)).toEqual(['add D'])
  })

  it('emits queued transitions in queue order, each after its own transition ended', () => {
    const m = mk()
    m.bind({ AState: (e: Event) => void e.machine.add(['B', 'D']) })
    const seen: string[] = []
    const sub = m.transitions$.subscribe((tx) => seen.push(`${tx.calledStates.join(',')} ${m.is('D')}`))
    m.add('A')
    sub.unsubscribe()
    expect(seen).toEqual(['A false', 'E false', 'B,D true'])
  })

  it('serves several subscribers; a subscriber may mutate the machine (queued)', () => {
    const m = mk()
    const one: string[] = []
    const two: string[] = []
    const s1 = m.transitions$.subscribe((tx) => {
      one.push(tx.calledStates.join(','))
      if (tx.calledStates.includes('A')) m.add('D')
    })
    const s2 = m.transitions$.subscribe((tx) => two.push(tx.calledStates.join(',')))
    m.add('A')
    s1.unsubscribe()
    s2.unsubscribe()
    expect(one).toEqual(['A', 'E', 'D'])
    expect(two).toEqual(one)
    expect(m.is(['A', 'D', 'E'])).toBe(true)
  })

  it('completes on dispose; subscribing after dispose completes at once', async () => {
    const m = mk()
    const all = firstValueFrom(m.transitions$.pipe(toArray()))
    m.add('A')
    m.dispose()
    expect((await all).map((tx) => tx.calledStates.join(','))).toEqual(['A', 'E'])
    const late: string[] = []
    m.transitions$.subscribe({ next: () => late.push('next'), complete: () => late.push('complete') })
    expect(late).toEqual(['complete'])
  })

  it('costs nothing when unused: no transition records unless subscribed', () => {
    const m = mk()
    const core = internals(m)
    expect(core.observers).toBeNull()
    expect(core.wantsTx).toBe(false)
    const sub = m.transitions$.subscribe(() => undefined)
    expect(core.wantsTx).toBe(true)
    sub.unsubscribe()
    expect(core.wantsTx).toBe(false)
    m.add('A')
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('state$ and ticks$', () => {
  it('state$ emits the current value first, then each change', () => {
    const m = mk()
    m.add('A')
    const seen: boolean[] = []
    const sub = m.state$('A').subscribe((v) => seen.push(v))
    expect(seen).toEqual([true])
    m.remove('A')
    m.add('A')
    sub.unsubscribe()
    expect(seen).toEqual([true, false, true])
  })

  it('state$ does not emit when the value stays the same (multi re-entry, other states, no-op add)', () => {
    const m = mk()
    const seen: boolean[] = []
    const sub = m.state$('B').subscribe((v) => seen.push(v))
    m.add('B')
    m.add('B')
    m.add('D')
    m.remove('D')
    sub.unsubscribe()
    expect(seen).toEqual([false, true])
  })

  it('ticks$ emits the current tick first, then every tick change, multi re-entry included', () => {
    const m = mk()
    m.add('B')
    const seen: number[] = []
    const sub = m.ticks$('B').subscribe((v) => seen.push(v))
    m.add('B')
    m.add('A')
    m.remove('B')
    sub.unsubscribe()
    expect(seen).toEqual([1, 3, 4])
  })

  it('ticks$ emits every transition of a queue run, not only the end state', () => {
    const m = mk()
    m.bind({ DState: (e: Event) => void e.machine.remove('D') })
    const ticks: number[] = []
    const states: boolean[] = []
    const s1 = m.ticks$('D').subscribe((v) => ticks.push(v))
    const s2 = m.state$('D').subscribe((v) => states.push(v))
    m.add('D')
    s1.unsubscribe()
    s2.unsubscribe()
    expect(ticks).toEqual([0, 1, 2])
    expect(states).toEqual([false, true, false])
  })

  it('both complete on dispose and leave nothing registered', () => {
    const m = mk()
    const events: string[] = []
    m.state$('A').subscribe({ next: (v) => events.push(`state ${v}`), complete: () => events.push('state done') })
    m.ticks$('A').subscribe({ next: (v) => events.push(`tick ${v}`), complete: () => events.push('ticks done') })
    expect(pendingWaiters(m)).toBe(2)
    m.dispose()
    expect(events).toEqual(['state false', 'tick 0', 'state done', 'ticks done'])
    expect(pendingWaiters(m)).toBe(0)
  })

  it('subscribing after dispose completes at once without a value', () => {
    const m = mk()
    m.dispose()
    const events: string[] = []
    m.state$('A').subscribe({ next: () => events.push('next'), complete: () => events.push('complete') })
    m.ticks$('A').subscribe({ next: () => events.push('next'), complete: () => events.push('complete') })
    expect(events).toEqual(['complete', 'complete'])
  })

  it('unsubscribing (also synchronously, as firstValueFrom does) unregisters the watcher', async () => {
    const m = mk()
    const sub = m.state$('A').subscribe(() => undefined)
    expect(pendingWaiters(m)).toBe(1)
    sub.unsubscribe()
    expect(pendingWaiters(m)).toBe(0)
    expect(await firstValueFrom(m.ticks$('A'))).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('costs nothing when unused: creating the observables registers nothing', () => {
    const m = mk()
    const s = m.state$('A')
    const t = m.ticks$('A')
    m.add('A')
    expect(pendingWaiters(m)).toBe(0)
    expect(internals(m).wantsTx).toBe(false)
    const seen: Array<boolean | number> = []
    s.subscribe((v) => seen.push(v)).unsubscribe()
    t.subscribe((v) => seen.push(v)).unsubscribe()
    expect(seen).toEqual([true, 1])
  })

  it('unknown states throw UnknownStateError synchronously', () => {
    const m = mk() as Machine<string>
    expect(() => m.state$('Nope')).toThrow("machine obs: unknown state 'Nope' in state$()")
    expect(() => m.ticks$('Nope')).toThrow("machine obs: unknown state 'Nope' in ticks$()")
  })
})
