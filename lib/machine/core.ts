/**
 * A machine's internal state, shared by the modules that implement it (transition, queue, waiters, observe).
 * `Machine` is the public face; it owns one `Core` and delegates to functions over it.
 */
import { AutoCandidates } from './auto.js'
import { describe, safeString } from './describe.js'
import { DisposedError, InvalidArgumentError, OutOfRangeError, UnknownStateError } from './errors.js'
import type { Binding, HandlerNames } from './handlers.js'
import { handlerNames } from './handlers.js'
import { Log } from './log.js'
import { drainBudgetOf } from './loops.js'
import type { Machine } from './machine.js'
import type { Mutation } from './mutation.js'
import type { Observers } from './observe.js'
import { stateChanged } from './reasons.js'
import { type MemoEntry, newBuffers, newMemoEntry, type Resolution, type ResolutionBuffers } from './resolution.js'
import { type ActiveStates, clear, Resolver } from './resolve.js'
import { type Compiled, compiled } from './schema.js'
import type { Tracer } from './tracer.js'
import { ClockLog } from './tx.js'
import { LogLevel, type MachineOptions, type Schema } from './types.js'
import { Waiters } from './waiters.js'

const resolvers = new WeakMap<Compiled, Resolver>()
/** `Core` as `setActive` sees it: the one place that writes these fields. */
type ActiveFields = { active: readonly number[]; activeEntry: MemoEntry | null }
const NO_BINDINGS: Binding[] = []
const NO_TRACERS: Tracer[] = []
const NO_TAGS: readonly string[] = Object.freeze([])
/** `Core.resolved` before the first transition: the empty resolution, read-only like every shared one. */
const NO_RESOLUTION = newMemoEntry(-1, 0, [], [], newBuffers())

export class Core implements ActiveStates {
  readonly schema: Schema<string>
  /** The schema's index and relation tables (schema.ts). */
  readonly tables: Compiled
  readonly resolver: Resolver
  readonly handlerNames: HandlerNames
  readonly machine: Machine<string>
  readonly id: string
  readonly parentId: string | undefined
  readonly tags: readonly string[]
  /** Ticks by state index; odd = active. */
  readonly clock: number[]
  /** Moves on with every write to `clock` (see `ClockLog`). */
  clockVersion = 0
  /** The clock-history segment of the latest transition record. */
  private lastLog: ClockLog | null = null
  /**
   * This machine's own list: `active` while `activeEntry` is null, otherwise a spare (its contents stale) that the
   * next computed resolution to apply takes as its buffer.
   */
  #ownActive: number[] = []
  /**
   * The active states, in the order of the last transition's targets: this machine's own list, or the targets of
   * `activeEntry`. Read-only for every module: `setActive` replaces it.
   */
  readonly active: readonly number[] = this.#ownActive
  /** The memo entry whose `targets` list is `active` itself; null when `active` is this machine's own list. */
  readonly activeEntry: MemoEntry | null = null
  /** This machine's own resolution buffers, made by its first computed resolution (with memo hits, maybe never). */
  buffers: ResolutionBuffers | null = null
  /** The resolution of the transition in progress (or of the last one): `buffers` or a memo entry. */
  resolved: Resolution = NO_RESOLUTION
  /** Parsed called states of an idle call (copied when queued). */
  readonly scratch: number[] = [-1] // one element: single-state calls overwrite it, never growing it
  /** `activeStates` as names, made on first read after each change of the active states. */
  activeNames: readonly string[] | null = null
  /** Auto-state candidates; null when the schema has no auto states. Told of every activity change. */
  readonly auto: AutoCandidates | null

  /** Queued mutations from `queueHead` on; the slots before it were dequeued and hold nothing. */
  queue: Array<Mutation | undefined> = []
  /** Position of the next mutation to dequeue. */
  queueHead = 0
  /** The auto round to run next (see `scheduleAuto`); null when none is pending. */
  autoNext: readonly number[] | null = null
  queueTick = 1
  /** Appended mutations not yet dequeued. */
  pending = 0
  processing = false
  readonly queueLimit: number
  /** Transitions per synchronous queue run before the rest continues in a macrotask (loops.ts). */
  readonly drainBudget: number
  /** The run is waiting for its next macrotask (`processing` stays true meanwhile). */
  suspended = false
  /** Times the current run yielded. */
  yields = 0
  /** Exception storm detection (loops.ts): counted failure re-adds, when counting started, storm in progress. */
  stormCount = 0
  stormStart = 0
  stormed = false

  disposed = false
  /** `dispose()` was called during a queue run; it happens when the run ends. */
  disposeRequested = false
  err: unknown = undefined

