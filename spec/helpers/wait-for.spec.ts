/**
 * waitForAll / waitForAny / waitForErrAll / waitForErrAny: several waiters at once, with timeout and signal; the Err
 * variants also fail on Exception. Function waiters are released once the helper settled.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DisposedError, Machine, TimeoutError, UnknownStateError, schema } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { waitForAll, waitForAny, waitForErrAll, waitForErrAny } from '../../lib/helpers/index.js'

const ss = schema({ A: {}, B: {}, C: {} })
const mk = (id: string): Machine<'A' | 'B' | 'C' | 'Exception'> => new Machine(ss, { id })

/** Follows how a promise settles, attaching handlers at once. */
function track<T>(p: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; value: unknown } = { state: 'pending', value: undefined }
  p.then((v) => Object.assign(t, { state: 'resolved', value: v }), (e: unknown) => Object.assign(t, { state: 'rejected', value: e }))
  return t
}
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

afterEach(() => void vi.useRealTimers())

describe('waitForAll', () => {
  it('resolves once every waiter resolved, then nothing stays registered', async () => {
    const a = mk('a')
    const b = mk('b')
    const t = track(waitForAll([(o) => a.when('A', o), (o) => b.when(['B', 'C'], o)]))
    a.add('A')
    b.add('B')
    await flush()
    expect(t.state).toBe('pending')
    b.add('C')
    await flush()
    expect(t).toEqual({ state: 'resolved', value: undefined })
    expect([pendingWaiters(a), pendingWaiters(b)]).toEqual([0, 0])
  })

  it('accepts plain promises and resolves at once for none', async () => {
    const a = mk('a')
    a.add('A')
    await expect(waitForAll([a.when('A'), Promise.resolve(1)])).resolves.toBeUndefined()
    await expect(waitForAll([])).resolves.toBeUndefined()
  })

  it('rejects with the first rejection (a disposed machine: DisposedError) and releases the others', async () => {
    const a = mk('a')
    const b = mk('b')
    const p = waitForAll([(o) => a.when('A', o), (o) => b.when('A', o)])
    b.dispose()
    await expect(p).rejects.toThrow(DisposedError)
    expect(pendingWaiters(a)).toBe(0)
  })

  it('times out with TimeoutError and releases its waiters', async () => {
    vi.useFakeTimers()
    const a = mk('a')
    const t = track(waitForAll([(o) => a.when('A', o)], { timeout: 100 }))
    expect(pendingWaiters(a)).toBe(1)
    await vi.advanceTimersByTimeAsync(99)
    expect(t.state).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(t.state).toBe('rejected')
    expect(t.value).toBeInstanceOf(TimeoutError)
    expect((t.value as Error).message).toBe('waitForAll() timed out after 100 ms')
    expect(pendingWaiters(a)).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects with the signal reason at once; an aborted signal wins over resolved waiters', async () => {
    const a = mk('a')
    const ctl = new AbortController()
    const t = track(waitForAll([(o) => a.when('A', o)], { signal: ctl.signal, timeout: 10_000 }))
    ctl.abort(new Error('stop'))
    await flush()
    expect(t.state).toBe('rejected')
    expect((t.value as Error).message).toBe('stop')
    expect(pendingWaiters(a)).toBe(0)
    await expect(waitForAll([Promise.resolve()], { signal: AbortSignal.abort('early') })).rejects.toBe('early')
  })

  it('bad input throws synchronously, starting nothing', () => {
    const a = mk('a')
    expect(() => waitForAll([], { timeout: -1 })).toThrow(RangeError)
    expect(() => waitForAll([], { timeout: NaN })).toThrow(RangeError)
    expect(() => waitForAll([42 as unknown as Promise<void>])).toThrow(TypeError)
    expect(() => waitForAll([(o) => a.when('A', o), (o) => a.when('Nope' as 'A', o)])).toThrow(UnknownStateError)
    expect(pendingWaiters(a)).toBe(0)
  })
})

describe('waitForAny', () => {
  it('resolves with the index of the first waiter and releases the rest', async () => {
    const a = mk('a')
    const p = waitForAny([(o) => a.when('A', o), (o) => a.when('B', o), (o) => a.whenTicks('C', 2, o)])
    expect(pendingWaiters(a)).toBe(3)
    a.add('B')
    await expect(p).resolves.toBe(1)
    expect(pendingWaiters(a)).toBe(0)
  })

  it('times out, aborts, and needs at least one waiter', async () => {
    vi.useFakeTimers()
    const a = mk('a')
    const p = waitForAny([(o) => a.when('A', o)], { timeout: 50 })
    vi.advanceTimersByTime(50)
    await expect(p).rejects.toThrow(TimeoutError)
    const ctl = new AbortController()
    const q = waitForAny([(o) => a.when('A', o)], { signal: ctl.signal })
    ctl.abort('bye')
    await expect(q).rejects.toBe('bye')
    expect(() => waitForAny([])).toThrow(TypeError)
    expect(pendingWaiters(a)).toBe(0)
  })
})

describe('waitForErrAll / waitForErrAny', () => {
  it('resolve like the plain ones and release their Exception watchers', async () => {
    const a = mk('a')
    const b = mk('b')
    const p = waitForErrAll([a, b], [(o) => a.when('A', o), (o) => b.when('A', o)])
    a.add('A')
    b.add('A')
    await expect(p).resolves.toBeUndefined()
    const q = waitForErrAny(a, [(o) => a.when('B', o), (o) => a.when('C', o)])
    a.add('C')
    await expect(q).resolves.toBe(1)
    expect([pendingWaiters(a), pendingWaiters(b)]).toEqual([0, 0])
  })

  it('reject with the machine error when a machine gets Exception', async () => {
    const a = mk('a')
    const b = mk('b')
    const p = waitForErrAll([a, b], [(o) => a.when('A', o)])
    const err = new Error('b failed')
    b.addErr(err)
    await expect(p).rejects.toBe(err)
    const q = waitForErrAny([a], [(o) => a.when('A', o)])
    a.addErr('not an Error')
    await expect(q).rejects.toThrow('machine a is in Exception: not an Error')
    expect([pendingWaiters(a), pendingWaiters(b)]).toEqual([0, 0])
  })

  it('reject at once when a machine is already in Exception, or disposed', async () => {
    const a = mk('a')
    const b = mk('b')
    a.addErr(new Error('earlier'))
    a.add('A')
    await expect(waitForErrAll(a, [(o) => a.when('A', o)])).rejects.toThrow('earlier')
    b.dispose()
    await expect(waitForErrAny([b], [Promise.resolve()])).rejects.toThrow(DisposedError)
  })

  it('reject with DisposedError when a machine is disposed while waiting', async () => {
    const a = mk('a')
    const b = mk('b')
    const p = waitForErrAll([a, b], [(o) => a.when('A', o)])
    b.dispose()
    await expect(p).rejects.toThrow(DisposedError)
    expect(pendingWaiters(a)).toBe(0)
  })

  it('time out; bad machines throw', async () => {
    vi.useFakeTimers()
    const a = mk('a')
    const p = waitForErrAll(a, [(o) => a.when('A', o)], { timeout: 20 })
    vi.advanceTimersByTime(20)
    await expect(p).rejects.toThrow('machine a: waitForErrAll() timed out after 20 ms')
    expect(pendingWaiters(a)).toBe(0)
    expect(() => waitForErrAll([{} as Machine<string>], [])).toThrow(TypeError)
    expect(() => waitForErrAny(a, [Promise.resolve()], { timeout: -5 })).toThrow(RangeError)
    expect(() => waitForErrAny(a, [])).toThrow('needs at least one waiter')
  })
})
