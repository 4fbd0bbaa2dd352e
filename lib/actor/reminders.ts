/**
 * Durable reminders (Orleans reminders) of a keyed supervisor: `set(key, name, { at | every })` stores the reminder
 * in the `Store`; when it comes due the keyed actor for `key` gets message `name` (activated if passivated). They
 * outlive the process: at start every stored reminder is read back, a missed one fires once at once and an
 * `every` one then resumes its schedule. A reminder fires at least once per due time: it is delivered first, then
 * its next due time (or its removal) is written. Every store call is bounded by the store-call timeout
 * (`StoreTimeoutError`, `ERR_STORE_TIMEOUT`): a hung store fails `set`/`cancel`/`list`, puts the service in `ErrStore`
 * while firing, and never stops the reminders kept in memory from firing.
 */
import { InvalidArgumentError, Machine, type Args } from '../machine/index.js'
import { cancelLater, describe, later, type Later } from '../machine/internals.js'
import { callStore, compareKeys, isStoreError, StoreCallTimers, type Store, type StoreValue } from '../store/index.js'
import { UnknownMessageError } from './errors.js'
import { ActorStateError, RemindersStoppedError } from './persistence-errors.js'
import { DueQueue, type Due } from './reminder-queue.js'
import { parseReminder, readHost, readReminderOptions, type Reminder } from './reminders-check.js'
import { RemindersSchema } from './reminders.schema.js'

/** When a reminder fires: at a time, every `every` ms, or both (first at `at`, then every `every` ms). */
export interface ReminderOptions {
  /** The first (or only) due time: ms since the epoch (`Date.now()` style) or a `Date`. */
  at?: number | Date
  /** Fire again every this many ms (an integer ≥ 1); the first time `every` ms from now unless `at` is given. */
  every?: number
  /** The message delivered: a message state of the actors' schema (default: the reminder's name). */
  msg?: string
  /** Plain data added to the message's args (with `reminder` = the name and `due` = the due time). */
  args?: Record<string, StoreValue>
}

/** A stored reminder. */
export interface ReminderInfo {
  readonly key: string
  readonly name: string
  /** The message it delivers. */
  readonly msg: string
  /** The next due time, ms since the epoch. */
  readonly due: number
  readonly every: number | undefined
  readonly args: Readonly<Record<string, StoreValue>> | undefined
}

/** The reminders of one key: `set`, `cancel` and `list` of `Reminders` with the key bound. */
export interface KeyReminders {
  set(name: string, options: ReminderOptions): Promise<void>
  cancel(name: string): Promise<boolean>
  list(): Promise<ReminderInfo[]>
}

/** What the reminders need from their keyed supervisor. */
export interface RemindersHost {
  readonly id: string
  readonly store: Store
  /** Store keys start with `<namespace>/reminder/`. */
  readonly namespace: string
  isMessage(name: string): boolean
  deliver(key: string, name: string, args: Args): void
  /** Each store call fails with `StoreTimeoutError` after this many ms (default 10 000; `Infinity`: none). */
  readonly storeTimeout?: number
}

/** How many reminders one firing round handles before yielding to the event loop. */
const ROUND = 1024
/** Retry delays for reading the reminders at start. */
const RETRY_MIN = 200
const RETRY_MAX = 30_000

export class Reminders {
  /** Loading → Ready (→ Stopped); `Fired` per delivery; `ErrStore` when the store fails. */
  readonly machine: Machine<(typeof RemindersSchema.names)[number]>
  /** Reminders delivered so far by this process. */
  fired = 0

  private readonly entries = new Map<string, Reminder>()
  private readonly queue = new DueQueue()
  /** Cancelled while loading: the read may still return them. */
  private readonly cancelled = new Set<string>()
  private timer: Later
  private retryTimer: Later
  private timerDue = Infinity
  private firing = false
  private stopped = false
  private gen = 0
  private retry = RETRY_MIN
  /** Store calls not answered yet: `stop()` fails them. */
  private readonly calls = new Set<(err: unknown) => void>()
  private readonly timers = new StoreCallTimers()

  private readonly host: Required<RemindersHost>

  constructor(host: RemindersHost) {
    this.host = readHost(host)
    this.machine = new Machine(RemindersSchema, { id: `${host.id}/reminders` })
    this.load()
  }

