/**
 * One message on its way to an actor: its name and args, the reply of an ask, and its cancellation. A message is
 * cancelled when its ask times out or is aborted by the asker, when its deadline passes, when the actor stops while
 * handling it, or when its handler outlives the actor's `handlerTimeout`. Its AbortSignal (`e.signal` in its
 * handlers) is made on first use, so messages nobody cancels cost no controller.
 */
import { TimeoutError, type Args } from '../machine/index.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import { readOptionFields } from './actor-options.js'
import { checkOptions } from './check.js'
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'

export interface Reply {
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** One message in a mailbox; `reply` is set for asks until they settle. */
export interface Envelope {
  readonly msg: string
  readonly args: Args | undefined
  reply: Reply | undefined
  /** The message's own controller: made by the first `e.signal` read or by a cancellation. */
  ctl?: AbortController
  /** `Date.now()` past which the message is cancelled (a tell's `deadline`; an ask's is its timeout timer). */
  deadline?: number
  /** Aborts the signal at the deadline, while a handler holds it. */
  deadlineTimer?: Later
}

/** No messages: shared by every actor with no leftover mail (an empty array each would cost heap per actor). */
export const NO_MAIL: readonly Envelope[] = Object.freeze([])

/** Settles an envelope's ask, at most once (the reply is taken out first); a told message has none. */
export function reply(env: Envelope, ok: boolean, value: unknown): void {
  const r = env.reply
  if (!r) return
  env.reply = undefined
  if (ok) r.resolve(value)
  else r.reject(value)
}

/** Cancels the message: its signal aborts with `reason` (now, or born aborted); it will not be delivered. */
export function cancel(env: Envelope, reason: unknown): void {
  ;(env.ctl ??= new AbortController()).abort(reason)
}

/** True when the message was cancelled, or its deadline passed, before it could be delivered. */
export function cancelled(env: Envelope): boolean {
  if (env.ctl?.signal.aborted) return true
  return env.deadline !== undefined && Date.now() >= env.deadline
}

/**
 * The message's signal for its handlers; made on first use (aborted already when the message was cancelled), with a
 * timer for a deadline (cleared by `finished`).
 */
export function messageSignal(actorId: string, env: Envelope): AbortSignal {
  let ctl = env.ctl
  if (ctl === undefined) {
    ctl = env.ctl = new AbortController()
    const deadline = env.deadline
    if (deadline !== undefined) {
      const left = deadline - Date.now()
      const expire = (): void => cancel(env, new TimeoutError(actorId, `message '${env.msg}' past its deadline`, Math.max(0, left)))
      if (left <= 0) expire()
      else env.deadlineTimer = later(left, expire)
    }
  }
  return ctl.signal
}

/** The message was handled (or failed): its deadline timer, if any, is not needed any more. */
export function finished(env: Envelope): void {
  if (env.deadlineTimer !== undefined) {
    cancelLater(env.deadlineTimer)
    env.deadlineTimer = undefined
  }
}

/**
 * A told message, with the `deadline` of `opts` if any (checked: a finite `Date.now()`-based number of ms).
 * @throws InvalidArgumentError / OutOfRangeError for bad options
 */
export function toldEnvelope(targetId: string, msg: string, args: Args | undefined, opts: unknown): Envelope {
  if (opts === undefined) return { msg, args, reply: undefined }
  const deadline = readDeadline(`actor ${targetId}: tell()`, opts)
  return deadline === undefined ? { msg, args, reply: undefined } : { msg, args, reply: undefined, deadline }
}

/** `opts.deadline`, checked: undefined, or a finite number (ms since the epoch, as `Date.now()`). */
export function readDeadline(where: string, opts: unknown): number | undefined {
  checkOptions(where, opts, 'an object { timeout?, signal?, deadline? } or undefined')
  const deadline = opts === undefined ? undefined : readOptionFields(where, opts as object, ['deadline']).deadline
  if (deadline === undefined) return undefined
  if (typeof deadline !== 'number') throw new InvalidArgumentError(where, 'options.deadline', 'a time in ms since the epoch (Date.now())', deadline)
  if (!Number.isFinite(deadline)) throw new OutOfRangeError(where, 'options.deadline', 'a finite time in ms since the epoch', deadline)
  return deadline
}
