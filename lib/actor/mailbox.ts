/**
 * A bounded mailbox with an overflow policy. Protected messages are never dropped or refused: when the mailbox is
 * full they are let in over capacity (an actor must not lose, say, its `Shutdown` to a burst of traffic).
 */
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'
import { safeString } from '../machine/internals.js'
import { isArray } from './check.js'
import type { Envelope } from './envelope.js'

export { reply, type Envelope } from './envelope.js'

export type OverflowPolicy = 'block' | 'drop-newest' | 'drop-oldest' | 'reject' | 'red'

/** Every overflow policy, for checks and messages. */
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['block', 'drop-newest', 'drop-oldest', 'reject', 'red']

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

/** The policies under which `tell` never waits (refs whose `tell` must never return a Promise: pools, keyed actors). */
export type NonBlockingPolicy = Exclude<OverflowPolicy, 'block'>

/** Mailbox options without `block`. */
export type NonBlockingMailboxOptions = Omit<MailboxOptions, 'overflow'> & { overflow?: NonBlockingPolicy }


/** Why a message was dropped. */
export type DropReason = 'full' | 'oldest' | 'red'

export type OfferResult = 'accepted' | 'dropped' | 'full'


/**
 * Reads and checks mailbox options into a plain copy (each field read once; a getter that throws is a bad option).
 * `where` names the function that was given them, for the error message.
 * @throws InvalidArgumentError for a wrong type or an unknown `overflow`; OutOfRangeError for a bad number.
 */
export function readMailboxOptions(where: string, opts: unknown, prefix = 'options.mailbox'): MailboxOptions {
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null || isArray(opts)) {
    throw new InvalidArgumentError(where, prefix, 'a mailbox options object or undefined', opts)
  }
  const get = (key: string): unknown => {
    try {
      return (opts as Record<string, unknown>)[key]
    } catch (err) {
      const e = new InvalidArgumentError(where, `${prefix}.${key}`, `readable (reading it threw: ${safeString(err)})`, opts)
      throw Object.assign(e, { cause: err })
    }
  }
  const out: MailboxOptions = {}
  const capacity = get('capacity')
  if (capacity !== undefined) {
    if (typeof capacity !== 'number') throw new InvalidArgumentError(where, `${prefix}.capacity`, 'an integer ≥ 1', capacity)
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new OutOfRangeError(where, `${prefix}.capacity`, 'an integer ≥ 1', capacity)
    out.capacity = capacity
  }
  const overflow = get('overflow')
  if (overflow !== undefined) {
    if (!OVERFLOW_POLICIES.includes(overflow as OverflowPolicy)) {
      throw new InvalidArgumentError(where, `${prefix}.overflow`, `one of ${OVERFLOW_POLICIES.map((p) => `'${p}'`).join(', ')}`, overflow)
    }
    out.overflow = overflow as OverflowPolicy
  }
  const red = get('red')
  if (red !== undefined) {
    const expected = 'an object { low, high } of numbers'
    if (typeof red !== 'object' || red === null) throw new InvalidArgumentError(where, `${prefix}.red`, expected, red)
    let low: unknown, high: unknown
    try {
      ({ low, high } = red as { low: unknown; high: unknown })
    } catch (err) {
      throw new InvalidArgumentError(where, `${prefix}.red`, `readable (reading it threw: ${safeString(err)})`, red)
    }
    if (typeof low !== 'number') throw new InvalidArgumentError(where, `${prefix}.red.low`, 'a number', low)
    if (typeof high !== 'number') throw new InvalidArgumentError(where, `${prefix}.red.high`, 'a number', high)
    out.red = { low, high }
  }
  const random = get('random')
  if (random !== undefined) {
    if (typeof random !== 'function') throw new InvalidArgumentError(where, `${prefix}.random`, 'a function () => number in [0, 1)', random)
    out.random = random as () => number
  }
  const prot = get('protected')
  if (prot !== undefined) {
    let names: string[] | null = null
    try {
      if (Array.isArray(prot) && prot.every((m) => typeof m === 'string')) names = [...prot] as string[]
    } catch {
      names = null // a revoked or trapping proxy
    }
    if (names === null) throw new InvalidArgumentError(where, `${prefix}.protected`, 'an array of message names', prot)
    out.protected = names
  }
  // checked once merged with the defaults: the watermarks depend on the capacity
  const cap = out.capacity ?? 1000
  if (out.red) {
    const { low, high } = out.red
    if (!(low >= 0 && high > low && high <= cap)) {
      throw new OutOfRangeError(where, `${prefix}.red`, `watermarks with 0 ≤ low < high ≤ capacity (${cap})`, `low=${low} high=${high}`)
    }
  }
  return out
}

export class Mailbox {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  /**
   * Messages the mailbox took: queued or shed by its policy, each counted once, whatever the policy. A message refused
   * with `MailboxFullError` (`reject`) or still waiting for room (`block`) was not taken. So `received - dropped` is
   * the number of messages that were queued.
   */
  received = 0
  /** Of those, the messages shed by the policy (the newest, the oldest, or early). */
  dropped = 0

  /** Queued from `head` on; taken slots are cleared (undefined) so that handled messages can be collected. */
  private items: Array<Envelope | undefined> = []
  private head = 0
  private readonly low: number
  private readonly high: number
  private readonly random: () => number
  private readonly protect: ReadonlySet<string>
  private roomWaiters: Array<() => void> = []

  /** @throws InvalidArgumentError / OutOfRangeError for bad options (see `readMailboxOptions`). */
  constructor(
    options: MailboxOptions,
    private readonly onDrop: (env: Envelope, reason: DropReason) => void,
    where = 'new Mailbox()',
  ) {
    const opts = readMailboxOptions(where, options, 'options')
    const capacity = opts.capacity ?? 1000
    this.capacity = capacity
    this.overflow = opts.overflow ?? 'drop-newest'
    const low = opts.red?.low ?? Math.floor(capacity / 2)
    const high = opts.red?.high ?? capacity
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
    const prot = this.protect.size !== 0 && this.protect.has(env.msg)
    if (!prot && this.overflow === 'red' && size >= this.low && this.shouldDropEarly(size)) {
      this.received++
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
            this.received++
            this.drop(env, 'full')
            return 'dropped'
          }
          break
        default:
          this.received++
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
    const env = this.items[this.head]
    this.items[this.head++] = undefined
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
    const out: Envelope[] = []
    for (let i = this.head; i < this.items.length; i++) {
      const env = this.items[i]
      if (env) out.push(env)
    }
    this.items = []
    this.head = 0
    return out
  }

  /**
   * Resolves when there is room (FIFO among waiters; `front` for a sender that was woken but lost the room to another
   * one). `cancel` unregisters a waiter that gave up, and returns false when it had already been woken: the caller
   * must then pass the room on (`wakeNext`), or the next sender would wait although there is room.
   */
  waitForRoom(front = false): { promise: Promise<void>; cancel(): boolean } {
    let wake!: () => void
    const promise = new Promise<void>((resolve) => (wake = resolve))
    if (front) this.roomWaiters.unshift(wake)
    else this.roomWaiters.push(wake)
    return {
      promise,
      cancel: () => {
        const i = this.roomWaiters.indexOf(wake)
        if (i < 0) return false
        this.roomWaiters.splice(i, 1)
        return true
      },
    }
  }

  /** Wakes the next room waiter if there is room (a woken sender gave up without using it). */
  wakeNext(): void {
    if (this.roomWaiters.length > 0 && this.size < this.capacity) this.roomWaiters.shift()?.()
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
