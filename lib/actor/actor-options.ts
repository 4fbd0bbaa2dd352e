/**
 * What an actor is made with (the system's spawn options, read and completed), and the checks of its numbers.
 */
import { InvalidArgumentError, OutOfRangeError, type LogFn, type LogLevel, type Machine, type Snapshot } from '../machine/index.js'
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
