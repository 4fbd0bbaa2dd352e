/**
 * State signals and `e.signal`: `stateSignal(state)` is aborted the next time the state's tick changes
 * (activation, deactivation, multi re-entry) or on dispose, and the same object is returned until then. `e.signal`
 * of `FooState` is Foo's state signal; of every other handler it is aborted when the transition ends.
 */
import { describe, expect, it } from 'vitest'
import { DisposedError, Machine, Result, schema, type Event } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'

const ss = schema({ A: {}, B: { multi: true }, C: { remove: ['A'] }, D: { require: ['A'] } })
const mk = (id = 'sig'): Machine<'A' | 'B' | 'C' | 'D' | 'Exception'> => new Machine(ss, { id })

function reasonOf(s: AbortSignal | undefined): { name: string; message: string } {
  const r = s?.reason as Error | undefined
  return { name: r?.name ?? '', message: r?.message ?? '' }
}

describe('stateSignal', () => {
  it('returns the same signal until the state ticks, then a new one', () => {
    const m = mk()
    const s1 = m.stateSignal('A')
    expect(m.stateSignal('A')).toBe(s1)
    expect(m.stateSignal('C')).not.toBe(s1)
    expect(s1.aborted).toBe(false)
    m.add('A')
    expect(s1.aborted).toBe(true)
    const s2 = m.stateSignal('A')
    expect(s2).not.toBe(s1)
    expect(s2.aborted).toBe(false)
    expect(m.stateSignal('A')).toBe(s2)
  })

  it('is aborted on activation with an AbortError naming machine and state', () => {
    const m = mk()
    const s = m.stateSignal('A')
    m.add('A')
    expect(reasonOf(s)).toEqual({ name: 'AbortError', message: 'machine sig: state A changed' })
  })

  it('is aborted on deactivation, also by a relation', () => {
    const m = mk()
    m.add('A')
    const byRemove = m.stateSignal('A')
    m.remove('A')
    expect(byRemove.aborted).toBe(true)
    m.add('A')
    const byRelation = m.stateSignal('A')
    m.add('C')
    expect(m.is('A')).toBe(false)
    expect(byRelation.aborted).toBe(true)
  })

  it('is aborted on multi re-entry', () => {
    const m = mk()
    m.add('B')
    const s = m.stateSignal('B')
    m.add('B')
    expect(m.tick('B')).toBe(3)
    expect(s.aborted).toBe(true)
  })

  it('is not aborted by a no-op add of an active non-multi state, nor by transitions of other states', () => {
    const m = mk()
    m.add('A')
    const s = m.stateSignal('A')
    expect(m.add('A')).toBe(Result.Executed)
    m.add('B')
    m.remove('B')
    expect(m.tick('A')).toBe(1)
    expect(s.aborted).toBe(false)
  })

  it('is not aborted by a relation-rejected transition', () => {
    const m = mk()
    const s = m.stateSignal('D')
    expect(m.add('D')).toBe(Result.Canceled)
    expect(s.aborted).toBe(false)
  })

  it('is not aborted by a canceled transition', () => {
    const m = mk()
    m.bind({ AEnter: () => false })
    const s = m.stateSignal('A')
    expect(m.add('A')).toBe(Result.Canceled)
    expect(s.aborted).toBe(false)
  })

  it('is aborted with a DisposedError on dispose; after dispose it is returned already aborted', () => {
    const m = mk()
    m.add('A')
    const s = m.stateSignal('A')
    m.dispose()
    expect(s.aborted).toBe(true)
    expect(s.reason).toBeInstanceOf(DisposedError)
    expect((s.reason as DisposedError).message).toBe('machine sig is disposed: state A')
    const after = m.stateSignal('C')
    expect(after.aborted).toBe(true)
    expect(after.reason).toBeInstanceOf(DisposedError)
  })

  it('stays registered until aborted, and leaves nothing behind after', () => {
    const m = mk()
    m.stateSignal('A')
    m.stateSignal('A')
    m.stateSignal('C')
    expect(pendingWaiters(m)).toBe(2)
    m.add('A')
    expect(pendingWaiters(m)).toBe(1)
    m.add('C')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('is aborted when a throwing State handler rolls its state back', () => {
    const m = mk()
    let seen: AbortSignal | undefined
    m.bind({
      AState: (e: Event) => {
        seen = e.signal
        throw new Error('boom')
      },
    })
    m.add('A')
    expect(m.is('A')).toBe(false)
    expect(m.tick('A')).toBe(2)
    expect(seen?.aborted).toBe(true)
  })
})

describe('e.signal', () => {
  it('of FooState is the state signal of Foo: the same object, live after the transition', () => {
    const m = mk()
    let inHandler: [boolean, boolean] | undefined
    let seen: AbortSignal | undefined
    m.bind({
      AState: (e: Event) => {
        seen = e.signal
        inHandler = [e.signal === e.machine.stateSignal('A'), e.signal.aborted]
      },
    })
    m.add('A')
    expect(inHandler).toEqual([true, false])
    expect(seen?.aborted).toBe(false)
    expect(m.stateSignal('A')).toBe(seen)
    m.remove('A')
    expect(seen?.aborted).toBe(true)
  })

  it('of a multi FooState is aborted by the next re-entry, which gets a fresh one', () => {
    const m = mk()
    const seen: AbortSignal[] = []
    m.bind({ BState: (e: Event) => void seen.push(e.signal) })
    m.add('B')
    m.add('B')
    expect(seen).toHaveLength(2)
    expect(seen[0]?.aborted).toBe(true)
    expect(seen[1]?.aborted).toBe(false)
    expect(seen[1]).not.toBe(seen[0])
  })

  it('of every non-State handler is live during the handler and aborted when the transition ends', () => {
    const m = mk()
    m.add('A')
    const seen: Array<[string, AbortSignal, boolean]> = []
    const rec = (e: Event): void => void seen.push([e.name, e.signal, e.signal.aborted])
    m.bind({ AExit: rec, CEnter: rec, AC: rec, AEnd: rec, AnyEnter: rec, AnyState: rec })
    m.add('C')
    expect(seen.map(([name, , aborted]) => [name, aborted])).toEqual([
      ['AExit', false], ['CEnter', false], ['AC', false], ['AnyEnter', false], ['AEnd', false], ['AnyState', false],
    ])
    for (const [, s] of seen) expect(s.aborted).toBe(true)
    expect(seen[0]?.[1]).toBe(seen[5]?.[1])
    expect((seen[0]?.[1].reason as Error).name).toBe('AbortError')
    expect((seen[0]?.[1].reason as Error).message).toBe('machine sig: transition [add] C ended')
  })

  it('of a negotiation handler is aborted when a canceled transition ends', () => {
    const m = mk()
    let seen: [AbortSignal, boolean] | undefined
    m.bind({
      AEnter: (e: Event) => {
        seen = [e.signal, e.signal.aborted]
        return false
      },
    })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(seen?.[1]).toBe(false)
    expect(seen?.[0].aborted).toBe(true)
  })

  it('of FooState read after the state moved on is already aborted', () => {
    const m = mk()
    let ev: Event | undefined
    m.bind({ AState: (e: Event) => void (ev = e) })
    m.add('A')
    m.remove('A')
    expect(ev?.signal.aborted).toBe(true)
    expect(m.stateSignal('A').aborted).toBe(false)
  })

  it('lets an async FooState drop stale work: its rejection after deactivation is ignored', async () => {
    const m = mk()
    let fail: ((err: Error) => void) | undefined
    m.bind({
      AState: () =>
        new Promise<void>((_, reject) => {
          fail = reject
        }),
    })
    m.add('A')
    m.remove('A')
    fail?.(new Error('stale'))
    await new Promise((r) => setTimeout(r, 0))
    expect(m.is('Exception')).toBe(false)
    expect(m.err).toBeUndefined()
  })

  it('an async FooState rejecting while its state is still active adds Exception', async () => {
    const m = mk()
    const err = new Error('live')
    m.bind({ AState: () => Promise.reject(err) })
    m.add('A')
    await m.whenErr({ timeout: 1000 })
    expect(m.err).toBe(err)
    expect(m.is(['A', 'Exception'])).toBe(true)
  })
})