  /**
   * Stores reminder `name` for `key` (replacing one of the same name) and schedules it; resolves once stored.
   * It delivers message `options.msg`, by default `name` itself, which must then be a message of the schema.
   *
   * ```ts
   * await invoices.reminders.set('customer-7', 'Bill', { every: 30 * 24 * 3600_000 }) // monthly
   * await invoices.reminders.set('customer-7', 'dunning-1', { at: Date.now() + 3 * 24 * 3600_000, msg: 'Remind' })
   * ```
   */
  set(key: string, name: string, options: ReminderOptions): Promise<void> {
    const where = `keyed ${this.host.id}: reminders.set()`
    const id = this.storeKey(where, key, name)
    const { due, every, args, msg = name } = readReminderOptions(where, options)
    if (!this.host.isMessage(msg)) throw new UnknownMessageError(this.host.id, msg, 'is not a message: a reminder delivers a message state')
    if (this.stopped) return Promise.reject(new RemindersStoppedError(this.host.id, 'set()'))
    const record = { format: 1, key, name, msg, due, every: every ?? null, args: args ?? null }
    return this.call(`put('${id}')`, () => this.host.store.put(id, record), (late) => {
      // set() already failed with a timeout, but the reminder was stored after all: take what is stored now
      if (late.ok && !this.stopped) void this.reread(id)
    }).then((revision) => {
      this.cancelled.delete(id)
      this.schedule(id, { key, name, msg, due, every, args, revision, gen: 0 })
    })
  }

  /** The reminders of one key (what a `PersistentKeyed` handler gets as `ctx.reminders`). */
  forKey(key: string): KeyReminders {
    return {
      set: (name, options) => this.set(key, name, options),
      cancel: (name) => this.cancel(key, name),
      list: () => this.list(key),
    }
  }

  /** Removes reminder `name` of `key`; resolves to false when there was none. */
  cancel(key: string, name: string): Promise<boolean> {
    const id = this.storeKey(`keyed ${this.host.id}: reminders.cancel()`, key, name)
    if (this.stopped) return Promise.reject(new RemindersStoppedError(this.host.id, 'cancel()'))
    if (this.machine.is('Loading')) this.cancelled.add(id)
    this.entries.delete(id)
    return this.call(`delete('${id}')`, () => this.host.store.delete(id))
  }

  /** The stored reminders of `key` (all keys when omitted), in store key order. */
  list(key?: string): Promise<ReminderInfo[]> {
    const where = `keyed ${this.host.id}: reminders.list()`
    if (key !== undefined && (typeof key !== 'string' || key === '')) {
      throw new InvalidArgumentError(where, 'key', 'a non-empty string or undefined', key)
    }
    let prefix = `${this.host.namespace}/reminder/`
    try {
      if (key !== undefined) prefix += `${encodeURIComponent(key)}/`
    } catch {
      throw new InvalidArgumentError(where, 'key', 'a well-formed string', key)
    }
    const out: ReminderInfo[] = []
    return this.scan(prefix, (r) => {
      const { key: k, name, msg, due, every, args } = r
      out.push({ key: k, name, msg, due, every, args })
    }).then(() => out)
  }

  /** No more firings (the keyed supervisor stops); stored reminders stay for the next start. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    cancelLater(this.timer)
    cancelLater(this.retryTimer)
    this.timer = this.retryTimer = undefined
    this.timers.release()
    const calls = [...this.calls]
    this.calls.clear()
    for (const fail of calls) fail(new RemindersStoppedError(this.host.id, 'wait for the store any longer (the call may still land)'))
    this.machine.add('Stopped')
  }

  // --- loading -------------------------------------------------------------------------------------------------

  private load(): void {
    if (this.stopped) return
    this.machine.add('Loading')
    const found: Array<[string, Reminder]> = []
    this.scan(`${this.host.namespace}/reminder/`, (r, id) => found.push([id, r])).then(() => {
      if (this.stopped) return
      for (const [id, r] of found) {
        const mine = this.entries.get(id)
        if (this.cancelled.has(id) || (mine && mine.revision >= r.revision)) continue
        this.schedule(id, r)
      }
      this.cancelled.clear()
      this.machine.add('Ready')
      this.arm()
    }, (err: unknown) => {
      if (this.stopped) return
      this.machine.addErrState('ErrStore', err)
      this.retryTimer = later(this.retry, () => this.load())
      this.retry = Math.min(this.retry * 2, RETRY_MAX)
    })
  }

  /**
   * Every reminder record under `prefix`, page by page; an unreadable record is reported and skipped. A store whose
   * page does not move past the one before (it ignores `after`) fails the scan instead of looping forever.
   */
  private async scan(prefix: string, each: (r: Reminder, id: string) => void): Promise<void> {
    let after: string | undefined
    for (;;) {
      const options = { prefix, limit: 500, ...(after !== undefined && { after }) }
      const page = await this.call(`list('${prefix}')`, () => this.host.store.list(options))
      if (page.length === 0) return
      const last = page[page.length - 1]?.key
      if (typeof last !== 'string' || (after !== undefined && compareKeys(last, after) <= 0)) {
        throw new ActorStateError('ERR_STATE_LOAD', this.host.id, prefix, `the store's list() page ends at ${
          describe(last)}, not after ${describe(after)}: it does not page`)
      }
      for (const { key: id, value, revision } of page) {
        const r = parseReminder(value, revision)
        if (r) each(r, id)
        else this.machine.addErr(new ActorStateError('ERR_STATE_LOAD', this.host.id, id, `unreadable reminder record ${describe(value)}, skipped`))
      }
      after = last
    }
  }

