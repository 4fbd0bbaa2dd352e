/**
 * Reading the public options of `serve()`, `serveMux()`, `connect()` and of each call: every value read once, under
 * a guard (a getter that throws is a bad option, not a crash), and checked, so a bad one throws
 * `InvalidArgumentError` (`ERR_INVALID_ARG`) or `OutOfRangeError` (`ERR_OUT_OF_RANGE`) naming the option.
 */
import { InvalidArgumentError, OutOfRangeError, type LogFn, type LogLevel, type WaitOptions } from '../machine/index.js'
import { safeString } from '../machine/internals.js'
import type { LinkOptions } from './link.js'

/** A copy of `opts`' own readable values (undefined → `{}`); throws when `opts` is not an object or cannot be read. */
export function readAll<T extends object>(opts: T | undefined, where: string, keys: readonly (keyof T & string)[]): Partial<T> {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'options', 'an object', opts)
  const out: Partial<T> = {}
  for (const k of keys) {
    let v: unknown
    try {
      v = opts[k]
    } catch (err) {
      throw new InvalidArgumentError(where, k, `a readable value (reading it threw: ${safeString(err)})`, undefined)
    }
    if (v !== undefined) out[k] = v as T[typeof k]
  }
  return out
}

/**
 * A number option: `dflt` when undefined; otherwise a number (else `InvalidArgumentError`) that is finite (unless
 * `infinite`) and at least `min` (else `OutOfRangeError`); `integer` for counts and sizes.
 */
export function numberOpt(v: unknown, dflt: number, where: string, name: string,
  { min = 0, integer = false, infinite = false }: { min?: number; integer?: boolean; infinite?: boolean } = {}): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number') throw new InvalidArgumentError(where, name, 'a number', v)
  const ok = !Number.isNaN(v) && v >= min && (infinite || Number.isFinite(v)) && (!integer || Number.isInteger(v))
  if (!ok) {
    const what = `${integer ? 'an integer' : infinite ? 'a number' : 'a finite number'} ≥ ${min}`
    throw new OutOfRangeError(where, name, what, v)
  }
  return v
}

/** A string option (undefined stays undefined). */
export function stringOpt(v: unknown, where: string, name: string): string | undefined {
  if (v !== undefined && typeof v !== 'string') throw new InvalidArgumentError(where, name, 'a string', v)
  return v
}

/** The link limits and TLS options, checked: `maxFrame` an integer ≥ 1, `maxBuffered` an integer ≥ 0, `tls` an object. */
export function linkOptionsOf(o: LinkOptions, where: string): LinkOptions {
  const tls = o.tls
  if (tls !== undefined && (typeof tls !== 'object' || tls === null)) {
    throw new InvalidArgumentError(where, 'tls', 'an object of node:tls options', tls)
  }
  return {
    ...(o.maxFrame !== undefined ? { maxFrame: numberOpt(o.maxFrame, 0, where, 'maxFrame', { min: 1, integer: true }) } : {}),
    ...(o.maxBuffered !== undefined ? { maxBuffered: numberOpt(o.maxBuffered, 0, where, 'maxBuffered', { integer: true }) } : {}),
    ...(tls !== undefined ? { tls } : {}),
  }
}

/** The options of a component's own machine (the Machine constructor checks their values). */
export function machineOptionsOf(o: { id?: string; logLevel?: LogLevel; logger?: LogFn }, where: string, dfltId: string,
): { id: string; logLevel?: LogLevel; logger?: LogFn } {
  return {
    id: stringOpt(o.id, where, 'id') ?? dfltId,
    ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
    ...(o.logger !== undefined ? { logger: o.logger } : {}),
  }
}

const NO_WAIT_OPTIONS: { timeout?: number; signal?: AbortSignal } = Object.freeze({})

/**
 * `{ timeout, signal }` of one call or remote waiter, read once: a timeout ≥ 0 (Infinity: none), an AbortSignal.
 * `where()` names the call in an error (built only then: this runs on every call).
 */
export function waitOptionsOf(opts: WaitOptions | undefined, where: () => string): { timeout?: number; signal?: AbortSignal } {
  if (opts === undefined) return NO_WAIT_OPTIONS
  return checkWaitOptions(opts, where())
}

function checkWaitOptions(opts: WaitOptions, where: string): { timeout?: number; signal?: AbortSignal } {
  const o = readAll(opts, where, ['timeout', 'signal'])
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(where, 'signal', 'an AbortSignal', o.signal)
  }
  return {
    ...(o.timeout !== undefined ? { timeout: numberOpt(o.timeout, 0, where, 'timeout', { infinite: true }) } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  }
}
