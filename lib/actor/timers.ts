/**
 * Keyed timers of one actor: a timer sends a message to the actor itself. A new timer with the same key replaces
 * the old one; all are cancelled when the actor stops.
 */
import type { Args } from '../machine/index.js'
import { ActorTerminatedError } from './errors.js'
import type { ActorTimers } from './types.js'

export class Timers<N extends string = string> implements ActorTimers<N> {
  private readonly active = new Map<string, { handle: ReturnType<typeof setTimeout>; repeat: boolean }>()
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
    const t = this.active.get(key)
    if (!t) return false
    if (t.repeat) clearInterval(t.handle)
    else clearTimeout(t.handle)
    this.active.delete(key)
    return true
  }

  has(key: string): boolean {
    return this.active.has(key)
  }

  get size(): number {
    return this.active.size
  }

  /** Cancels every timer and refuses new ones (the actor stopped). */
  close(): void {
    for (const key of [...this.active.keys()]) this.cancel(key)
    this.closed = true
  }

  private start(key: string, msg: N, ms: number, args: Args | undefined, repeat: boolean): void {
    if (typeof key !== 'string') throw new TypeError(`timer key must be a string, got ${typeof key}`)
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timer delay must be a finite number ≥ 0, got ${ms}`)
    this.check(msg)
    if (this.closed) throw new ActorTerminatedError(this.actorId, msg)
    this.cancel(key)
    const fire = (): void => {
      if (!repeat) this.active.delete(key)
      this.send(msg, args)
    }
    const handle = repeat ? setInterval(fire, ms) : setTimeout(fire, ms)
    this.active.set(key, { handle, repeat })
  }
}
