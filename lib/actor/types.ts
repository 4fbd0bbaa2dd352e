/**
 * Public types of the actor layer: refs, replies, events and handler checks.
 */
import type { Args, CheckHandlers, Event, Machine, MultiStateNames, Schema, StateNames } from '../machine/index.js'
import type { ActorStateNames } from './actor.schema.js'
import type { Observable } from 'rxjs'
import type { OverflowPolicy } from './mailbox.js'

/**
 * Message names of a schema: its `multi` states minus the actor lifecycle (for a name union: the union minus the
 * lifecycle). A schema whose definitions are typed `StateDef` cannot tell which are multi: all its states count, and
 * non-multi ones are refused at run time with `UnknownMessageError`.
 */
export type MessageNames<S> = Msgs<MultiStateNames<S>>

/** The message names among state names `M`: the names minus the actor lifecycle's. */
export type Msgs<M extends string> = Exclude<M, ActorStateNames>

/** Every state name of an actor built from schema `S`. */
export type ActorStates<S> = StateNames<S> | ActorStateNames

/** What `ask(msg)` resolves with: the (awaited) return value of the handlers' `${msg}State`, else `undefined`. */
export type ReplyOf<H, M extends string> = unknown extends H
  ? unknown
  : `${M}State` extends keyof H
  ? H[`${M}State`] extends (...args: never[]) => infer R
    ? Awaited<R>
    : undefined
  : undefined

/**
 * Options of `ask` and `tell`. For an ask, `timeout`, `deadline` and `signal` each end the ask (`TimeoutError`, or the
 * signal's reason) and cancel its message: not delivered if still queued, its handler's `e.signal` aborted if running.
 * For a tell, `deadline` cancels the message the same way; `timeout` and `signal` bound only a `block` mailbox's wait.
 */
export interface AskOptions {
  /** Milliseconds until the ask fails with `TimeoutError` and its message is cancelled. */
  timeout?: number
  /** The asker's signal: aborting it fails the ask with its reason and cancels the message. */
  signal?: AbortSignal
  /** `Date.now()` time past which the message is cancelled (an ask fails with `TimeoutError`). */
  deadline?: number
}

/**
 * What `tell` returns for an actor whose mailbox policy is `P`: a Promise only for `block` mailboxes (it resolves
 * once the message is in the mailbox), nothing for the others (they never wait). Unknown policy: either. Written
 * as a distributive conditional so that refs are covariant in `P` (a ref of one policy is a ref of any policy).
 */
export type TellResult<P extends OverflowPolicy> = P extends 'block' ? Promise<void> : void

/** A ref that can only tell: hand it to code that must not wait for replies. */
export interface TellOnlyRef<M extends string = string, P extends OverflowPolicy = OverflowPolicy> {
  readonly id: string
  /**
   * Sends a message (adds the message state with `args` on the actor, asynchronously, never on the caller's stack).
   * With a `block` mailbox it returns a Promise that resolves once there was room (bounded by `opts.signal` and
   * `opts.timeout`); other policies never wait: a full mailbox drops (to dead letters) or throws (`reject`).
   */
  tell(msg: M, args?: Args, opts?: AskOptions): TellResult<P>
}

export interface ActorStats {
  /**
   * Messages the mailbox took: queued, or shed by its policy (each counted once, whatever the policy). Not counted:
   * messages refused with `MailboxFullError` (`reject`) or still waiting for room (`block`). So `received - dropped`
   * messages were queued.
   */
  readonly received: number
  /** Messages whose handling completed (including its async part), successfully or not. */
  readonly processed: number
  /** Of those, the ones that failed: the handler threw or rejected, or the actor refused the message. */
  readonly failed: number
  /** Of the received messages, the ones shed by the mailbox policy (`drop-newest`, `drop-oldest`, `red`). */
  readonly dropped: number
  /** Messages waiting in the mailbox. */
  readonly queued: number
  /** Messages being handled now. */
  readonly inFlight: number
}

/** Something that takes messages and answers asks: an actor, or a router over several. */
export interface Ref<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy>
  extends TellOnlyRef<M, P> {
  /** Sends a message and resolves with the reply: the value its `${msg}State` handler returned (or resolved to). */
  ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>>
  /** A view of this ref that can only `tell`. */
  tellOnly(): TellOnlyRef<M, P>
}

