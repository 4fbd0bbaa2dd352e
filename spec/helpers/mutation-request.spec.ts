/**
 * mutationRequest(...).retries(n).delay(ms).backoff(f, cap).run(): retries while Canceled, queued counts as success.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  DisposedError, type Event, Machine, Result, TimeoutError, UnknownStateError, schema,
} from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { mutationRequest } from '../../lib/helpers/index.js'

const ss = schema({ Start: {}, Conn: { require: ['Start'] }, Other: {} })
type N = (typeof ss.names)[number]

/** A machine whose ConnEnter refuses the first `refusals` attempts; records when each attempt happened. */
function flaky(refusals: number): { m: Machine<N>; at: number[] } {
  const m = new Machine(ss, { id: 'req' })
  const at: number[] = []
  m.bind({ ConnEnter: () => (at.push(Date.now()), at.length > refusals) })
  m.add('Start')
  return { m, at }
}

beforeEach(() => void vi.useFakeTimers({ now: 0 }))
afterEach(() => void vi.useRealTimers())

describe('mutationRequest', () => {
  it('resolves at once when the first attempt is not canceled', async () => {
    const { m, at } = flaky(0)
    await expect(mutationRequest(m, 'add', 'Conn').run()).resolves.toBe(Result.Executed)
    expect(at).toEqual([0])
    expect(vi.getTimerCount()).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('retries while canceled, with the delay and the backoff', async () => {
    const { m, at } = flaky(3)
    const p = mutationRequest(m, 'add', 'Conn', { why: 'test' }).delay(100).backoff(2).run()
    await vi.runAllTimersAsync()
    await expect(p).resolves.toBe(Result.Executed)
    expect(at).toEqual([0, 100, 300, 700])
    expect(m.is('Conn')).toBe(true)
  })

  it('caps the delay', async () => {
    const { m, at } = flaky(4)
    const p = mutationRequest(m, 'add', 'Conn').delay(100).backoff(10, 250).run()
    await vi.runAllTimersAsync()
    await expect(p).resolves.toBe(Result.Executed)
    expect(at).toEqual([0, 100, 350, 600, 850])
  })

  it('resolves Canceled once the retries are spent', async () => {
    const { m, at } = flaky(100)
    const p = mutationRequest(m, 'add', 'Conn').retries(2).delay(10).run()
    await vi.runAllTimersAsync()
    await expect(p).resolves.toBe(Result.Canceled)
    expect(at).toEqual([0, 10, 20])
    expect(vi.getTimerCount()).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('remove and set work too; a queued mutation counts as success', async () => {
    const { m } = flaky(0)
    await expect(mutationRequest(m, 'set', ['Start', 'Other']).run()).resolves.toBe(Result.Executed)
    expect([...m.activeStates].sort()).toEqual(['Other', 'Start'])
    await expect(mutationRequest(m, 'remove', 'Other').run()).resolves.toBe(Result.Executed)
    let queued: Promise<Result> | undefined
    m.bind({ OtherState: (e: Event<N>) => void (queued = mutationRequest(e.machine, 'add', 'Conn').run()) })
    m.add('Other')
    const r = await queued
    expect(r).toBeGreaterThanOrEqual(2)
    expect(m.is('Conn')).toBe(true)
  })

  it('is immutable: every setter returns a new request', () => {
    const { m } = flaky(0)
    const base = mutationRequest(m, 'add', 'Conn')
    const tuned = base.retries(1).delay(5).backoff(3, 50)
    expect(base.config).toEqual({ retries: 10, delay: 100, factor: 1, maxDelay: 5_000 })
    expect(tuned.config).toEqual({ retries: 1, delay: 5, factor: 3, maxDelay: 50 })
  })

  it('rejects with DisposedError when disposed before or while waiting, without waiting the delay out', async () => {
    const { m } = flaky(100)
    const p = mutationRequest(m, 'add', 'Conn').delay(60_000).run()
    m.dispose()
    await expect(p).rejects.toThrow(DisposedError)
    expect(vi.getTimerCount()).toBe(0)
    await expect(mutationRequest(m, 'add', 'Conn').run()).rejects.toThrow('machine req is disposed')
  })

  it('times out with TimeoutError and aborts with the signal reason', async () => {
    const { m, at } = flaky(100)
    const p = mutationRequest(m, 'add', 'Conn').delay(100).run({ timeout: 250 })
    const caught = expect(p).rejects.toThrow(TimeoutError)
    await vi.advanceTimersByTimeAsync(250)
    await caught
    expect(at).toEqual([0, 100, 200])
    const ctl = new AbortController()
    const q = mutationRequest(m, 'add', 'Conn').run({ signal: ctl.signal })
    ctl.abort('enough')
    await expect(q).rejects.toBe('enough')
    expect(vi.getTimerCount()).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('bad input', () => {
    const { m } = flaky(0)
    const r = mutationRequest(m, 'add', 'Conn')
    expect(() => r.retries(-1)).toThrow(RangeError)
    expect(() => r.retries(1.5)).toThrow(RangeError)
    expect(() => r.delay(NaN)).toThrow(RangeError)
    expect(() => r.backoff(0.5)).toThrow(RangeError)
    expect(() => r.run({ timeout: -1 })).toThrow(RangeError)
    expect(() => mutationRequest(m, 'add', ['Conn', 'Nope' as N])).toThrow(UnknownStateError)
    expect(() => mutationRequest(m, 'toggle' as 'add', 'Conn')).toThrow(TypeError)
  })
})