  bindings: Binding[] = NO_BINDINGS
  /** Some binding has a `FooFoo` handler. */
  hasSelf = false
  /** States that are the `Foo` of some binding's `FooBar` handler; null when there are none. */
  pairFrom: Set<number> | null = null
  /** Bindings made so far: numbers them for `[handler:N]` log lines and default ids. */
  bindSeq = 0
  tracers: Tracer[] = NO_TRACERS
  readonly log: Log
  /** Waiters, state signals and state watchers; created on first use (`ensureWaiters`). */
  waiters: Waiters | null = null
  /** rxjs subjects; created on first use. */
  observers: Observers | null = null
  /** A `Tx` record is built when handlers, tracers or transition observers need one. */
  wantsTx = false
  /** The last memo entry whose transition had handlers to run (transition.ts); forgotten when bindings change. */
  handledEntry: MemoEntry | null = null
  disposeFns: Array<() => void> | null = null

  constructor(machine: Machine<string>, s: Schema<string>, opts: MachineOptions<string>) {
    this.machine = machine
    this.schema = s
    this.tables = compiled(s)
    let r = resolvers.get(this.tables)
    if (!r) resolvers.set(this.tables, (r = new Resolver(this.tables)))
    this.resolver = r
    this.handlerNames = handlerNames(this.tables)
    this.id = opts.id ?? randomId()
    if (typeof this.id !== 'string' || this.id.length === 0) {
      throw new InvalidArgumentError('new Machine()', 'options.id', 'a non-empty string', this.id)
    }
    this.parentId = opts.parent?.id
    this.tags = opts.tags && opts.tags.length > 0 ? Object.freeze([...new Set(opts.tags)]) : NO_TAGS
    this.clock = new Array<number>(this.tables.n).fill(0)
    this.auto = this.tables.autoStates.length > 0 ? new AutoCandidates(this.tables, this.clock) : null
    const limit = opts.queueLimit ?? 1000
    if (!Number.isInteger(limit) || limit < 1) {
      throw new OutOfRangeError(`machine ${this.id}: new Machine()`, 'options.queueLimit', 'a positive integer', limit)
    }
    this.queueLimit = limit
    this.drainBudget = drainBudgetOf(opts.drainBudget)
    this.log = new Log(this.id, opts.logLevel ?? LogLevel.Nothing, opts.logger, opts.logArgs)
  }

  /**
   * The only writer of `active` and `activeEntry`: the targets of the resolution that applied (a transition), or a
   * list the caller made and hands over (a roll-back, `import()`). A memo entry's targets are shared as they are;
   * buffers' targets are taken and the buffers get this machine's former list to refill.
   */
  setActive(next: Resolution | number[]): void {
    const self = this as ActiveFields
    if (Array.isArray(next)) {
      self.active = this.#ownActive = next
      self.activeEntry = null
    } else if (next.kind === 'shared') {
      self.active = next.targets
      self.activeEntry = next
    } else {
      const spare = this.#ownActive
      self.active = this.#ownActive = next.targets
      self.activeEntry = null
      next.targets = spare
    }
    this.activeNames = null
  }

  get queueLen(): number {
    return this.queue.length - this.queueHead
  }

  isActive(i: number): boolean {
    return ((this.clock[i] as number) & 1) === 1
  }

  /** The clock-history segment for a new transition record: the latest one while it is current and not full. */
  clockLog(): ClockLog {
    const log = this.lastLog
    if (log && log.version === this.clockVersion && !log.full) return log
    return (this.lastLog = new ClockLog(this.clock, this.clockVersion))
  }

  /** The latest clock-history segment while a record may continue it; null when the next record starts a new one. */
  openClockLog(): ClockLog | null {
    const log = this.lastLog
    return log !== null && log.version === this.clockVersion && !log.full ? log : null
  }

  /**
   * Records that the ticks of `a` and `b` were just written, in the clock history too when the transition has a
   * record (`log`). Every write to `clock` must be followed by this call.
   */
  clockWritten(log: ClockLog | null, a: readonly number[], b: readonly number[]): void {
    this.clockVersion++
    if (!log) return
    log.record(a, this.clock)
    log.record(b, this.clock)
    log.version = this.clockVersion
  }

  /** The waiters' registry, made on first use. */
  ensureWaiters(): Waiters {
    return (this.waiters ??= new Waiters(this))
  }

  refreshWantsTx(): void {
    this.wantsTx = this.bindings.length > 0 || this.tracers.length > 0 || (this.observers?.wantsTx() ?? false)
  }

  /** After bind/unbind: which handler kinds exist at all, so negotiation skips the loops of absent ones. */
  bindingsChanged(): void {
    this.handledEntry = null
    this.hasSelf = this.bindings.some((b) => b.self !== null)
    const from = new Set<number>()
    for (const b of this.bindings) b.pairFrom?.forEach((i) => from.add(i))
    this.pairFrom = from.size > 0 ? from : null
    this.refreshWantsTx()
  }

