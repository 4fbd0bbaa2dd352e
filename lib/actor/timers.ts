/**
 * Keyed timers of one actor: a timer sends a message to the actor itself. A new timer with the same key replaces
 * the old one; all are cancelled when the actor stops.
 */
import { InvalidArgumentError, OutOfRangeError, type Args } from '../machine/index.js'
import { checkArgs } from './check.js'
import { ActorTerminatedError } from './errors.js'
import { cancelLater, later, MAX_DELAY, type Later } from '../machine/internals.js'
import type { ActorTimers } from './types.js'

export class Timers<N extends string = string> implements ActorTimers<N> {
  private readonly active = new Map<string, { handle: Later }>()
  private closed = false

  /**
   * @param check throws for a name that is not a message of the actor (called when a timer is set)
   * @param send delivers without throwing: a message the mailbox refuses becomes a dead letter
   */
  constructor(
    private readonly actorId: string,
    private readonly check: (msg: N) => void,
    private readonly send: (msg: N, args: Args | undefined) => void,
  ) {}

  /** Sends `msg` once after `delay` ms. Replaces a timer with the same key. */
  once(key: string, msg: N, delay: number, args?: Args): void {
    this.start(key, msg, delay, args, false)
  }

  /** Sends `msg` every `interval` ms until cancelled. Replaces a timer with the same key. */
  every(key: string, msg: N, interval: number, args?: Args): void {
    this.start(key, msg, interval, args, true)
  }

  /** Cancels the timer `key`; false when there was none. */
  cancel(key: string): boolean {
    this.checkKey('cancel', key)
    return this.clear(key)
  }

  has(key: string): boolean {
    this.checkKey('has', key)
    return this.active.has(key)
  }

  get size(): number {
    return this.active.size
  }

  /** Cancels every timer and refuses new ones (the actor stopped). */
  close(): void {
    for (const key of [...this.active.keys()]) this.clear(key)
    this.closed = true
  }

  private clear(key: string): boolean {
    const t = this.active.get(key)
    if (!t) return false
    cancelLater(t.handle) // clearTimeout clears intervals too
    this.active.delete(key)
    return true
  }

  private checkKey(fn: string, key: unknown): void {
    if (typeof key !== 'string') throw new InvalidArgumentError(`actor ${this.actorId}: timers.${fn}()`, 'key', 'a string', key)
  }

  /** Delays above `setTimeout`'s limit (about 24.8 days) are waited out in steps; `every` repeats them the same way. */
  private start(key: string, msg: N, ms: number, args: Args | undefined, repeat: boolean): void {
    const fn = repeat ? 'every' : 'once'
    const where = `actor ${this.actorId}: timers.${fn}()`
    const what = repeat ? 'interval' : 'delay'
    this.checkKey(fn, key)
    if (typeof ms !== 'number') throw new InvalidArgumentError(where, what, 'a finite number of ms ≥ 0', ms)
    if (!Number.isFinite(ms) || ms < 0) throw new OutOfRangeError(where, what, 'a finite number of ms ≥ 0', ms)
    this.check(msg)
    checkArgs(this.actorId, `timers.${fn}`, args)
    if (this.closed) throw new ActorTerminatedError(this.actorId, msg)
    this.clear(key)
    const entry: { handle: Later } = { handle: undefined }
    const fire = (): void => {
      if (!repeat) this.active.delete(key)
      else if (ms > MAX_DELAY) entry.handle = later(ms, fire)
      this.send(msg, args)
    }
    entry.handle = repeat && ms <= MAX_DELAY ? setInterval(fire, ms) : later(ms, fire)
    this.active.set(key, entry)
  }
}
