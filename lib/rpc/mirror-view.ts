/**
 * The local half of a mirror: reads answered from the mirrored clock, waiters run on the local mirror machine,
 * handlers bound on the mirror and its state signals.
 * `RemoteMachine` adds the remote half (mutations, remote waiters, the connection).
 */
import type { Observable } from 'rxjs'
import {
  InvalidArgumentError, UnknownStateError,
  type FinalName, type HandlerError, type HandlerShaped, type Machine, type NegotiationName, type Schema, type States,
  type WaitOptions,
} from '../machine/index.js'
import type { MirrorClock } from './mirror-clock.js'
import { MirrorHandlers, type MirrorEvent } from './mirror-handlers.js'

/**
 * `remote.bind()`'s parameter check: `FooState`, `FooEnd`, `AnyState` get a {@link MirrorEvent}; negotiation handler
 * names and handler-shaped names of no state are compile errors; other members (helpers, fields) pass.
 */
export type CheckMirrorHandlers<T, N extends string> = {
  [K in keyof T]: K extends NegotiationName<N>
    ? `'${K & string}' is a negotiation handler: a mirror runs final handlers only`
    : K extends FinalName<N>
      ? (e: MirrorEvent<N>) => unknown
      : K extends HandlerShaped ? `'${K & string}' names no state of this schema` : T[K]
}

/** Reads and local waiters of a {@link RemoteMachine}. */
export abstract class MirrorView<N extends string> {
  readonly #index: Map<string, number>
  /** Bindings and state signals. */
  protected readonly handlers: MirrorHandlers

  constructor(
    /** The source's schema, as transferred (relations included). */
    readonly schema: Schema<N>,
    /** The source machine's id. */
    readonly id: string,
    /** Local machine holding the mirrored clocks (no relations): waiters and streams run on it. */
    readonly mirror: Machine<N>,
    protected readonly synced: MirrorClock,
  ) {
    this.#index = new Map(schema.names.map((n, i) => [n, i]))
    this.handlers = new MirrorHandlers(id, schema.names, schema.names.map((n) => schema.states[n]?.multi === true),
      (err) => this.handlerFailed(err))
  }

  /** A bound handler threw or rejected. */
  protected abstract handlerFailed(err: HandlerError): void

  get names(): readonly N[] {
    return this.schema.names
  }
  // --- handlers and signals (local) ----------------------------------------------------------------------------

  /**
   * Binds final handlers run on the mirror's clock updates: `FooEnd` for each state the update deactivated,
   * `FooState` for each it activated (or re-entered), then `AnyState`; once per update in which the tick changed
   * (a burst coalesced by the server is one update). Returns a binding id for {@link unbind}. Negotiation handlers
   * (`FooEnter`, `FooExit`, `FooBar`, `AnyEnter`) throw `HandlerNameError`: the source decides transitions. A handler
   * that throws or rejects adds `ErrHandler` to `remote.client` (a `HandlerError`); the mirror goes on.
   *
   * ```ts
   * remote.bind({
   *   ReadyState: (e) => console.log('Ready on the source', e.args),
   *   ReadyEnd: () => console.log('Ready ended'),
   * })
   * ```
   */
  bind<T extends object>(handlers: T & CheckMirrorHandlers<T, N>, opts?: { id?: string }): string {
    return this.handlers.bind(handlers, opts?.id)
  }

  /** Removes a binding made by {@link bind}; false when there was none with that id. */
  unbind(id: string): boolean {
    return this.handlers.unbind(id)
  }

  /**
   * An `AbortSignal` aborted the next time `state`'s tick changes on the source (as the mirror learns it), or when
   * the connection is lost (then, until a reconnection, the signal returned is already aborted). The same signal is
   * returned until then; `e.signal` of `FooState` is Foo's.
   *
   * ```ts
   * const signal = remote.stateSignal('Ready')
   * await fetch(url, { signal }) // cancelled when Ready ends on the source
   * ```
   */
  stateSignal(state: N): AbortSignal {
    return this.handlers.stateSignal(this.ix([state], 'stateSignal()')[0] as number)
  }


  // --- reads (local) -------------------------------------------------------------------------------------------

  has(name: string): name is N {
    return this.#index.has(name)
  }

  tick(state: N): number {
    return this.synced.time[this.ix([state], 'tick()')[0] as number] as number
  }

  is(states: States<N>): boolean {
    return this.ix(states, 'is()').every((i) => this.synced.isActive(i))
  }

  not(states: States<N>): boolean {
    return this.ix(states, 'not()').every((i) => !this.synced.isActive(i))
  }

  any(...groups: States<N>[]): boolean {
    return groups.some((g) => this.is(g))
  }

  get activeStates(): readonly N[] {
    return this.schema.names.filter((_, i) => this.synced.isActive(i))
  }

  /** Ticks in index order, or in the order of `states`. */
  time(states?: readonly N[]): number[] {
    const { time } = this.synced
    return states === undefined ? time.slice() : this.ix(states, 'time()').map((i) => time[i] as number)
  }

  clock(states?: readonly N[]): Record<N, number> {
    const list = states ?? this.schema.names
    const out = {} as Record<N, number>
    const ticks = this.time(list)
    list.forEach((n, i) => (out[n] = ticks[i] as number))
    return out
  }

  get queueTick(): number {
    return this.synced.queueTick
  }

  /** The source's error text while its `Exception` is active (as the server sent it), else undefined. */
  get err(): string | undefined {
    return this.synced.err
  }

  toString(): string {
    return `(${this.schema.names.flatMap((n, i) => this.synced.isActive(i) ? [`${n}:${this.synced.time[i]}`] : [])
      .join(' ')})`
  }

  // --- waiters (local, resolved by pushes) ---------------------------------------------------------------------

  when(states: States<N>, opts?: WaitOptions): Promise<void> {
    return this.mirror.when(states, opts)
  }

  whenNot(states: States<N>, opts?: WaitOptions): Promise<void> {
    return this.mirror.whenNot(states, opts)
  }

  whenTicks(state: N, n: number, opts?: WaitOptions): Promise<void> {
    return this.mirror.whenTicks(state, n, opts)
  }

  whenTime(states: readonly N[], ticks: readonly number[], opts?: WaitOptions): Promise<void> {
    return this.mirror.whenTime(states, ticks, opts)
  }

  state$(state: N): Observable<boolean> {
    return this.mirror.state$(state)
  }

  protected ix(states: States<N>, where: string): number[] {
    const list: readonly unknown[] = typeof states === 'string' ? [states] : states
    if (!Array.isArray(list)) throw new InvalidArgumentError(`remote ${this.id}: ${where}`, 'states', 'a state name or list', states)
    const out: number[] = []
    const unknown: string[] = []
    for (const n of list) {
      const i = typeof n === 'string' ? this.#index.get(n) : undefined
      if (i === undefined) unknown.push(String(n))
      else out.push(i)
    }
    if (unknown.length) throw new UnknownStateError(this.id, unknown, where)
    return out
  }
}
