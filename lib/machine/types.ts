/**
 * Public types of the core: schema definitions, results, logging, handlers and options; events, transitions and
 * tracers are declared in events.ts and tracer.ts and re-exported here.
 * Runtime values that accompany a type (Result, LogLevel) live here too, so one import gives both.
 */
import type { Event } from './events.js'
import type { Machine } from './machine.js'
import type { Tracer } from './tracer.js'

// ---------------------------------------------------------------------------------------------------------------
// Schema

/** A state's definition. Relation lists name other states of the same schema. */
export interface StateDef<N extends string = string> {
  /** After every transition that changed a tick, the machine tries to activate this state by itself. */
  readonly auto?: boolean
  /** Called again while active, the state re-enters: tick +2, Enter/State handlers run again. */
  readonly multi?: boolean
  /** All of these must be (or become) active, or this state cannot be. */
  readonly require?: readonly N[]
  /** Activating this state also activates these, when relations allow (optional). */
  readonly add?: readonly N[]
  /** While this state is in the targets, these are deactivated or blocked. */
  readonly remove?: readonly N[]
  /** Only ordering: this state's handlers run after those of these states. */
  readonly after?: readonly N[]
  /** Free-form labels. */
  readonly tags?: readonly string[]
}

declare const schemaBrand: unique symbol
declare const multiBrand: unique symbol

/**
 * A validated, frozen schema. `N` is the literal union of its state names, `Exception` included; `M` the names of
 * its `multi` states as far as the types tell (all of `N` when they do not: a definition typed `StateDef`).
 */
export interface Schema<N extends string = string, M extends N = N> {
  readonly [schemaBrand]: true
  /** Type only, never set: carries `M`. */
  readonly [multiBrand]?: M
  /** State names in index order (declaration order, `Exception` last unless declared). */
  readonly names: readonly N[]
  /** Sanitised definitions, by name. */
  readonly states: Readonly<Record<N, Readonly<StateDef<N>>>>
}

/** The state-name union of a schema, or the union itself. */
export type StateNames<T> = T extends Schema<infer N> ? N : T extends string ? T : never

/** The `multi` state names of a schema (see `Schema`); for a name union, the union itself. */
export type MultiStateNames<T> = T extends Schema<string, infer M> ? M : T extends string ? T : never

/** One state name or a list of them, as every method taking states accepts. */
export type States<N extends string> = N | readonly N[]

// ---------------------------------------------------------------------------------------------------------------
// Results

/** Mutation results: `Executed` (0), `Canceled` (1), or a queue tick (≥ 2) when the mutation was queued. */
export const Result = { Executed: 0, Canceled: 1 } as const
/** `Result.Executed`, `Result.Canceled`, or a queue tick ≥ 2. */
export type Result = number

/** True when a mutation was queued; the result is then its queue tick (`whenQueue(r)` waits for it). */
export function isQueued(r: Result): boolean {
  return r >= 2
}

/** `'executed' | 'canceled' | 'queued'`. */
export function resultName(r: Result): 'executed' | 'canceled' | 'queued' {
  return r === 0 ? 'executed' : r === 1 ? 'canceled' : 'queued'
}

/** Arguments of a mutation; one object is shared by all handlers of a transition. */
export type Args = Record<string, unknown>

/** Args of an `Exception` add, as passed by `addErr()` or by a throwing handler. */
export interface ExceptionArgs extends Args {
  err: unknown
  /** The handler that threw, when the error came from one. */
  handler?: string
}

// ---------------------------------------------------------------------------------------------------------------
// Logging

/** Log levels, as in asyncmachine-go. */
export const LogLevel = { Nothing: 0, External: 1, Changes: 2, Ops: 3, Decisions: 4, Everything: 5 } as const
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel]

/** Receives each log line, already prefixed with `[<id>] `. */
export type LogFn = (level: LogLevel, line: string) => void

/** Picks the args to print in log lines: names to show (truncated), or a function returning `key → text`. */
export type LogArgs = readonly string[] | ((args: Args) => Record<string, string> | undefined)

// ---------------------------------------------------------------------------------------------------------------
// Transitions, events and tracers: declared in events.ts and tracer.ts, re-exported here

export type { Event, MutationInfo, MutationType, TransitionInfo } from './events.js'
export type { Tracer } from './tracer.js'

// ---------------------------------------------------------------------------------------------------------------
// Handlers

type Negotiation<N extends string> = (e: Event<N>) => boolean | void
type Final<N extends string> = (e: Event<N>) => unknown

/** Names of negotiation handlers of a schema: `FooEnter`, `FooExit`, `FooBar` (incl. `FooFoo`), `AnyEnter`. */
export type NegotiationName<N extends string> = `${N}Enter` | `${N}Exit` | `${N}${N}` | 'AnyEnter'
/** Names of final handlers of a schema: `FooState`, `FooEnd`, `AnyState`. */
export type FinalName<N extends string> = `${N}State` | `${N}End` | 'AnyState'

