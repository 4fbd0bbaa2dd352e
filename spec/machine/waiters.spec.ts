/**
 * Waiters: when, whenNot, whenTicks, whenTime, whenArgs, whenErr, whenQueue, whenQueueEnds, whenDisposed.
 * Each returns a Promise<void>; resolves at once when already true; rejects with `signal.reason` on abort (at once),
 * `TimeoutError` on timeout, `DisposedError` on dispose; bad arguments throw synchronously; nothing is left
 * registered once a waiter settled.
 */
import { getEventListeners } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  DisposedError, Machine, Result, TimeoutError, UnknownStateError, schema, type Event, type WaitOptions,
} from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'

const ss = schema({ A: {}, B: { multi: true }, C: {}, D: {} })
const mk = (id = 'w'): Machine<'A' | 'B' | 'C' | 'D' | 'Exception'> => new Machine(ss, { id })
type M = ReturnType<typeof mk>

interface Tracked {
  state: 'pending' | 'resolved' | 'rejected'
  reason: unknown
}

/** Follows how a promise settles (attaches a handler at once, so a rejection is never unhandled). */
function track(p: Promise<void>): Tracked {
  const t: Tracked = { state: 'pending', reason: undefined }
  p.then(
    () => void (t.state = 'resolved'),
    (err: unknown) => {
      t.state = 'rejected'
      t.reason = err
    },
  )
  return t
}

/** Lets settled promises run their callbacks (microtasks only: no timers, no I/O). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

/** Waiters that are pending on a fresh machine `mk()`, by name. */
const pendingKinds: Array<[string, (m: M, o?: WaitOptions) => Promise<void>]> = [
  ['when', (m, o) => m.when('A', o)],
  ['whenNot', (m, o) => (m.add('A'), m.whenNot('A', o))],
  ['whenTicks', (m, o) => m.whenTicks('A', 1, o)],
  ['whenTime', (m, o) => m.whenTime(['A', 'C'], [1, 1], o)],
  ['whenArgs', (m, o) => m.whenArgs('A', { id: 1 }, o)],
  ['whenErr', (m, o) => m.whenErr(o)],
  ['whenQueue', (m, o) => m.whenQueue(m.queueTick + 1, o)],
  ['whenDisposed', (m, o) => m.whenDisposed(o)],
]

/** How error messages name each waiter. */
const described: Record<string, string> = {
  when: 'when(A)', whenNot: 'whenNot(A)', whenTicks: 'whenTicks(A +1)', whenTime: 'whenTime(A:1 C:1)',
  whenArgs: 'whenArgs(A id)', whenErr: 'whenErr()', whenQueue: 'whenQueue(2)', whenDisposed: 'whenDisposed()',
}

/** Waiters whose condition already holds (whenArgs never does: it waits for a dispatch). */
const trueKinds: Array<[string, (m: M, o?: WaitOptions) => Promise<void>]> = [
  ['when', (m, o) => (m.add(['A', 'C']), m.when(['A', 'C'], o))],
  ['when([])', (m, o) => m.when([], o)],
  ['whenNot', (m, o) => m.whenNot(['A', 'C'], o)],
  ['whenTicks(n = 0)', (m, o) => m.whenTicks('A', 0, o)],
  ['whenTime', (m, o) => (m.add('A'), m.remove('A'), m.whenTime(['A', 'C'], [2, 0], o))],
  ['whenErr', (m, o) => (m.addErr(new Error('e')), m.whenErr(o))],
  ['whenQueue', (m, o) => m.whenQueue(m.queueTick, o)],
  ['whenQueueEnds', (m, o) => m.whenQueueEnds(o)],
  ['whenDisposed', (m, o) => (m.dispose(), m.whenDisposed(o))],
]

describe('waiters: already true', () => {
  it.each(trueKinds)('%s resolves at once (next microtask) and registers nothing', async (_, start) => {
    const m = mk()
    const t = track(start(m))
    expect(pendingWaiters(m)).toBe(0)
    await Promise.resolve()
    expect(t.state).toBe('resolved')
  })

  it.each(pendingKinds)('%s stays pending and registered while its condition does not hold', async (_, start) => {
    const m = mk()
    const t = track(start(m))
    expect(pendingWaiters(m)).toBe(1)
    await flush()
    expect(t.state).toBe('pending')
    m.dispose()
    await flush()
  })
})

