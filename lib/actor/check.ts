/**
 * Argument checks of the actor layer's public functions. Each throws `InvalidArgumentError` (a wrong type) or
 * `OutOfRangeError` (a number out of range) naming the function, the value and what was expected. The checks made
 * per message are a `typeof` or two; the messages are built only when a check fails.
 */
import { InvalidArgumentError, OutOfRangeError, type Args } from '../machine/index.js'

/** How long a stop waits for handlers in flight, and a one-shot `conversationAsk` for its reply, unless told (ms). */
export const DEFAULT_TIMEOUT = 5000

/** Message args: a plain object or undefined (as the core's `add()` takes them). */
export function checkArgs(actorId: string, fn: string, args: unknown): asserts args is Args | undefined {
  if (args === undefined || (typeof args === 'object' && args !== null && !isArray(args))) return
  throw new InvalidArgumentError(`actor ${actorId}: ${fn}()`, 'args', 'an object or undefined', args)
}

/** `Array.isArray`, which throws for a revoked proxy: that is no usable object either (so: true). */
export function isArray(v: unknown): boolean {
  try {
    return Array.isArray(v)
  } catch {
    return true
  }
}

/** A timeout in ms: a number ≥ 0 or undefined (`Infinity` is allowed: no timeout). */
export function checkTimeout(where: string, name: string, timeout: unknown): asserts timeout is number | undefined {
  if (timeout === undefined) return
  if (typeof timeout !== 'number') throw new InvalidArgumentError(where, name, 'a number of ms ≥ 0 (or Infinity)', timeout)
  if (!(timeout >= 0)) throw new OutOfRangeError(where, name, 'a number of ms ≥ 0 (or Infinity)', timeout)
}

/** An abort signal or undefined. */
export function checkSignal(where: string, name: string, signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(where, name, 'an AbortSignal or undefined', signal)
  }
}

/** An options argument: a (non-array) object or undefined. */
export function checkOptions(where: string, opts: unknown, expected = 'an options object or undefined'): void {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || isArray(opts))) {
    throw new InvalidArgumentError(where, 'options', expected, opts)
  }
}

/** A non-empty string (ids, keys, names). */
export function checkName(where: string, name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(where, name, 'a non-empty string', value)
}
