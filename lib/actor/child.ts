/**
 * A supervised child: the current incarnation (an Actor, or none while restarting), a buffer for messages that
 * arrive between incarnations, and the stable ref users hold. Messages are never lost to a restart: the old
 * mailbox and the buffer are handed to the next incarnation.
 */
import {
  InvalidArgumentError, InvalidOperationError, type Args, type Machine, type Schema, type Snapshot,
} from '../machine/index.js'
import { ask } from './ask.js'
import type { Actor } from './actor.js'
import type { DeadLetterSink } from './host.js'
import type { ActorStateNames } from './actor.schema.js'
import { Backoff, type BackoffOptions } from './backoff.js'
import { ActorTerminatedError, MailboxFullError, MessageDroppedError, UnknownMessageError } from './errors.js'
import { NO_MAIL, reply, toldEnvelope, type Envelope } from './envelope.js'
import { Mailbox, type MailboxOptions, type OverflowPolicy } from './mailbox.js'
import { LocalRef, statsOf } from './ref.js'
import type { ActorStats, AskOptions, ReplyOf, StopInfo, TellResult } from './types.js'

/** What a supervisor needs to (re)create a child. */
export interface ChildSpec<N extends string = string, H extends object = object, D = unknown, M extends N = N> {
  id: string
  /** The actor's states; its `multi` ones outside the lifecycle (`M`) are its messages. */
  schema: Schema<N, M>
  /** Fresh handlers for each incarnation (state in them starts over on restart). */
  handlers: (ctx: ChildContext<D>) => H
  mailbox?: MailboxOptions
  concurrency?: number
  /** `permanent` (default) restarts on failure; `temporary` is stopped instead. */
  restart?: 'permanent' | 'temporary'
  /** An async handler still running after this many ms fails its message and the child (see `ActorOptions`). */
  handlerTimeout?: number
  /**
   * Clocks every incarnation starts from (a passivated actor's saved state): a restart goes back to it, as a virtual
   * actor is re-activated from its storage; without it, restarts start with fresh clocks.
   */
  snapshot?: Snapshot
}

export interface ChildContext<D> {
  /** The child's id (stable across restarts). */
  readonly id: string
  /** 1 for the first start, +1 per restart. */
  readonly incarnation: number
  /** The supervisor's dependencies, projected for this child. */
  readonly deps: D
}

/** A supervised child; its type parameters only type its ref (messages, handlers, mailbox policy, states). */
export class Child<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy, N extends string = M> {
  actor: Actor | null = null
  incarnation = 0
  /** Between incarnations: new messages wait here. */
  restarting = false
  stoppedForGood = false
  /** Set when the child is stopped for good by its supervisor: later stops wait for the same one. */
  retired: Promise<void> | null = null
  readonly backoff: Backoff
  readonly buffer: Mailbox
  readonly ref: SupervisedRef<M, H, P, N>
  lastMachine: Machine<string> | null = null
  /** Settled when the child stops for good. */
  readonly ended: Promise<StopInfo>
  end!: (info: StopInfo) => void

  constructor(
    readonly spec: ChildSpec,
    /** Where messages that find the child stopped for good, or its restart buffer full, go. */
    readonly host: DeadLetterSink,
    readonly messages: ReadonlySet<string>,
    backoff: BackoffOptions,
    /** Stops the child for good, through its supervisor. */
    readonly retire: () => Promise<void>,
  ) {
    this.ended = new Promise((resolve) => (this.end = resolve))
    this.backoff = new Backoff(backoff)
    this.buffer = new Mailbox(spec.mailbox ?? {}, (env, reason) => {
      host.deadLetter(spec.id, env, `dropped:${reason}`)
      reply(env, false, new MessageDroppedError(spec.id, env.msg, reason))
    })
    this.ref = new SupervisedRef<M, H, P, N>(this)
  }

  get id(): string {
    return this.spec.id
  }

  checkMessage(msg: string): void {
    if (!this.messages.has(msg)) {
      throw new UnknownMessageError(this.id, String(msg), 'is not a message: messages are the multi states outside the actor lifecycle')
    }
  }

  /** Routes a message to the live incarnation, or buffers it while restarting. */
  enqueue(env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    if (this.stoppedForGood) {
      this.host.deadLetter(this.id, env, 'stopped')
      reply(env, false, new ActorTerminatedError(this.id, env.msg))
      return
    }
    const actor = this.actor
    if (actor && actor.accepting && !this.restarting) return actor.enqueue(env, opts)
    const r = this.buffer.offer(env)
    if (r !== 'full') return
    if (this.buffer.overflow === 'reject') throw new MailboxFullError(this.id, env.msg, this.buffer.capacity)
    const room = this.buffer.waitForRoom()
    return room.promise.then(() => this.enqueue(env, opts))
  }

  /** Messages for the next incarnation: the old mailbox first, then what arrived meanwhile. */
  takeMail(): Envelope[] {
    const old = this.actor?.leftover ?? NO_MAIL
    if (this.actor) this.actor.leftover = NO_MAIL // taken once: a failed next start must not hand them out twice
    const buffered = this.buffer.drain()
    this.buffer.wakeAll()
    return [...old, ...buffered]
  }
}

/** The ref users hold: stays valid across restarts (it forwards to whichever incarnation is live). */
export class SupervisedRef<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy,
  N extends string = M> extends LocalRef<M, H, P, N> {
  constructor(private readonly child: Child) {
    super()
  }

  get id(): string {
    return this.child.id
  }

  tell(msg: M, args?: Args, opts?: AskOptions): TellResult<P> {
    this.child.checkMessage(msg)
    return this.child.enqueue(toldEnvelope(this.child.id, msg, args, opts), opts) as TellResult<P>
  }

  ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    this.child.checkMessage(msg)
    return ask(this.child, msg, args, opts) as Promise<ReplyOf<H, K>>
  }

  /** The live incarnation's figures plus the restart buffer's (zeros while no incarnation runs). */
  get stats(): ActorStats {
    return statsOf(this.child.actor, this.child.buffer)
  }

  protected override get sink(): DeadLetterSink {
    return this.child.host
  }

  /** True once the child stopped for good (not during a restart). */
  get stopped(): boolean {
    return this.child.stoppedForGood
  }

  /** The current incarnation's machine (a new one after each restart). */
  get machine(): Machine<N | ActorStateNames> {
    const m = this.child.actor?.mach ?? this.child.lastMachine
    if (!m) throw new InvalidOperationError(`supervised child ${this.child.id}: ref.machine: no incarnation has started yet`, 'ERR_NOT_STARTED')
    return m as Machine<N | ActorStateNames> // the merged schema's machine: its names are N's and the lifecycle's
  }

  /** Resolves when the child stops for good (`system.watch` uses it). */
  whenStopped(): Promise<StopInfo> {
    return this.child.ended
  }

  /** Stops the child for good through its supervisor (`system.stop` uses it; the supervisor's stopTimeout applies). */
  stopActor(): Promise<void> {
    return this.child.retire()
  }

  /** Supervised children are not linked: their failures go to their supervisor. */
  linkable(where: string): never {
    throw new InvalidArgumentError(where, 'ref',
      `the ref of an unsupervised actor (${this.child.id} is a supervised child: its failures go to its supervisor)`, this)
  }

  /** Restarts so far. */
  get restarts(): number {
    return Math.max(0, this.child.incarnation - 1)
  }

  override toString(): string {
    return `SupervisedRef(${this.child.id})`
  }
}