/** Any actor ref, whatever its messages, handlers and mailbox policy. */
export interface ActorLike {
  readonly id: string
  readonly stopped: boolean
}

/** A ref to one actor: messages `M`, handlers `H`, mailbox policy `P`, and `N`, all the states of its schema. */
export interface ActorRef<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy,
  N extends string = M> extends Ref<M, H, P> {
  readonly stats: ActorStats
  /** This actor's dropped messages, as they happen. */
  readonly drops$: Observable<DeadLetter>
  /** True once the actor stopped (messages then go to dead letters). */
  readonly stopped: boolean
  /** The actor's machine, for waiting and debugging (`await ref.machine.when('Ready')`). */
  readonly machine: Machine<N | ActorStateNames>
}

/** Keyed timers that send messages to the actor itself; replaced by key, cancelled when the actor stops. */
export interface ActorTimers<N extends string = string> {
  /** Sends `msg` once after `delay` ms; replaces a timer with the same key. */
  once(key: string, msg: N, delay: number, args?: Args): void
  /** Sends `msg` every `interval` ms until cancelled; replaces a timer with the same key. */
  every(key: string, msg: N, interval: number, args?: Args): void
  /** Cancels the timer `key`; false when there was none. */
  cancel(key: string): boolean
  has(key: string): boolean
  readonly size: number
}

/**
 * The event actor handlers receive: the machine event (states `N`) plus the actor's timers and its own ref, which
 * take its messages `M` (all of `N` unless given: use `ActorEventOf<typeof schema>` for the exact ones).
 */
export interface ActorEvent<N extends string = string, M extends string = N> extends Event<N> {
  /**
   * In a message's State handler: the message's own signal, aborted when its ask times out or its asker aborts, when
   * its deadline passes, when the actor stops, or when the handler outlives `handlerTimeout`. In other handlers
   * (Start, negotiation, ...): the machine's signal for this handler.
   */
  readonly signal: AbortSignal
  /** Aborted when the actor (this incarnation) stops: for work that outlives one message. */
  readonly actorSignal: AbortSignal
  readonly timers: ActorTimers<M>
  readonly self: ActorRef<M, unknown, OverflowPolicy, N>
}

/** The event of an actor spawned from schema `S`: every state for the machine, the messages for `self`/`timers`. */
export type ActorEventOf<S> = ActorEvent<ActorStates<S>, MessageNames<S>>

/** `spawn()`'s handler check: the core's, with actor-event signatures. */
export type CheckActorHandlers<T, N extends string, M extends string = N> = CheckHandlers<T, N, ActorEvent<N, M>>

/**
 * Why a message became a dead letter. `activation-failed`: a keyed actor's activation failed (its `load()` threw or
 * returned garbage, see docs/supervision.md). `cancelled`: taken from the mailbox after its ask timed out or was
 * aborted, or after its deadline: not delivered.
 */
export type DeadLetterReason =
  | 'dropped:full' | 'dropped:oldest' | 'dropped:red' | 'stopped' | 'drained' | 'no-actors' | 'rejected'
  | 'activation-failed'
  | 'cancelled'

export interface DeadLetter {
  readonly actorId: string
  readonly msg: string
  readonly args: Args | undefined
  readonly reason: DeadLetterReason
  /** `Date.now()` when it was declared dead. */
  readonly at: number
}

/** How an actor ended, as `system.watch()` reports it. */
export interface StopInfo {
  readonly actorId: string
  /** `stopped` (by `system.stop`), `shutdown`, `failed` (its start failed), or `restart` (by its supervisor). */
  readonly reason: 'stopped' | 'shutdown' | 'failed' | 'restart'
  readonly error?: unknown
}

/** The overflow policy a spawn's options select (`drop-newest` when they name none). */
export type PolicyOf<O> = O extends { mailbox: infer Mb }
  ? Mb extends { overflow: infer P extends OverflowPolicy }
    ? P
    : Mb extends { overflow?: infer P }
      ? Exclude<P, undefined> | 'drop-newest'
      : 'drop-newest'
  : O extends { mailbox?: infer Mb }
    ? Mb extends { overflow?: infer P }
      ? Exclude<P, undefined> | 'drop-newest'
      : 'drop-newest'
    : 'drop-newest'

/** The schema type an actor is spawned with, for `ServiceKey<typeof ss>` and friends. */
export type AnySchema = Schema<string>