  /** Turns `'A'` or `['A', 'B']` into de-duplicated indexes, in `into` (default: a fresh array). */
  parse(states: unknown, where: string, into: number[] = []): number[] {
    const index = this.tables.index
    if (typeof states === 'string') {
      const last = this.tables.lastParsed
      let i: number | undefined
      if (states === last.name) i = last.index
      else {
        i = index.get(states)
        if (i === undefined) throw new UnknownStateError(this.id, [states], where)
        last.name = states
        last.index = i
      }
      // Overwrite a one-element scratch array in place: the common case, and cheaper than clearing it.
      if (into.length !== 1) {
        clear(into)
        into.push(i)
      } else into[0] = i
      return into
    }
    clear(into)
    let unknown: string[] | null = null
    try {
      if (!Array.isArray(states)) {
        throw new InvalidArgumentError(`machine ${this.id}: ${where}`, 'states', 'a state name or an array of them', states)
      }
      for (const s of states as unknown[]) {
        const i = typeof s === 'string' ? index.get(s) : undefined
        if (i === undefined) (unknown ??= []).push(typeof s === 'string' ? s : describe(s))
        else if (!into.includes(i)) into.push(i)
      }
    } catch (err) {
      // A proxy of an array whose traps throw (or a revoked one): the caller's bad argument, not a raw TypeError.
      if (err instanceof InvalidArgumentError) throw err
      clear(into)
      throw new InvalidArgumentError(`machine ${this.id}: ${where}`, 'states',
        `a readable state name or array of them (reading it threw: ${safeString(err)})`, states)
    }
    if (unknown) throw new UnknownStateError(this.id, unknown, where)
    return into
  }

  /** The names of the states of `list`. */
  names(list: readonly number[]): string[] {
    const names = this.tables.names
    return list.map((i) => names[i] as string)
  }

  /** The signal of the instance of state `i` that had `tick`: aborted once the tick moved on. */
  instanceSignal(i: number, tick: number): AbortSignal {
    if (this.disposed) return AbortSignal.abort(new DisposedError(this.id, `signal of ${this.tables.names[i] as string}`))
    if (this.clock[i] !== tick) return AbortSignal.abort(stateChanged(this.id, this.tables.names[i] as string))
    return this.ensureWaiters().stateSignal(i)
  }

  /** Calls one tracer hook on every tracer; a throwing tracer is reported, never propagated. */
  trace<K extends keyof Tracer>(hook: K, ...args: Parameters<NonNullable<Tracer[K]>>): void {
    for (const t of this.tracers) {
      try {
        // Read inside the try: a tracer is user code, its getter or proxy trap may throw too.
        const fn = t[hook] as ((...a: unknown[]) => void) | undefined
        if (!fn) continue
        fn.apply(t, args)
      } catch (err) {
        this.report(`tracer ${hook} threw: ${safeString(err)}`)
      }
    }
  }

  /** `mach.onDispose(fn)`: runs `fn` on dispose, in registration order; returns the function that unregisters it. */
  onDispose(fn: unknown): () => void {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`machine ${this.id}: onDispose()`, 'fn', 'a function', fn)
    if (this.disposed) throw new DisposedError(this.id, 'onDispose()')
    const fns = (this.disposeFns ??= [])
    const callback = fn as () => void
    fns.push(callback)
    return () => {
      const i = fns.indexOf(callback)
      if (i >= 0) fns.splice(i, 1)
    }
  }

  /**
   * Disposes the machine: mutations return `Canceled`, waiters reject, signals abort, streams complete, `onDispose`
   * callbacks run, `whenDisposed()` resolves. Idempotent; from a handler it runs when the queue run ends (a run
   * suspended between drain slices ends here).
   */
  dispose(): void {
    if (this.disposed) return
    if (this.processing && !this.suspended) {
      this.disposeRequested = true
      return
    }
    this.disposed = true
    this.processing = false
    this.suspended = false
    this.queue.length = 0
    this.queueHead = 0
    this.pending = 0
    this.activeNames = null
    if (this.tracers.length > 0) this.trace('machineDispose', this.id)
    this.waiters?.dispose()
    this.observers?.complete()
    // A copy: a callback that unregisters itself (or another) must not make the loop skip the next one.
    for (const fn of this.disposeFns?.slice() ?? []) {
      try {
        fn()
      } catch (err) {
        this.report(`onDispose callback threw: ${safeString(err)}`)
      }
    }
    this.disposeFns = null
    this.bindings = []
    this.waiters?.disposalDone()
  }

  /** An internal failure that must not change the machine's states: logged, or printed when logging is off. */
  report(msg: string): void {
    if (this.log.on(LogLevel.Changes)) this.log.emit(LogLevel.Changes, `[error] ${msg}`)
    else console.error(`polymachine [${this.id}] ${msg}`)
  }
}

function randomId(): string {
  let s = ''
  for (let i = 0; i < 16; i++) s += ((Math.random() * 16) | 0).toString(16)
  return s
}
