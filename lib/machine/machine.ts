/**
 * `Machine`: the public face of a nondeterministic multi-state machine. Thin: it validates input and delegates to
 * the queue, transition, waiter and stream modules over its `Core`.
 */
import type { Observable } from 'rxjs'
import { Core } from './core.js'
import { DisposedError, InvalidArgumentError } from './errors.js'
import { attachInitialTracers, attachTracer, bindObject, detachTracer, unbindId } from './bindings.js'
import { observers, state$, ticks$ } from './observe.js'
import { addError, check, mutate } from './queue.js'
import { isSchema } from './schema.js'
import { clockOf, exportSnapshot, importSnapshot, inspect, isTime, timeOf, toString, toStringAll } from './snapshot.js'
import {
  type Args, type CheckHandlers, LogLevel, type MachineConstructor, type MachineOptions, type Result, type Schema, type Snapshot, type States,
  type Tracer, type TransitionInfo,
} from './types.js'
import { argsInvalid, badArgs, checkLogLevel, readOptions } from './validate.js'
import type { WaitOptions } from './waiters.js'
import * as wait from './when.js'

/** Internal: a machine's core, for the modules of this package (see internals.ts). */
export let coreOf: (m: Machine<string>) => Core

/**
 * Internal: true for a real machine (a brand check: no getter or proxy trap runs, so it never throws, and neither
 * a look-alike object nor a proxy of a machine passes).
 */
export let isMachine: (v: unknown) => v is Machine<string>

/**
 * A machine over a schema: any set of states can be active at once, relations decide what a mutation really does,
 * each state has a clock (odd tick = active), and handler methods found by name react to transitions.
 *
 * ```ts
 * const mach = new Machine(ss, { id: 'downloader' })
 * mach.add('Start')
 * await mach.when('Ready')
 * ```
 */
class MachineClass<N extends string = string> implements Disposable {
  static {
    coreOf = (m) => m.#core
    isMachine = (v): v is Machine<string> => typeof v === 'object' && v !== null && #core in v
  }

  readonly #core: Core
  /** Read-only scratch for `is`/`not` (no user code runs while it is in use). */
  readonly #read: number[] = []

  /**
   * @throws InvalidArgumentError / OutOfRangeError for a value that is not a schema or a bad option (see
   * `MachineOptions`); each option is read once.
   */
  constructor(schema: Schema<N>, opts: MachineOptions<N> = {}) {
    if (!isSchema(schema)) throw new InvalidArgumentError('new Machine()', 'schema', 'a schema made by schema()', schema)
    const o = readOptions(opts)
    const parent = o.parent
    if (parent !== undefined && !isMachine(parent)) {
      throw new InvalidArgumentError('new Machine()', 'options.parent', 'a Machine', parent)
    }
    // The checked copy has every field, undefined for defaults: what Core reads with `??`.
    const core = new Core(this as Machine<string>, schema, o as unknown as MachineOptions<string>)
    this.#core = core
    attachInitialTracers(core, o.tracers)
    if (parent) (parent as Machine<string>).#core.trace('newSubmachine', parent as Machine<string>, this as Machine<string>)
    if (o.handlers !== undefined) this.bind(o.handlers as object as CheckHandlers<object, N>)
  }

  // --- Identity ------------------------------------------------------------------------------------------------

  get id(): string {
    return this.#core.id
  }

  get parentId(): string | undefined {
    return this.#core.parentId
  }

  get tags(): readonly string[] {
    return this.#core.tags
  }

  get schema(): Schema<N> {
    return this.#core.schema as Schema<N>
  }

  /** State names in index order. */
  get names(): readonly N[] {
    return this.#core.tables.names as readonly N[]
  }

  get disposed(): boolean {
    return this.#core.disposed
  }

  // --- Mutations -----------------------------------------------------------------------------------------------

  /** Activates `states` (and what relations add); keeps the other active states unless relations remove them. */
  add(states: States<N>, args?: Args): Result {
    const core = this.#core
    if (argsInvalid(args)) throw badArgs(`machine ${core.id}: add()`, args)
    return mutate(core, 'add', core.parse(states, 'add()', core.processing ? [] : core.scratch), args)
  }

  /** Deactivates `states` (and the states that require them). */
  remove(states: States<N>, args?: Args): Result {
    const core = this.#core
    if (argsInvalid(args)) throw badArgs(`machine ${core.id}: remove()`, args)
    return mutate(core, 'remove', core.parse(states, 'remove()', core.processing ? [] : core.scratch), args)
  }

  /** Makes exactly `states` (plus what relations add) active. */
  set(states: States<N>, args?: Args): Result {
    const core = this.#core
    if (argsInvalid(args)) throw badArgs(`machine ${core.id}: set()`, args)
    return mutate(core, 'set', core.parse(states, 'set()', core.processing ? [] : core.scratch), args)
  }

  /** `remove` when all `states` are active, `add` otherwise. */
  toggle(states: States<N>, args?: Args): Result {
    const core = this.#core
    if (argsInvalid(args)) throw badArgs(`machine ${core.id}: toggle()`, args)
    const idx = core.parse(states, 'toggle()', core.processing ? [] : core.scratch)
    return mutate(core, idx.every((i) => core.isActive(i)) ? 'remove' : 'add', idx, args)
  }

