/**
 * A bounded mailbox with an overflow policy. Protected messages are never dropped or refused: when the mailbox is
 * full they are let in over capacity (an actor must not lose, say, its `Shutdown` to a burst of traffic).
 */
import type { Args } from '../machine/index.js'

export type OverflowPolicy = 'block' | 'drop-newest' | 'drop-oldest' | 'reject' | 'red'

export interface MailboxOptions {
  /** Default 1000. */
  capacity?: number
  /** What a full mailbox does with a new message. Default `drop-newest`. */
  overflow?: OverflowPolicy
  /** Random early drop: nothing dropped below `low` queued messages, everything at `high` (default: 50% / 100%). */
  red?: { low: number; high: number }
  /** Source of randomness for `red` (tests pass a seeded one). Default `Math.random`. */
  random?: () => number
  /** Message names never dropped. */
  protected?: readonly string[]
}

/** Mailbox options without `block` (for refs whose `tell` must never return a Promise: pools, keyed actors). */
export type NonBlockingMailboxOptions = Omit<MailboxOptions, 'overflow'> & { overflow?: Exclude<OverflowPolicy, 'block'> }

/** One message in a mailbox; `reply` is set for asks. */
export interface Envelope {
  readonly msg: string
  readonly args: Args | undefined
  reply: { resolve(value: unknown): void; reject(err: unknown): void } | undefined
}

/** Why a message was dropped. */
export type DropReason = 'full' | 'oldest' | 'red'

export type OfferResult = 'accepted' | 'dropped' | 'full'

/** Settles an envelope's ask, at most once (the reply is taken out first); a told message has none. */
export function reply(env: Envelope, ok: boolean, value: unknown): void {
  const r = env.reply
  if (!r) return
  env.reply = undefined
  if (ok) r.resolve(value)
  else r.reject(value)
}

export class Mailbox {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  /** Messages accepted into the mailbox. */
  received = 0
  /** Messages dropped by the policy (the newest, the oldest, or early). */
  dropped = 0

  private items: Envelope[] = []
  private head = 0
  private readonly low: number
  private readonly high: number
  private readonly random: () => number
  private readonly protect: ReadonlySet<string>
  private roomWaiters: Array<() => void> = []

  constructor(
    opts: MailboxOptions,
    private readonly onDrop: (env: Envelope, reason: DropReason) => void,
  ) {
    const capacity = opts.capacity ?? 1000
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`mailbox capacity must be an integer ≥ 1, got ${capacity}`)
    this.capacity = capacity
    this.overflow = opts.overflow ?? 'drop-newest'
    const low = opts.red?.low ?? Math.floor(capacity / 2)
    const high = opts.red?.high ?? capacity
    if (!(low >= 0 && high > low && high <= capacity)) {
      throw new RangeError(`mailbox red watermarks need 0 ≤ low < high ≤ capacity, got low=${low} high=${high}`)
    }
    this.low = low
    this.high = high
    this.random = opts.random ?? Math.random
    this.protect = new Set(opts.protected ?? [])
  }

  get size(): number {
    return this.items.length - this.head
  }

  isProtected(msg: string): boolean {
    return this.protect.has(msg)
  }

  /**
   * Offers a message. `accepted`: queued. `dropped`: the policy shed it (already reported to `onDrop`). `full`: the
   * mailbox is full and the policy (`block`, `reject`) leaves the decision to the caller.
   */
  offer(env: Envelope): OfferResult {
    const size = this.size
    const prot = this.protect.has(env.msg)
    if (!prot && this.overflow === 'red' && size >= this.low && this.shouldDropEarly(size)) {
      this.drop(env, 'red')
      return 'dropped'
    }
    if (size >= this.capacity && !prot) {
      switch (this.overflow) {
        case 'block':
        case 'reject':
          return 'full'
        case 'drop-oldest':
          if (!this.dropOldest()) {
            this.drop(env, 'full')
            return 'dropped'
          }
          break
        default:
          this.drop(env, 'full')
          return 'dropped'
      }
    }
    this.items.push(env)
    this.received++
    return 'accepted'
  }

  take(): Envelope | undefined {
    if (this.head >= this.items.length) return undefined
    const env = this.items[this.head] as Envelope
    this.items[this.head++] = undefined as unknown as Envelope
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    if (this.roomWaiters.length > 0 && this.size < this.capacity) this.roomWaiters.shift()?.()
    return env
  }

  /** Puts messages kept from a previous incarnation in front, whatever the capacity: they were already accepted. */
  restore(envs: readonly Envelope[]): void {
    this.items = [...envs, ...this.items.slice(this.head)]
    this.head = 0
  }

  /** Removes and returns every queued message (for stop/shutdown). */
  drain(): Envelope[] {
    const out = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return out
  }

  /** Resolves when there is room (FIFO among waiters); `cancel` unregisters a waiter that gave up. */
  waitForRoom(): { promise: Promise<void>; cancel(): void } {
    let wake!: () => void
    const promise = new Promise<void>((resolve) => (wake = resolve))
    this.roomWaiters.push(wake)
    return {
      promise,
      cancel: () => {
        const i = this.roomWaiters.indexOf(wake)
        if (i >= 0) this.roomWaiters.splice(i, 1)
      },
    }
  }

  /** Wakes every room waiter (e.g. the actor stopped: they will find it terminated). */
  wakeAll(): void {
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }

  private shouldDropEarly(size: number): boolean {
    if (size >= this.high) return true
    return this.random() < (size - this.low) / (this.high - this.low)
  }

  private dropOldest(): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      const old = this.items[i] as Envelope
      if (this.protect.has(old.msg)) continue
      this.items.splice(i, 1)
      this.drop(old, 'oldest')
      return true
    }
    return false
  }

  private drop(env: Envelope, reason: DropReason): void {
    this.dropped++
    this.onDrop(env, reason)
  }
}
