/**
 * Internal plumbing of the helpers: option and state checks that throw synchronously, and `guarded()`, a promise
 * with a timeout, an abort signal and a cleanup signal that are all released when it settles.
 */
import {
  DisposedError, InvalidArgumentError, type Machine, OutOfRangeError, PolymachineError, type States, TimeoutError,
  UnknownStateError,
} from '../machine/index.js'
import { cancelLater, isMachine, later, type Later, safeString } from '../machine/internals.js'

/** Options of every waiting helper: the same as the core waiters'. */
export interface HelperOptions {
  /** Rejects with `signal.reason` when aborted (at once). */
  signal?: AbortSignal
  /** Rejects with `TimeoutError` after this many milliseconds. */
  timeout?: number
}

/**
 * Runs `read` (which reads the user value `value`): a throwing getter or proxy trap becomes an InvalidArgumentError
 * naming the argument, with the original as `cause`; library errors pass through.
 */
export function readArg<T>(where: string, name: string, value: unknown, read: () => T): T {
  try {
    return read()
  } catch (err) {
    if (err instanceof PolymachineError) throw err
    const e = new InvalidArgumentError(where, name, `readable (reading it threw: ${safeString(err)})`, value)
    Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true })
    throw e
  }
}

/**
 * Validates `opts`, reading each option once, and returns them as read: pass these on, never `opts` again.
 * @throws OutOfRangeError (a RangeError) for a negative or NaN timeout; InvalidArgumentError (a TypeError) for
 * options that are not an object, a timeout that is not a number, a signal that is not an AbortSignal.
 */
export function readOptions(what: string, opts: HelperOptions | undefined): HelperOptions {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(what, 'options', 'an object', opts)
  const { timeout, signal } = readArg(what, 'options', opts, () => ({ timeout: opts.timeout, signal: opts.signal }))
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
    throw new OutOfRangeError(what, 'options.timeout', 'a number ≥ 0 (ms)', timeout)
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(what, 'options.signal', 'an AbortSignal', signal)
  }
  return { ...(timeout !== undefined && { timeout }), ...(signal !== undefined && { signal }) }
}

/** @throws InvalidArgumentError unless `mach` is a Machine. */
export function checkMachine(where: string, mach: unknown, name = 'mach'): asserts mach is Machine<string> {
  if (!isMachine(mach)) throw new InvalidArgumentError(where, name, 'a Machine', mach)
}

/** @throws UnknownStateError naming every state `mach` does not define; InvalidArgumentError for non-names. */
export function checkStates(mach: Machine<string>, states: States<string>, where: string): readonly string[] {
  checkMachine(where, mach)
  const at = `machine ${mach.id}: ${where}`
  const list = readArg(at, 'states', states, (): unknown[] | null =>
    typeof states === 'string' ? [states] : Array.isArray(states) ? [...(states as unknown[])] : null)
  if (list === null) throw new InvalidArgumentError(at, 'states', 'a state name or an array of them', states)
  const bad = list.findIndex((s) => typeof s !== 'string')
  if (bad >= 0) throw new InvalidArgumentError(at, 'states', 'state names', list[bad])
  const unknown = (list as string[]).filter((s) => !mach.has(s))
  if (unknown.length > 0) throw new UnknownStateError(mach.id, unknown, where)
  return list as string[]
}

/** A non-negative number (or ≥ `min`, an integer when asked), else OutOfRangeError (a RangeError). */
export function checkNumber(what: string, name: string, n: unknown, opts: { integer?: boolean; min?: number } = {}): number {
  const min = opts.min ?? 0
  if (typeof n !== 'number' || Number.isNaN(n) || n < min || (opts.integer && !Number.isInteger(n))) {
    throw new OutOfRangeError(what, name, `${opts.integer ? 'an integer' : 'a number'} ≥ ${min}`, n)
  }
  return n
}

/** What `guarded()` hands to its body. */
export interface Guard<T> {
  /** Aborted when the promise settles: pass it to waiters so they unregister. */
  readonly signal: AbortSignal
  resolve(value: T): void
  reject(err: unknown): void
}

/** A TimeoutError naming the machines involved (none for `waitForAll` over bare promises). */
export function timeoutError(ids: readonly string[], what: string, ms: number): TimeoutError {
  const err = new TimeoutError(ids.join(', '), what, ms)
  if (ids.length === 0) err.message = `${what} timed out after ${ms} ms`
  return err
}

/**
 * Runs `body` with a guard; the returned promise settles with the first of: the body's resolve/reject, the user's
 * signal (its reason), the timeout (`TimeoutError`). Bad options throw; a throw of `body` propagates synchronously
 * after releasing what it started.
 */
export function guarded<T>(what: string, ids: readonly string[], opts: HelperOptions | undefined,
  body: (g: Guard<T>) => void): Promise<T> {
  const { signal, timeout } = readOptions(what, opts)
  if (signal?.aborted) return Promise.reject(signal.reason)
  const ctl = new AbortController()
  let done = false
  let timer: Later
  let resolveP!: (v: T) => void
  let rejectP!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolveP = res
    rejectP = rej
  })
  const onAbort = (): void => settle(false, signal?.reason)
  function settle(ok: boolean, value: unknown): void {
    if (done) return
    done = true
    cancelLater(timer)
    signal?.removeEventListener('abort', onAbort)
    ctl.abort(new DOMException(`${what} settled`, 'AbortError'))
    if (ok) resolveP(value as T)
    else rejectP(value)
  }
  try {
    body({ signal: ctl.signal, resolve: (v) => settle(true, v), reject: (e) => settle(false, e) })
  } catch (err) {
    done = true
    ctl.abort()
    throw err
  }
  if (done) return promise
  signal?.addEventListener('abort', onAbort, { once: true })
  if (timeout !== undefined) timer = later(timeout, () => settle(false, timeoutError(ids, what, timeout)))
  return promise
}

/** Rejects at once with DisposedError when `mach` is disposed. */
export function disposedError(mach: Machine<string>, what: string): DisposedError | undefined {
  return mach.disposed ? new DisposedError(mach.id, what) : undefined
}

/** Swallows a rejection we no longer care about (a waiter released by our own signal). */
export const ignore = (): void => undefined