/**
 * Every valid handler of a schema, all optional. Typing a handler object with it rejects typo'd names.
 *
 * ```ts
 * const handlers: Handlers<typeof ss> = {
 *   ReadyEnter: (e) => e.machine.is('Start'),
 *   ReadyState: (e) => console.log('ready', e.args),
 * }
 * ```
 */
export type Handlers<T> = { [K in NegotiationName<StateNames<T>>]?: Negotiation<StateNames<T>> } & {
  [K in FinalName<StateNames<T>>]?: Final<StateNames<T>>
}

type Upper = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' |
  'R' | 'S' | 'T' | 'U' | 'V' | 'W' | 'X' | 'Y' | 'Z'
/** A name that looks like a handler: `Xxx…Enter|Exit|State|End`, or `AnyXxx…`. */
export type HandlerShaped = `${Upper}${string}${'Enter' | 'Exit' | 'State' | 'End'}` | `Any${Upper}${string}`

/**
 * `bind()`'s parameter check: handler names of the schema must have handler signatures; handler-shaped names that
 * name no state are compile errors; every other member (helpers, fields) passes. `E` is the event the handlers get
 * (layers that extend the event, like actors, pass their own). With names typed `string` nothing can be told apart,
 * so everything passes (the run-time check in `bind()` still applies).
 */
export type CheckHandlers<T, N extends string, E = Event<N>> = {
  // Tested per key, not around the mapped type: a conditional there would hide handlers' parameter types.
  [K in keyof T]: string extends N ? T[K] : K extends NegotiationName<N>
    ? (e: E) => boolean | void
    : K extends FinalName<N>
      ? (e: E) => unknown
      : K extends HandlerShaped
        ? `'${K & string}' names no state of this schema`
        : T[K]
}

// ---------------------------------------------------------------------------------------------------------------
// Machine options and snapshots

/**
 * Options of `new Machine()`. Each is read once and checked: a wrong type throws `InvalidArgumentError`, a number out
 * of range `OutOfRangeError`; `undefined` means the default.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- names the machine's states, for readers and callers
export interface MachineOptions<N extends string = string> {
  /** Default: 16 random hex characters. */
  id?: string
  /**
   * Bound at construction, as `mach.bind(handlers)`: an object or a function (not null). `new Machine()` checks it
   * as `bind()` checks its argument, against the names `N`: a handler-shaped name of no state (`RedyState`) is a
   * compile error (see `MachineConstructor`). Typed `object` here, so options of any machine stay assignable.
   */
  handlers?: object
  /** The parent's tracers get `newSubmachine(parent, child)`. */
  parent?: Machine<string>
  tags?: readonly string[]
  /** Mutations are canceled while this many are queued (an `Exception` add still gets in once). Default 1000. */
  queueLimit?: number
  /**
   * Transitions one synchronous queue run may execute; the rest of the queue continues in a macrotask (a
   * setImmediate), so a handler-driven cycle cannot starve timers and I/O. A positive integer or Infinity.
   * Default 10 000.
   */
  drainBudget?: number
  /** Default `LogLevel.Nothing`. */
  logLevel?: LogLevel
  /** Receives log lines instead of stdout. */
  logger?: LogFn
  /** Which args to show in log lines. Default: `name id port addr err path url uri`, truncated to 20 chars. */
  logArgs?: LogArgs
  tracers?: readonly Tracer[]
}

/**
 * The type of `Machine` as a value. A construct signature rather than the class's own: a class constructor cannot
 * have type parameters, and checking `opts.handlers` as `bind()` checks its argument needs one (`H`, the handlers'
 * type). `N`, the state names, comes from the schema alone.
 */
export interface MachineConstructor {
  /**
   * A machine over `schema`, with `opts` read once and checked.
   *
   * ```ts
   * const mach = new Machine(ss, { id: 'downloader', handlers: { ReadyState: () => console.log('ready') } })
   * ```
   *
   * @throws InvalidArgumentError / OutOfRangeError for a value that is not a schema or a bad option.
   */
  new <N extends string, H extends object = object>(
    schema: Schema<N>, opts?: MachineOptions<NoInfer<N>> & { handlers?: H & CheckHandlers<H, NoInfer<N>> }): Machine<N>
  readonly prototype: Machine<string>
}

/** A machine's clocks as plain JSON, for `import()`. */
export interface Snapshot {
  id: string
  names: string[]
  time: number[]
  queueTick: number
  /** The text of `mach.err`, present when `Exception` is active (`import()` requires it then). */
  err?: string
}
