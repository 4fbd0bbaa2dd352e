/**
 * What handlers, tracers and `transitions$` are told about mutations and transitions: the mutation as queued
 * (`MutationInfo`), the transition record (`TransitionInfo`) and the handler event (`Event`).
 */
import type { Machine } from './machine.js'
import type { Args } from './types.js'

/** What a mutation does: `add` states, `remove` them, or `set` exactly them. */
export type MutationType = 'add' | 'remove' | 'set'

/** A mutation as tracers see it. */
export interface MutationInfo<N extends string = string> {
  readonly type: MutationType
  readonly calledStates: readonly N[]
  readonly args: Args | undefined
  /** True for auto-state mutations the machine made itself. */
  readonly isAuto: boolean
  /** The queue tick it will run at; 0 for prepended (auto, exception) mutations. */
  readonly queueTick: number
}

/** One transition: what was called, what the relations resolved, and what happened. */
export interface TransitionInfo<N extends string = string> {
  readonly machine: Machine<N>
  readonly type: MutationType
  readonly calledStates: readonly N[]
  readonly statesBefore: readonly N[]
  /** Resolved targets, sorted (require topology, then `after`). */
  readonly targetStates: readonly N[]
  /** States activated (or multi re-entered). */
  readonly enters: readonly N[]
  /** States deactivated. */
  readonly exits: readonly N[]
  readonly isAuto: boolean
  /** True for `canAdd`/`canRemove` dry runs. */
  readonly isCheck: boolean
  readonly args: Args
  /** Ticks in index order before the transition. */
  readonly timeBefore: readonly number[]
  /**
   * Ticks in index order after the transition: provisional while negotiating (`timeBefore` plus the ticks the enters
   * and exits take; `timeBefore` for a check), the applied clock in final handlers, the end clock once over
   * (`timeBefore` when canceled).
   */
  readonly timeAfter: readonly number[]
  /** Accepted and applied. False while negotiating, when canceled or rejected. */
  readonly accepted: boolean
  /**
   * Why it was not accepted: `'relations'`, the name of the handler that canceled (or threw), or `'auto'` (an auto
   * round whose every state was refused). Undefined when accepted, and for a check that passed.
   */
  readonly canceledBy: string | undefined
}

/** The event every handler receives. */
export interface Event<N extends string = string> {
  /** The handler name, e.g. `FooEnter`. */
  readonly name: string
  readonly machine: Machine<N>
  /** The mutation's args; the same object for all handlers of one transition. */
  readonly args: Args
  readonly transition: TransitionInfo<N>
  /**
   * For `FooState`: the state signal of Foo (aborted when Foo's tick next changes). For any other handler:
   * aborted when the transition ends.
   */
  readonly signal: AbortSignal
}