  // --- firing --------------------------------------------------------------------------------------------------

  private schedule(id: string, r: Reminder): void {
    r.gen = ++this.gen
    this.entries.set(id, r)
    this.queue.push({ due: r.due, id, gen: r.gen })
    this.arm()
  }

  private readonly live = (d: Due): boolean => {
    const r = this.entries.get(d.id)
    return r !== undefined && r.gen === d.gen && r.due === d.due
  }

  /** One timer, for the earliest due reminder (none while loading, firing or stopped). */
  private arm(): void {
    if (this.stopped || this.firing || !this.machine.is('Ready')) return
    const next = this.queue.peek(this.live)
    if (next === undefined || next.due >= this.timerDue) {
      if (next === undefined) this.disarm()
      return
    }
    this.disarm()
    this.timerDue = next.due
    this.timer = later(Math.max(0, next.due - Date.now()), () => {
      this.timer = undefined
      this.timerDue = Infinity
      this.fire().catch((err: unknown) => this.machine.addErr(err))
    })
  }

  private disarm(): void {
    cancelLater(this.timer)
    this.timer = undefined
    this.timerDue = Infinity
  }

  /**
   * Delivers what is due (at most `ROUND` per round, so a flood yields), then writes their next due times (the
   * deliveries do not wait for the store), then re-arms.
   */
  private async fire(): Promise<void> {
    this.firing = true
    try {
      const now = Date.now()
      const due: Array<[string, Reminder]> = []
      while (due.length < ROUND) {
        const d = this.queue.peek(this.live)
        if (d === undefined || d.due > now) break
        this.queue.pop()
        const r = this.entries.get(d.id) as Reminder
        due.push([d.id, r])
        this.deliver(r)
      }
      // concurrently: a store that hangs costs one store timeout per round, not one per reminder
      if (!this.stopped) await Promise.all(due.map(([id, r]) => this.advance(id, r, now)))
    } finally {
      this.firing = false
    }
    this.arm()
  }

  private deliver(r: Reminder): void {
    this.fired++
    try {
      this.host.deliver(r.key, r.msg, { ...r.args, reminder: r.name, due: r.due })
    } catch (err) {
      this.machine.addErr(err)
    }
    this.machine.add('Fired', { key: r.key, name: r.name, due: r.due })
  }

  /** After a delivery: the next due time of an `every` reminder (missed ones skipped), or the removal of an `at` one. */
  private async advance(id: string, r: Reminder, now: number): Promise<void> {
    const store = this.host.store
    try {
      const current = this.entries.get(id) === r // not replaced by set() or cancelled meanwhile
      if (r.every === undefined) {
        if (current) this.entries.delete(id)
        await this.call(`delete('${id}')`, () => store.delete(id, { expected: r.revision }))
        return
      }
      const due = r.due + r.every * (Math.floor((now - r.due) / r.every) + 1)
      const next: Reminder = { ...r, due }
      if (current) this.schedule(id, next) // keeps its schedule in memory even if the write below fails
      const record = { format: 1, key: r.key, name: r.name, msg: r.msg, due, every: r.every, args: r.args ?? null }
      next.revision = await this.call(`put('${id}')`, () => store.put(id, record, { expected: r.revision }))
    } catch (err) {
      if (isStoreError(err, 'ERR_STORE_CONFLICT')) return this.reread(id)
      if (!this.stopped) this.machine.addErrState('ErrStore', err, { id })
    }
  }

  /** Someone else changed the reminder (`set` again, `cancel`, another process): take what is stored. */
  private async reread(id: string): Promise<void> {
    try {
      const got = await this.call(`get('${id}')`, () => this.host.store.get(id))
      const r = got && parseReminder(got.value, got.revision)
      if (r) this.schedule(id, r)
      else this.entries.delete(id)
    } catch (err) {
      if (!this.stopped) this.machine.addErrState('ErrStore', err, { id })
    }
  }

  /** One store call, bounded by the store-call timeout. */
  private call<T>(what: string, fn: () => Promise<T>, late?: Parameters<typeof callStore<T>>[3]): Promise<T> {
    const answer = callStore(what, this.host.storeTimeout, fn, late, this.timers)
    return new Promise<T>((resolve, reject) => {
      const fail = (err: unknown): void => reject(err as Error)
      this.calls.add(fail)
      answer.then(resolve, fail).finally(() => this.calls.delete(fail))
    })
  }

  private storeKey(where: string, key: unknown, name: unknown): string {
    if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(where, 'key', 'a non-empty string', key)
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(where, 'name', 'a message name', name)
    try {
      return `${this.host.namespace}/reminder/${encodeURIComponent(key)}/${encodeURIComponent(name)}`
    } catch {
      throw new InvalidArgumentError(where, 'key', 'a well-formed string', key)
    }
  }
}
