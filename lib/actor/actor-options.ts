/**
 * What an actor is made with (the system's spawn options, read and completed), and the checks of its numbers.
 */
import { InvalidArgumentError, OutOfRangeError, type LogFn, type LogLevel, type Machine, type Snapshot } from '../machine/index.js'
import { describe } from '../machine/internals.js'
import type { Envelope } from './envelope.js'
import type { MailboxOptions } from './mailbox.js'

export interface ActorOptions {
  id: string
  mailbox?: MailboxOptions
  /** Messages handled at once, counting the async part of handlers. Default 1. */
  concurrency?: number
  logLevel?: LogLevel
  logger?: LogFn
  parent?: Machine<string>
  /** Messages to deliver first (kept from the previous incarnation of a restarted actor). */
  preload?: readonly Envelope[]
  /** A supervisor decides what a failed start means: the actor does not stop itself then. */
  supervised?: boolean
  /** Clocks to restore before starting (a passivated actor's saved state); lifecycle states restart from inactive. */
  snapshot?: Snapshot
  /** An async handler still running after this many ms fails its message and the actor (`HandlerTimeoutError`). */
  handlerTimeout?: number
}

/**
 * `concurrency` (default 1) and `handlerTimeout` (undefined for none or `Infinity`), checked.
 * @throws InvalidArgumentError / OutOfRangeError naming `where`
 */
export function checkActorOptions(where: string, opts: ActorOptions): { concurrency: number; handlerTimeout: number | undefined } {
  const concurrency = opts.concurrency ?? 1
  if (typeof concurrency !== 'number') throw new InvalidArgumentError(where, 'options.concurrency', 'an integer ≥ 1', concurrency)
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new OutOfRangeError(where, 'options.concurrency', 'an integer ≥ 1', concurrency)
  }
  const handlerTimeout = opts.handlerTimeout
  if (handlerTimeout !== undefined && !(typeof handlerTimeout === 'number' && handlerTimeout > 0)) {
    const expected = 'a number of ms > 0 (or Infinity)'
    if (typeof handlerTimeout !== 'number') throw new InvalidArgumentError(where, 'options.handlerTimeout', expected, handlerTimeout)
    throw new OutOfRangeError(where, 'options.handlerTimeout', expected, handlerTimeout)
  }
  return { concurrency, handlerTimeout: handlerTimeout === Infinity ? undefined : handlerTimeout }
}

/**
 * Reads `keys` of an options object once each, into a plain copy with only the defined ones, so that later checks
 * and uses see plain values: a getter or proxy trap that throws is a bad argument (`InvalidArgumentError` naming
 * `options.<key>`, the thrown value as `cause`), never a raw error out of a library call. `opts` must be an object
 * (checked by the caller).
 */
export function readOptionFields<K extends string>(where: string, opts: object, keys: readonly K[]): { [P in K]?: unknown } {
  const out: { [P in K]?: unknown } = {}
  for (const key of keys) {
    let v: unknown
    try {
      v = (opts as Record<string, unknown>)[key]
    } catch (err) {
      throw Object.assign(new InvalidArgumentError(where, `options.${key}`, `readable (reading it threw: ${describe(err)})`, undefined), { cause: err })
    }
    if (v !== undefined) out[key] = v
  }
  return out
}

/** Every option `system.spawn()` reads (the public ones, and those of supervised incarnations). */
const SPAWN_KEYS = [
  'id', 'key', 'mailbox', 'concurrency', 'handlerTimeout', 'logLevel', 'logger', 'preload', 'parent', 'snapshot', 'supervised',
] as const

/**
 * `system.spawn()`'s options, read once into a plain copy (see `readOptionFields`); the fields are checked where
 * they are used. `opts` must be an object (checked by the caller).
 */
export function readSpawnOptions<O extends object>(where: string, opts: O): O {
  return readOptionFields(where, opts, SPAWN_KEYS) as O
}
