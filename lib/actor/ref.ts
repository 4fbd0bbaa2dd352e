/**
 * The refs made by this package over local actors: an actor's own (`ActorRefImpl`, here) and a supervised child's
 * (`SupervisedRef`, in child.ts). Both extend `LocalRef`, which is all the system needs to stop, watch or link the
 * actor behind a ref, whatever its kind. Refs stay valid after the actor stops: messages then go to dead letters and
 * asks fail with `ActorTerminatedError`.
 */
import type { Args, Machine } from '../machine/index.js'
import type { Actor } from './actor.js'
import type { DeadLetterSink } from './host.js'
import type { ActorStateNames } from './actor.schema.js'
import { ActorTerminatedError } from './errors.js'
import { filter, type Observable } from 'rxjs'
import type { Mailbox, OverflowPolicy } from './mailbox.js'
import type { ActorRef, ActorStats, AskOptions, DeadLetter, ReplyOf, StopInfo, TellOnlyRef, TellResult } from './types.js'

/** A view of `ref` that can only tell (what every ref kind's `tellOnly()` returns). */
export function tellOnlyView<M extends string, P extends OverflowPolicy>(ref: TellOnlyRef<M, P>): TellOnlyRef<M, P> {
  const id = ref.id
  return Object.freeze({ id, tell: (msg: M, args?: Args, opts?: AskOptions) => ref.tell(msg, args, opts) })
}

/** The stats of an incarnation (none while a supervised child restarts), plus a restart buffer's messages. */
export function statsOf(actor: Actor | null, buffer?: Mailbox): ActorStats {
  return {
    received: actor?.mailbox.received ?? 0,
    processed: actor?.processed ?? 0,
    failed: actor?.failed ?? 0,
    dropped: (actor?.mailbox.dropped ?? 0) + (buffer?.dropped ?? 0),
    queued: (actor?.mailbox.size ?? 0) + (buffer?.size ?? 0),
    inFlight: actor?.inFlight ?? 0,
  }
}

/** A ref to an actor of this process: the system stops, watches and links actors through these members only. */
export abstract class LocalRef<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy,
  N extends string = M> implements ActorRef<M, H, P, N> {
  abstract readonly id: string
  abstract readonly stats: ActorStats
  abstract readonly stopped: boolean
  abstract readonly machine: Machine<N | ActorStateNames>
  abstract tell(msg: M, args?: Args, opts?: AskOptions): TellResult<P>
  abstract ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>>
  /** @internal Stops the actor (a supervised child for good, through its supervisor). */
  abstract stopActor(timeout: number): Promise<void>
  /** @internal Settles with how the actor ended, once it has (a supervised child: for good). */
  abstract whenStopped(): Promise<StopInfo>
  /** @internal The actor to link (`system.link`); throws when this ref's actor cannot be linked. */
  abstract linkable(where: string): Actor
  /** Where this ref's dead letters are announced. */
  protected abstract readonly sink: DeadLetterSink

  tellOnly(): TellOnlyRef<M, P> {
    return tellOnlyView(this)
  }

  /** This actor's messages shed by its mailbox policy (dead letters with a `dropped:…` reason), as they happen. */
  get drops$(): Observable<DeadLetter> {
    const id = this.id
    return this.sink.deadLetters$.pipe(filter((d) => d.actorId === id && d.reason.startsWith('dropped:')))
  }
}

/** The ref made by this package behind `ref`, or undefined for foreign objects. */
export function localRef(ref: unknown): LocalRef | undefined {
  return ref instanceof LocalRef ? ref : undefined
}

/** The ref of one unsupervised actor. */
export class ActorRefImpl<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy,
  N extends string = M> extends LocalRef<M, H, P, N> {
  constructor(readonly actor: Actor) {
    super()
  }

  get id(): string {
    return this.actor.id
  }

  tell(msg: M, args?: Args, opts?: AskOptions): TellResult<P> {
    return this.actor.tell(msg, args, opts) as TellResult<P>
  }

  ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    return this.actor.ask(msg, args, opts) as Promise<ReplyOf<H, K>>
  }

  get stats(): ActorStats {
    return statsOf(this.actor)
  }

  get stopped(): boolean {
    return this.actor.stopped
  }

  get machine(): Machine<N | ActorStateNames> {
    return this.actor.mach as Machine<N | ActorStateNames> // the merged schema's machine: its names are N's and the lifecycle's
  }

  protected override get sink(): DeadLetterSink {
    return this.actor.host
  }

  stopActor(timeout: number): Promise<void> {
    return this.linkable().stop('stopped', timeout)
  }

  whenStopped(): Promise<StopInfo> {
    return this.actor.whenStopped()
  }

  linkable(): Actor {
    if (this.actor.stopped) throw new ActorTerminatedError(this.actor.id)
    return this.actor
  }

  override toString(): string {
    return `ActorRef(${this.actor.id})`
  }
}
