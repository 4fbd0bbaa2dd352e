/**
 * What the final handler of the message being delivered did: returned a reply (a value, or a thenable adopted into a
 * native Promise), threw, or did not run. One per actor (deliveries never nest); reset by `begin()`.
 */
import { Result, type Event } from '../machine/index.js'
import type { Envelope } from './envelope.js'
import { asError } from './errors.js'

/** `${msg}State` per message name, shared by all actors, so deliveries build no strings. */
const STATE_NAMES = new Map<string, string>()
/** The last pair looked up: a run of one message name (the common case) skips the Map. Module-wide, not per actor. */
let lastMsg = ''
let lastName = ''

export class Delivery {
  /** `${msg}State` of the message being delivered, or null between deliveries. */
  name: string | null = null
  /** The message being delivered, for error messages. */
  msg = ''
  /** Its envelope (its signal and deadline), or null for Start. */
  env: Envelope | null = null
  /** What `add` returned for the message state. */
  added: Result = Result.Canceled
  handled = false
  /** The reply, or (when `async`) a native Promise of it. */
  result: unknown = undefined
  async = false
  threw = false
  error: unknown = undefined

  constructor(private readonly actorId: string) {}

  begin(msg: string, env: Envelope | null): void {
    let name = lastName
    if (msg !== lastMsg) {
      const known = STATE_NAMES.get(msg)
      name = known ?? `${msg}State`
      if (known === undefined) STATE_NAMES.set(msg, name)
      lastMsg = msg
      lastName = name
    }
    this.name = name
    this.msg = msg
    this.env = env
    this.added = Result.Canceled
    this.handled = false
    this.result = undefined
    this.async = false
    this.threw = false
    this.error = undefined
  }

  /**
   * True when `e` is the State handler of the message (or Start) being delivered: the first `${msg}State` of the
   * delivery (later ones come from mutations it queued).
   */
  isDelivered(e: Event): boolean {
    return this.name === e.name && !this.handled
  }

  /**
   * Records what the delivered message's State handler returned, and returns what the machine should see: the value
   * itself, or for a thenable a native Promise of it (its `then` read once, guarded), rejecting with an Error.
   * @throws the error to report when reading the value's `then` threw (the message then fails, not the process)
   */
  captured(value: unknown): unknown {
    this.handled = true
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      this.result = value
      return value
    }
    let then: unknown
    try {
      then = (value as { then?: unknown }).then
    } catch (err) {
      throw this.failed(err)
    }
    if (typeof then !== 'function') {
      this.result = value
      return value
    }
    const p = adopt(then as Then, value, this.actorId, this.msg)
    this.async = true
    this.result = p
    const signal = this.env?.ctl?.signal
    return signal === undefined ? p : p.catch((err: unknown) => notCancellation(signal, err))
  }

  /** Records that the delivered message's State handler threw; returns the error to rethrow (an Error). */
  failed(thrown: unknown): unknown {
    const err = asError(this.actorId, this.msg, thrown)
    this.handled = true
    this.threw = true
    this.error = err
    return err
  }

  /** `add` itself threw (not the handler): the message fails; a Promise its handler returned is left to settle. */
  addThrew(err: unknown): void {
    if (this.async) (this.result as Promise<unknown>).catch(() => undefined)
    if (!this.threw) this.failed(err)
    this.async = false
  }
}

/**
 * What the machine sees of a handler that read its message's signal: a rejection with that signal's own reason is
 * the message's cancellation, not a failure of the actor (the message still fails; the actor stays out of
 * `Exception`); any other rejection is rethrown.
 */
function notCancellation(signal: AbortSignal, err: unknown): undefined {
  if (signal.aborted && signal.reason === err) return undefined
  throw err
}

export type Then = (ok: (v: unknown) => void, no: (e: unknown) => void) => unknown

/**
 * A native Promise of a thenable reply, whose `then` the caller read once: the machine and the actor only ever touch
 * this one. A `then` that throws, or calls back more than once, settles it once; a rejection with a non-Error becomes
 * an `ActorFailedError` carrying it.
 */
export function adopt(then: Then, value: unknown, actorId: string, msg: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => reject(asError(actorId, msg, err))
    try {
      then.call(value, resolve, fail)
    } catch (err) {
      fail(err)
    }
  })
}
