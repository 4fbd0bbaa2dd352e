/**
 * addSync / removeSync (wait for a queued mutation's tick, tell whether it took effect) and addAsync (add, then wait
 * for the next activation of a done state).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  DisposedError, type Event, Machine, Result, TimeoutError, UnknownStateError, schema,
} from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { addAsync, addSync, removeSync } from '../../lib/helpers/index.js'

const ss = schema({
  Start: {}, Ready: { require: ['Start'] }, Blocked: {}, Fetch: { multi: true }, Fetched: { multi: true }, Done: {},
})
type N = (typeof ss.names)[number]
const mk = (): Machine<N> => new Machine(ss, { id: 'sync' })

afterEach(() => void vi.useRealTimers())

describe('addSync / removeSync', () => {
  it('idle: resolve true when the states changed, false when canceled', async () => {
    const m = mk()
    await expect(addSync(m, 'Ready')).resolves.toBe(false)
    await expect(addSync(m, ['Start', 'Ready'])).resolves.toBe(true)
    expect(m.is(['Start', 'Ready'])).toBe(true)
    await expect(removeSync(m, 'Start')).resolves.toBe(true)
    expect(m.activeStates).toEqual([])
  })

  it('from a handler: wait for the queued mutation, then report', async () => {
    const m = mk()
    const seen: Array<Promise<boolean>> = []
    m.bind({
      StartState: (e: Event<N>) => {
        seen.push(addSync(e.machine, 'Ready'), addSync(e.machine, 'Blocked'), removeSync(e.machine, 'Done'))
        // Queued, not run yet.
        expect(e.machine.is('Ready')).toBe(false)
      },
      BlockedEnter: () => false,
    })
    m.add(['Start', 'Done'])
    expect(await Promise.all(seen)).toEqual([true, false, true])
    expect(m.is('Done')).toBe(false)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('a queued add that is canceled later resolves false', async () => {
    const m = mk()
    let p: Promise<boolean> | undefined
    m.bind({ DoneState: (e: Event<N>) => void (p = addSync(e.machine, 'Ready')) })
    m.add('Done')
    await expect(p).resolves.toBe(false)
  })

  it('pass args through', async () => {
    const m = mk()
    const args: unknown[] = []
    m.bind({ StartState: (e: Event<N>) => void args.push(e.args) })
    await addSync(m, 'Start', { id: 1 })
    expect(args).toEqual([{ id: 1 }])
  })

  it('bad input: disposed rejects, unknown states and bad timeouts throw, aborted signals reject', async () => {
    const m = mk()
    expect(() => addSync(m, 'Nope' as N)).toThrow(UnknownStateError)
    expect(() => removeSync(m, ['Start', 'Nope' as N])).toThrow("machine sync: unknown state 'Nope' in removeSync()")
    expect(() => addSync(m, 'Start', undefined, { timeout: -1 })).toThrow(RangeError)
    expect(() => addSync(m, 'Start', undefined, { timeout: NaN })).toThrow(RangeError)
    await expect(addSync(m, 'Start', undefined, { signal: AbortSignal.abort('no') })).rejects.toBe('no')
    expect(m.is('Start')).toBe(false)
    m.dispose()
    await expect(addSync(m, 'Start')).rejects.toThrow(DisposedError)
    await expect(removeSync(m, 'Start')).rejects.toThrow('machine sync is disposed: removeSync()')
  })
})

describe('addAsync', () => {
  /** Fetch starts work that adds Fetched after `ms`. */
  function fetching(m: Machine<N>, ms: number): void {
    m.bind({ FetchState: (e: Event<N>) => void setTimeout(() => e.machine.add('Fetched'), ms) })
  }

  it('adds, then resolves Executed on the next activation of the done state', async () => {
    vi.useFakeTimers()
    const m = mk()
    fetching(m, 100)
    let r: Result | undefined
    const p = addAsync(m, 'Fetch', 'Fetched', { url: 'x' }).then((v) => (r = v))
    expect(m.tick('Fetch')).toBe(1)
    await vi.advanceTimersByTimeAsync(99)
    expect(r).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(r).toBe(Result.Executed)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('an active done state must activate again (multi: the next odd tick)', async () => {
    vi.useFakeTimers()
    const m = mk()
    fetching(m, 10)
    m.add('Fetched')
    const p = addAsync(m, 'Fetch', 'Fetched')
    await vi.advanceTimersByTimeAsync(10)
    await expect(p).resolves.toBe(Result.Executed)
    expect(m.tick('Fetched')).toBe(3)
  })

  it('a done state activated by the add itself counts', async () => {
    const m = mk()
    m.bind({ StartState: (e: Event<N>) => void e.machine.add('Done') })
    await expect(addAsync(m, 'Start', 'Done')).resolves.toBe(Result.Executed)
  })

  it('resolves Canceled at once when the add is canceled', async () => {
    const m = mk()
    await expect(addAsync(m, 'Ready', 'Done')).resolves.toBe(Result.Canceled)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('times out, aborts, and rejects on disposal', async () => {
    vi.useFakeTimers()
    const m = mk()
    const p = addAsync(m, 'Start', 'Done', undefined, { timeout: 30 })
    vi.advanceTimersByTime(30)
    await expect(p).rejects.toThrow(TimeoutError)
    const ctl = new AbortController()
    const q = addAsync(m, 'Fetch', 'Done', undefined, { signal: ctl.signal })
    ctl.abort(new Error('user'))
    await expect(q).rejects.toThrow('user')
    const d = addAsync(m, 'Fetch', 'Done')
    m.dispose()
    await expect(d).rejects.toThrow(DisposedError)
    await expect(addAsync(m, 'Fetch', 'Done')).rejects.toThrow(DisposedError)
  })

  it('bad input throws before mutating', () => {
    const m = mk()
    expect(() => addAsync(m, 'Start', 'Nope' as N)).toThrow(UnknownStateError)
    expect(() => addAsync(m, 'Start', 'Done', undefined, { timeout: -3 })).toThrow(RangeError)
    expect(m.is('Start')).toBe(false)
  })
})
