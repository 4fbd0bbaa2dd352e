/**
 * The ask protocol, shared by every ref kind: an envelope whose reply settles a promise, bounded by a timeout, a
 * deadline and the asker's abort signal. Giving up cancels the message too (its handler's `e.signal` aborts; a
 * message still queued is not delivered). A settled ask leaves no timer or listener behind.
 */
import { TimeoutError, type Args } from '../machine/index.js'
import { readOptionFields } from './actor-options.js'
import { checkArgs, checkOptions, checkSignal, checkTimeout } from './check.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import { cancel, readDeadline, type Envelope, type Reply } from './envelope.js'
import type { AskOptions } from './types.js'

/** Where an ask sends its envelope: an actor, a supervised child, a keyed ref. */
export interface AskTarget {
  readonly id: string
  enqueue(env: Envelope, opts: AskOptions | undefined): void | Promise<void>
}

/**
 * An ask in flight: the reply its envelope carries. One object per ask (no closures but the promise's own); it is
 * its own abort listener (`handleEvent`).
 */
class PendingAsk implements Reply {
  res!: (value: unknown) => void
  rej!: (err: unknown) => void
  timer: Later = undefined
  signal: AbortSignal | undefined = undefined
  readonly env: Envelope

  constructor(msg: string, args: Args | undefined) {
    this.env = { msg, args, reply: this }
  }

  resolve(value: unknown): void {
    this.cleanup()
    this.res(value)
  }

  reject(err: unknown): void {
    this.cleanup()
    this.rej(err)
  }

  /** The asker gives up (timeout, abort, refused send): the reply is dropped and the message cancelled. */
  giveUp(err: unknown): void {
    if (this.env.reply !== this) return
    this.env.reply = undefined
    this.cleanup()
    cancel(this.env, err)
    this.rej(err)
  }

  /** The asker's signal aborted. */
  handleEvent(): void {
    this.giveUp(this.signal?.reason)
  }

  private cleanup(): void {
    if (this.timer !== undefined) cancelLater(this.timer)
    this.signal?.removeEventListener('abort', this)
  }
}

/**
 * Sends `msg` to `target` as an ask; resolves with the reply. Bad args or options throw (synchronously), an
 * `InvalidArgumentError` / `OutOfRangeError`; everything else rejects. `timeout` and `deadline` reject with a
 * `TimeoutError`, the signal with its reason; each of them also cancels the message.
 */
export function ask(target: AskTarget, msg: string, args: Args | undefined, opts: AskOptions | undefined): Promise<unknown> {
  checkArgs(target.id, 'ask', args)
  let timeout: number | undefined
  let signal: AbortSignal | undefined
  if (opts !== undefined) {
    const where = `actor ${target.id}: ask()`
    checkOptions(where, opts, 'an object { timeout?, signal?, deadline? } or undefined')
    // read once, inside a guard: the checks below and the delivery see plain values, never a throwing getter
    try {
      const o: AskOptions = opts
      opts = { timeout: o.timeout, signal: o.signal, deadline: o.deadline } as AskOptions
    } catch {
      opts = readOptionFields(where, opts, ['timeout', 'signal', 'deadline']) as AskOptions // names the option that threw
    }
    const deadline = readDeadline(where, opts)
    timeout = opts.timeout
    signal = opts.signal
    checkTimeout(where, 'options.timeout', timeout)
    checkSignal(where, 'options.signal', signal)
    if (signal?.aborted) return Promise.reject(signal.reason as Error)
    if (deadline !== undefined) timeout = Math.max(0, Math.min(timeout ?? Infinity, deadline - Date.now()))
  }
  const pending = new PendingAsk(msg, args)
  const promise = new Promise<unknown>((resolve, reject) => {
    pending.res = resolve
    pending.rej = reject
  })
  if (timeout !== undefined) {
    const ms = timeout
    pending.timer = later(ms, () => pending.giveUp(new TimeoutError(target.id, `ask(${msg})`, ms)))
  }
  if (signal !== undefined) {
    pending.signal = signal
    signal.addEventListener('abort', pending, { once: true })
  }
  try {
    const sent = target.enqueue(pending.env, opts)
    if (sent !== undefined) sent.catch((err: unknown) => pending.giveUp(err))
  } catch (err) {
    pending.giveUp(err)
  }
  return promise
}