describe('when', () => {
  it('resolves once all states are active at the same time, not when only some are', async () => {
    const m = mk()
    const t = track(m.when(['A', 'C']))
    m.add('A')
    await flush()
    expect(t.state).toBe('pending')
    m.set('C')
    await flush()
    expect(t.state).toBe('pending')
    m.add('A')
    await flush()
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('is checked after each transition: states active together mid-queue resolve it', async () => {
    const m = mk()
    m.bind({
      AState: (e: Event) => void e.machine.add('C'),
      CState: (e: Event) => void e.machine.remove('A'),
    })
    const t = track(m.when(['A', 'C']))
    m.add('A')
    expect(m.activeStates).toEqual(['C'])
    await flush()
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('is not settled by transitions of other states', async () => {
    const m = mk()
    const t = track(m.when('C'))
    m.add(['A', 'B', 'D'])
    m.remove(['A', 'D'])
    m.addErr(new Error('x'))
    await flush()
    expect(t.state).toBe('pending')
    expect(pendingWaiters(m)).toBe(1)
    m.add('C')
    await flush()
    expect(t.state).toBe('resolved')
  })

  it('many waiters on one state all resolve on one transition and leave nothing registered', async () => {
    const m = mk()
    const ts = Array.from({ length: 100 }, () => track(m.when('A')))
    const both = track(m.when(['A', 'C']))
    expect(pendingWaiters(m)).toBe(101)
    m.add('A')
    expect(pendingWaiters(m)).toBe(1)
    await flush()
    expect(ts.every((t) => t.state === 'resolved')).toBe(true)
    expect(both.state).toBe('pending')
    m.add('C')
    await flush()
    expect(both.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('throws UnknownStateError synchronously for unknown states', () => {
    const m = mk() as Machine<string>
    expect(() => m.when(['A', 'Nope'])).toThrow(UnknownStateError)
    expect(() => m.when('Nope')).toThrow("machine w: unknown state 'Nope' in when()")
    expect(() => m.whenNot('Nope')).toThrow(UnknownStateError)
    expect(() => m.whenTicks('Nope', 1)).toThrow(UnknownStateError)
    expect(() => m.whenTime(['Nope'], [1])).toThrow(UnknownStateError)
    expect(() => m.whenArgs('Nope', {})).toThrow(UnknownStateError)
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('whenNot', () => {
  it('resolves when the last of the states becomes inactive', async () => {
    const m = mk()
    m.add(['A', 'C'])
    const t = track(m.whenNot(['A', 'C']))
    m.remove('A')
    await flush()
    expect(t.state).toBe('pending')
    m.remove('C')
    await flush()
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('whenTicks', () => {
  it('resolves after the state ticked n more times from now', async () => {
    const m = mk()
    m.add('A')
    const t = track(m.whenTicks('A', 3))
    m.remove('A')
    m.add('A')
    await flush()
    expect(t.state).toBe('pending')
    expect(m.tick('A')).toBe(3)
    m.remove('A')
    await flush()
    expect(t.state).toBe('resolved')
    expect(m.tick('A')).toBe(4)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('counts a multi re-entry as 2 ticks', async () => {
    const m = mk()
    m.add('B')
    const t = track(m.whenTicks('B', 2))
    m.add('B')
    expect(m.tick('B')).toBe(3)
    await flush()
    expect(t.state).toBe('resolved')
  })

  it('throws RangeError for a negative or fractional n', () => {
    const m = mk()
    expect(() => m.whenTicks('A', -1)).toThrow(RangeError)
    expect(() => m.whenTicks('A', 1.5)).toThrow(RangeError)
    expect(() => m.whenTicks('A', Number.NaN)).toThrow(RangeError)
  })
})

describe('whenTime', () => {
  it('resolves when every tick(states[i]) >= ticks[i]', async () => {
    const m = mk()
    const t = track(m.whenTime(['A', 'C'], [2, 1]))
    m.add(['A', 'C'])
    await flush()
    expect(t.state).toBe('pending')
    m.remove('A')
    await flush()
    expect(m.time(['A', 'C'])).toEqual([2, 1])
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('throws TypeError on a length mismatch and RangeError on a negative tick', () => {
    const m = mk()
    expect(() => m.whenTime(['A', 'C'], [1])).toThrow(TypeError)
    expect(() => m.whenTime(['A'], [1, 2])).toThrow('machine w: whenTime(): ticks must be one tick per state (1), got array(2)')
    expect(() => m.whenTime(['A'], [-1])).toThrow(RangeError)
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('whenArgs', () => {
  it('resolves on FooState dispatched with matching args only (TestWhenArgs, no handlers bound)', async () => {
    const m = mk()
    const t = track(m.whenArgs('B', { foo: 'bar' }))
    m.add('B', { foo: 'foo' })
    await flush()
    expect(t.state).toBe('pending')
    m.add('B', { foo: 'bar', other: 1 })
    await flush()
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('resolves the same way with handlers bound', async () => {
    const m = mk()
    m.bind({ BState: () => undefined })
    const t = track(m.whenArgs('B', { foo: 'bar' }))
    m.add('B', { foo: 'foo' })
    await flush()
    expect(t.state).toBe('pending')
    m.add('B', { foo: 'bar' })
    await flush()
    expect(t.state).toBe('resolved')
  })

  it('compares values with ===', async () => {
    const m = mk()
    const obj = { n: 1 }
    const byRef = track(m.whenArgs('B', { obj }))
    const num = track(m.whenArgs('B', { n: 1 }))
    m.add('B', { obj: { n: 1 }, n: '1' })
    await flush()
    expect([byRef.state, num.state]).toEqual(['pending', 'pending'])
    m.add('B', { obj, n: 1 })
    await flush()
    expect([byRef.state, num.state]).toEqual(['resolved', 'resolved'])
  })

  it('empty args match any dispatch, also of a mutation without args and with no handlers bound', async () => {
    const m = mk()
    const t = track(m.whenArgs('A', {}))
    m.add('A')
    await flush()
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('does not resolve on a remove, a canceled add or an add of an already active non-multi state', async () => {
    const m = mk()
    m.add('A')
    m.bind({ CEnter: () => false })
    const a = track(m.whenArgs('A', { k: 1 }))
    const c = track(m.whenArgs('C', { k: 1 }))
    m.add('A', { k: 1 })
    m.remove('A', { k: 1 })
    m.add('C', { k: 1 })
    expect(m.tick('A')).toBe(2)
    expect(m.is('C')).toBe(false)
    await flush()
    expect([a.state, c.state]).toEqual(['pending', 'pending'])
    m.add('A', { k: 1 })
    await flush()
    expect(a.state).toBe('resolved')
    m.dispose()
  })
})

describe('whenErr', () => {
  it('resolves on addErr', async () => {
    const m = mk()
    const t = track(m.whenErr())
    m.addErr(new Error('bad'))
    await flush()
    expect(t.state).toBe('resolved')
    expect(pendingWaiters(m)).toBe(0)
  })

  it('resolves when a handler throws', async () => {
    const m = mk()
    m.bind({
      AState: () => {
        throw new Error('boom')
      },
    })
    const t = track(m.whenErr())
    m.add('A')
    await flush()
    expect(t.state).toBe('resolved')
    expect(m.is('Exception')).toBe(true)
  })
})

describe('whenQueue', () => {
  it('resolves once the mutation with that queue tick ran (TestWhenQueue)', async () => {
    const m = mk()
    const seen: Array<[string, number]> = []
    let last = 0
    let t: Tracked | undefined
    m.bind({
      AState: (e: Event) => {
        e.machine.add('B')
        e.machine.add('C')
        last = e.machine.add('D')
        t = track(e.machine.whenQueue(last))
      },
      BState: () => void seen.push(['B', pendingWaiters(m)]),
      CState: () => void seen.push(['C', pendingWaiters(m)]),
      DState: () => void seen.push(['D', pendingWaiters(m)]),
    })
    m.add('A')
    expect(last).toBe(5)
    expect(m.queueTick).toBe(5)
    // still registered while B, C and D run; released right after D's transition
    expect(seen).toEqual([['B', 1], ['C', 1], ['D', 1]])
    expect(pendingWaiters(m)).toBe(0)
    await flush()
    expect(t?.state).toBe('resolved')
    expect(m.is(['A', 'B', 'C', 'D'])).toBe(true)
  })

  it('resolves at once for Executed/Canceled results and reached ticks', async () => {
    const m = mk()
    m.add('A')
    const ts = [Result.Executed, Result.Canceled, m.queueTick].map((r) => track(m.whenQueue(r)))
    await Promise.resolve()
    expect(ts.map((t) => t.state)).toEqual(['resolved', 'resolved', 'resolved'])
  })

  it('resolves after a queued mutation that was canceled (checked after every dequeued mutation)', async () => {
    const m = mk()
    let t: Tracked | undefined
    m.bind({
      AState: (e: Event) => void (t = track(e.machine.whenQueue(e.machine.add('C')))),
      CEnter: () => false,
    })
    m.add('A')
    expect(m.is('C')).toBe(false)
    expect(pendingWaiters(m)).toBe(0)
    await flush()
    expect(t?.state).toBe('resolved')
  })

  it('resolves when an idle mutation takes the awaited tick', async () => {
    const m = mk()
    const t = track(m.whenQueue(m.queueTick + 2))
    m.add('A')
    await flush()
    expect(t.state).toBe('pending')
    m.add('C')
    await flush()
    expect(t.state).toBe('resolved')
  })

  it('throws RangeError for a negative or fractional tick', () => {
    const m = mk()
    expect(() => m.whenQueue(-1)).toThrow(RangeError)
    expect(() => m.whenQueue(2.5)).toThrow(RangeError)
  })
})

describe('whenQueueEnds', () => {
  it('from a handler, resolves only when the whole queue run ended', async () => {
    const m = mk()
    const seen: number[] = []
    let t: Tracked | undefined
    m.bind({
      AState: (e: Event) => {
        e.machine.add('C')
        t = track(e.machine.whenQueueEnds())
      },
      CState: () => void seen.push(pendingWaiters(m)),
    })
    m.add('A')
    expect(seen).toEqual([1])
    expect(pendingWaiters(m)).toBe(0)
    await flush()
    expect(t?.state).toBe('resolved')
  })

  it('from a handler, an abort rejects it before the run ends', async () => {
    const m = mk()
    const reason = new Error('stop')
    let t: Tracked | undefined
    m.bind({
      AState: (e: Event) => {
        const ctl = new AbortController()
        t = track(e.machine.whenQueueEnds({ signal: ctl.signal }))
        ctl.abort(reason)
      },
    })
    m.add('A')
    await flush()
    expect(t?.state).toBe('rejected')
    expect(t?.reason).toBe(reason)
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('whenDisposed', () => {
  it('resolves after the onDispose callbacks ran, in order', async () => {
    const m = mk()
    const order: string[] = []
    m.onDispose(() => order.push('cb1'))
    m.onDispose(() => order.push('cb2'))
    void m.whenDisposed().then(() => order.push('disposed'))
    const when = track(m.when('A'))
    void m.when('A').catch(() => order.push('when rejected'))
    m.dispose()
    expect(order).toEqual(['cb1', 'cb2'])
    await flush()
    expect(order).toEqual(['cb1', 'cb2', 'when rejected', 'disposed'])
    expect(when.reason).toBeInstanceOf(DisposedError)
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('waiters: abort', () => {
  it.each(trueKinds)('%s with an already-aborted signal rejects with its reason, though already true', async (_, start) => {
    const m = mk()
    const reason = new Error('aborted before')
    const t = track(start(m, { signal: AbortSignal.abort(reason) }))
    expect(pendingWaiters(m)).toBe(0)
    await flush()
    expect(t.state).toBe('rejected')
    expect(t.reason).toBe(reason)
  })

  it.each(pendingKinds)('%s rejects with signal.reason at once when aborted after registration', async (_, start) => {
    const m = mk()
    const ctl = new AbortController()
    const reason = new Error('aborted after')
    const t = track(start(m, { signal: ctl.signal }))
    expect(pendingWaiters(m)).toBe(1)
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(1)
    ctl.abort(reason)
    expect(pendingWaiters(m)).toBe(0)
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0)
    await Promise.resolve()
    expect(t.state).toBe('rejected')
    expect(t.reason).toBe(reason)
  })

  it('abort without a reason rejects with an AbortError DOMException', async () => {
    const m = mk()
    const ctl = new AbortController()
    const t = track(m.when('A', { signal: ctl.signal }))
    ctl.abort()
    await flush()
    expect(t.reason).toBeInstanceOf(DOMException)
    expect((t.reason as DOMException).name).toBe('AbortError')
  })

  it('a waiter that resolves removes its abort listener; a later abort changes nothing', async () => {
    const m = mk()
    const ctl = new AbortController()
    const ts = [track(m.when('A', { signal: ctl.signal })), track(m.whenNot('C', { signal: ctl.signal })),
      track(m.whenArgs('A', {}, { signal: ctl.signal }))]
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(2)
    m.add('A')
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0)
    ctl.abort(new Error('late'))
    await flush()
    expect(ts.map((t) => t.state)).toEqual(['resolved', 'resolved', 'resolved'])
    expect(pendingWaiters(m)).toBe(0)
  })
})

describe('waiters: timeout', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it.each(pendingKinds)('%s rejects with TimeoutError after `timeout` ms and unregisters', async (name, start) => {
    const m = mk()
    const t = track(start(m, { timeout: 50 }))
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(49)
    await flush()
    expect(t.state).toBe('pending')
    vi.advanceTimersByTime(1)
    expect(pendingWaiters(m)).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    await flush()
    expect(t.state).toBe('rejected')
    const err = t.reason as TimeoutError
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.machineId).toBe('w')
    expect(err.timeout).toBe(50)
    expect(err.message).toBe(`machine w: ${described[name]} timed out after 50 ms`)
  })

  it('the message names what waited: when(A C)', async () => {
    const m = mk()
    const t = track(m.when(['A', 'C'], { timeout: 5 }))
    vi.advanceTimersByTime(5)
    await flush()
    expect((t.reason as Error).message).toBe('machine w: when(A C) timed out after 5 ms')
  })

  it('a waiter that settles before its timeout clears its timer', async () => {
    const m = mk()
    const t = track(m.when('A', { timeout: 50 }))
    m.add('A')
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(100)
    await flush()
    expect(t.state).toBe('resolved')
  })

  it('timeout 0 rejects on the next timer turn; Infinity sets no timer', async () => {
    const m = mk()
    const zero = track(m.when('A', { timeout: 0 }))
    const inf = track(m.when('A', { timeout: Infinity }))
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(0)
    await flush()
    expect(zero.reason).toBeInstanceOf(TimeoutError)
    expect(inf.state).toBe('pending')
    expect(pendingWaiters(m)).toBe(1)
    m.add('A')
    await flush()
    expect(inf.state).toBe('resolved')
  })

  it('a timeout above setTimeout’s 2^31-1 ms limit does not fire early', async () => {
    const m = mk()
    const ms = 2 ** 31 + 10
    const t = track(m.when('A', { timeout: ms }))
    vi.advanceTimersByTime(2 ** 31 - 1)
    await flush()
    expect(t.state).toBe('pending')
    vi.advanceTimersByTime(10)
    await flush()
    expect(t.state).toBe('pending')
    vi.advanceTimersByTime(1)
    await flush()
    expect(t.state).toBe('rejected')
    expect((t.reason as TimeoutError).timeout).toBe(ms)
    expect(vi.getTimerCount()).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('negative, NaN and non-number timeouts throw RangeError synchronously', () => {
    const m = mk()
    expect(() => m.when('A', { timeout: -1 })).toThrow(RangeError)
    expect(() => m.whenNot('A', { timeout: Number.NaN })).toThrow(RangeError)
    expect(() => m.whenErr({ timeout: '5' as unknown as number })).toThrow(RangeError)
    expect(() => m.whenQueueEnds({ timeout: -5 })).toThrow('machine w: whenQueueEnds(): timeout must be a number ≥ 0, got number -5')
    expect(vi.getTimerCount()).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('a signal that is not an AbortSignal throws TypeError', () => {
    const m = mk()
    expect(() => m.when('A', { signal: {} as AbortSignal })).toThrow(TypeError)
  })
})

describe('waiters: dispose', () => {
  it.each(pendingKinds.filter(([n]) => n !== 'whenDisposed'))('%s rejects with DisposedError on dispose',
    async (name, start) => {
      const m = mk()
      const ctl = new AbortController()
      const t = track(start(m, { signal: ctl.signal, timeout: 60_000 }))
      m.dispose()
      expect(pendingWaiters(m)).toBe(0)
      expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0)
      await flush()
      expect(t.state).toBe('rejected')
      const err = t.reason as DisposedError
      expect(err).toBeInstanceOf(DisposedError)
      expect(err.machineId).toBe('w')
      expect(err.message).toBe(`machine w is disposed: ${described[name]} can no longer happen`)
    })

  it('clears the timers of the waiters it rejects', () => {
    vi.useFakeTimers()
    try {
      const m = mk()
      void m.when('A', { timeout: 1000 }).catch(() => undefined)
      void m.whenArgs('A', {}, { timeout: 1000 }).catch(() => undefined)
      expect(vi.getTimerCount()).toBe(2)
      m.dispose()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('waiters made after dispose reject with DisposedError, except whenDisposed which resolves', async () => {
    const m = mk()
    m.dispose()
    const ts = [track(m.when([])), track(m.whenNot('A')), track(m.whenQueueEnds()), track(m.whenDisposed())]
    await flush()
    expect(ts.map((t) => t.state)).toEqual(['rejected', 'rejected', 'rejected', 'resolved'])
    expect(ts[0]?.reason).toBeInstanceOf(DisposedError)
    expect(pendingWaiters(m)).toBe(0)
  })
})