  /** Stores `err` as `mach.err` and adds `Exception` with `args.err = err`. */
  addErr(err: unknown, args?: Args): Result {
    return this.addErrState('Exception' as N, err, args)
  }

  /** Stores `err` as `mach.err` and adds `[state, 'Exception']` with `args.err = err`. */
  addErrState(state: N, err: unknown, args?: Args): Result {
    return addError(this.#core, state, err, args)
  }

  /** Dry run of `add`: relations and negotiation handlers, no change. `Executed` or `Canceled`. */
  canAdd(states: States<N>, args?: Args): Result {
    const core = this.#core
    if (argsInvalid(args)) throw badArgs(`machine ${core.id}: canAdd()`, args)
    return check(core, 'add', core.parse(states, 'canAdd()'), args)
  }

  /** Dry run of `remove`: relations and negotiation handlers, no change. `Executed` or `Canceled`. */
  canRemove(states: States<N>, args?: Args): Result {
    const core = this.#core
    if (argsInvalid(args)) throw badArgs(`machine ${core.id}: canRemove()`, args)
    return check(core, 'remove', core.parse(states, 'canRemove()'), args)
  }

  // --- Reading -------------------------------------------------------------------------------------------------

  /** All `states` active (`[]` → true). False once disposed. */
  is(states: States<N>): boolean {
    const core = this.#core
    if (typeof states === 'string') {
      const i = core.tables.index.get(states)
      if (i === undefined) core.parse(states, 'is()')
      return !core.disposed && core.isActive(i as number)
    }
    const idx = core.parse(states, 'is()', this.#read)
    return !core.disposed && idx.every((i) => core.isActive(i))
  }

  /** None of `states` active. False once disposed. */
  not(states: States<N>): boolean {
    const core = this.#core
    const idx = core.parse(states, 'not()', this.#read)
    return !core.disposed && idx.every((i) => !core.isActive(i))
  }

  /** Some group fully active: `any('A', ['B', 'C'])` is A, or B and C. */
  any(...groups: Array<States<N>>): boolean {
    return groups.some((g) => this.is(g))
  }

  /** Whether the schema defines `name`. */
  has(name: string): name is N {
    return typeof name === 'string' && this.#core.tables.index.has(name)
  }

  /** Active states, in the order of the last transition's targets. Empty once disposed. */
  get activeStates(): readonly N[] {
    const core = this.#core
    if (core.disposed) return []
    return (core.activeNames ??= Object.freeze(core.names(core.active))) as readonly N[]
  }

  /** The state's clock: odd = active. */
  tick(state: N): number {
    const core = this.#core
    return core.clock[core.parse(state, 'tick()', this.#read)[0] as number] as number
  }

  /** Ticks in index order, or in the order of `states`. */
  time(states?: readonly N[]): number[] {
    return timeOf(this.#core, states)
  }

  /** Ticks by state name. */
  clock(states?: readonly N[]): Record<N, number> {
    return clockOf(this.#core, states) as Record<N, number>
  }

  /** True when no state of `states` (default: all) ticked since `time` was taken with the same `states`. */
  isTime(time: readonly number[], states?: readonly N[]): boolean {
    return isTime(this.#core, time, states)
  }

  /** Increments each time a queued mutation is dequeued; starts at 1. */
  get queueTick(): number {
    return this.#core.queueTick
  }

  get queueLen(): number {
    return this.#core.queueLen
  }

  /** The last error passed to `addErr*` or thrown by a handler. Never cleared. */
  get err(): unknown {
    return this.#core.err
  }

  /** `(A:1 B:3)`: active states with ticks, in index order. */
  toString(): string {
    return toString(this.#core)
  }

  /** `(A:1) [B:0 Exception:0]`: active states, then the inactive ones. */
  toStringAll(): string {
    return toStringAll(this.#core)
  }

  /** A multi-line view of states with ticks, flags and relations. */
  inspect(states?: readonly N[]): string {
    const core = this.#core
    return inspect(core, states === undefined ? core.tables.names.map((_, i) => i) : core.parse(states, 'inspect()'))
  }

  // --- Persistence ---------------------------------------------------------------------------------------------

  export(): Snapshot {
    return exportSnapshot(this.#core)
  }

  /** Restores clocks and the queue tick (no handlers run), then adds `MachineRestored` if the schema has it. */
  import(snap: Snapshot): void {
    importSnapshot(this.#core, snap)
  }

  // --- Handlers, tracers, logging ------------------------------------------------------------------------------

  /**
   * Binds the handler methods of `obj` (own and inherited) by name; returns the binding id for `unbind`.
   * @throws HandlerNameError for a handler-shaped name that names no state.
   */
  bind<T extends object>(obj: T & CheckHandlers<T, N>, opts: { id?: string } = {}): string {
    return bindObject(this.#core, obj, opts)
  }

  /** Removes a binding; false when no binding has this id. */
  unbind(id: string): boolean {
    return unbindId(this.#core, id)
  }

  /** Adds a tracer (once: binding one twice changes nothing). */
  bindTracer(t: Tracer): void {
    attachTracer(this.#core, t, 'bindTracer()')
  }

  /** Removes a tracer; false when it was not bound. */
  detachTracer(t: Tracer): boolean {
    return detachTracer(this.#core, t)
  }

  /** Logs `[exter] msg` at `LogLevel.External`. */
  log(msg: string): void {
    const core = this.#core
    if (typeof msg !== 'string') throw new InvalidArgumentError(`machine ${core.id}: log()`, 'msg', 'a string', msg)
    if (core.log.on(LogLevel.External)) core.log.emit(LogLevel.External, `[exter] ${msg.replace(/\n/g, ' ')}`)
  }

  get logLevel(): LogLevel {
    return this.#core.log.level
  }

  set logLevel(level: LogLevel) {
    checkLogLevel(`machine ${this.#core.id}: logLevel`, 'level', level)
    this.#core.log.level = level
  }

  // --- Waiting, signals, streams -------------------------------------------------------------------------------

  /** Resolves when all `states` are active at once. */
  when(states: States<N>, opts?: WaitOptions): Promise<void> {
    return wait.when(this.#core, states, opts)
  }

  /** Resolves when none of `states` is active. */
  whenNot(states: States<N>, opts?: WaitOptions): Promise<void> {
    return wait.whenNot(this.#core, states, opts)
  }

  /** Resolves after `state` ticks `n` more times. */
  whenTicks(state: N, n: number, opts?: WaitOptions): Promise<void> {
    return wait.whenTicks(this.#core, state, n, opts)
  }

  /** Resolves when every `tick(states[i]) >= ticks[i]`. */
  whenTime(states: readonly N[], ticks: readonly number[], opts?: WaitOptions): Promise<void> {
    return wait.whenTime(this.#core, states, ticks, opts)
  }

  /** Resolves when `FooState` is dispatched with args holding every given key with an `===` value. */
  whenArgs(state: N, args: Args, opts?: WaitOptions): Promise<void> {
    if (args === undefined || argsInvalid(args)) throw badArgs(`machine ${this.#core.id}: whenArgs()`, args)
    return wait.whenArgs(this.#core, state, args, opts)
  }

  /** Resolves when `Exception` is active. */
  whenErr(opts?: WaitOptions): Promise<void> {
    return wait.when(this.#core, 'Exception', opts, 'whenErr()')
  }

  /** Resolves when the queue tick reaches `tick` (e.g. the result of a queued mutation). */
  whenQueue(tick: number, opts?: WaitOptions): Promise<void> {
    return wait.whenQueue(this.#core, tick, opts)
  }

  /** Resolves when the current queue run ends (at once when idle). */
  whenQueueEnds(opts?: WaitOptions): Promise<void> {
    return wait.whenQueueEnds(this.#core, opts)
  }

  /** Resolves when disposal completed. */
  whenDisposed(opts?: WaitOptions): Promise<void> {
    return wait.whenDisposed(this.#core, opts)
  }

  /** Aborted the next time `state` ticks (activation, deactivation, multi re-entry) or on dispose. */
  stateSignal(state: N): AbortSignal {
    const core = this.#core
    const [i] = core.parse(state, 'stateSignal()') as [number]
    if (core.disposed) return AbortSignal.abort(new DisposedError(core.id, `stateSignal(${state})`))
    return core.ensureWaiters().stateSignal(i)
  }

  /** Every ended transition: accepted, canceled by a handler, or rejected by relations. */
  get transitions$(): Observable<TransitionInfo<N>> {
    return observers(this.#core).transitions$ as Observable<TransitionInfo<N>>
  }

  /** The state's activity: the current value first, then each change. */
  state$(state: N): Observable<boolean> {
    const core = this.#core
    return state$(core, core.parse(state, 'state$()')[0] as number)
  }

  /** The state's tick: the current value first, then each change. */
  ticks$(state: N): Observable<number> {
    const core = this.#core
    return ticks$(core, core.parse(state, 'ticks$()')[0] as number)
  }

  // --- Disposal ------------------------------------------------------------------------------------------------

  /** Runs `fn` on dispose, in registration order. Returns a function that unregisters it. */
  onDispose(fn: () => void): () => void {
    return this.#core.onDispose(fn)
  }

  /**
   * Disposes the machine: mutations return `Canceled`, waiters reject, signals abort, streams complete, `onDispose`
   * callbacks run, `whenDisposed()` resolves. Idempotent; from a handler it runs when the queue run ends.
   */
  dispose(): void {
    this.#core.dispose()
  }

  [Symbol.dispose](): void {
    this.dispose()
  }
}

/** A machine over a schema with the state names `N`: what `new Machine()` makes (see the class above). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the class's instance type under its public name
export interface Machine<N extends string = string> extends MachineClass<N> {}
/** The class, typed by `MachineConstructor` (types.ts): its generic construct signature checks `opts.handlers`. */
export const Machine: MachineConstructor = MachineClass
Object.defineProperty(Machine, 'name', { value: 'Machine' }) // what inspect() and `.constructor.name` print
