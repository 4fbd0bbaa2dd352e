/**
 * A supervised child: the current incarnation (an Actor, or none while restarting), a buffer for messages that
 * arrive between incarnations, and the stable ref users hold. Messages are never lost to a restart: the old
 * mailbox and the buffer are handed to the next incarnation.
 */
import { InvalidOperationError, type Args, type Machine, type Schema, type Snapshot } from '../machine/index.js'
import { ask } from './ask.js'
import type { Actor } from './actor.js'
import type { ActorStateNames } from './actor.schema.js'
import { Backoff, type BackoffOptions } from './backoff.js'
import { ActorTerminatedError, MailboxFullError, MessageDroppedError, UnknownMessageError } from './errors.js'
import { Mailbox, reply, type Envelope, type MailboxOptions } from './mailbox.js'
import type { ActorSystem } from './system.js'
import { filter, type Observable } from 'rxjs'
import type { ActorRef, ActorStats, AskOptions, DeadLetter, StopInfo, TellOnlyRef } from './types.js'

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

export class Child {
  actor: Actor | null = null
  incarnation = 0
  /** Between incarnations: new messages wait here. */
  restarting = false
  stoppedForGood = false
  /** Set when the child is stopped for good by its supervisor: later stops wait for the same one. */
  retired: Promise<void> | null = null
  readonly backoff: Backoff
  readonly buffer: Mailbox
  readonly ref: SupervisedRef
  lastMachine: Machine<string> | null = null
  /** Settled when the child stops for good. */
  readonly ended: Promise<StopInfo>
  end!: (info: StopInfo) => void

  constructor(
    readonly spec: ChildSpec,
    readonly system: ActorSystem,
    readonly messages: ReadonlySet<string>,
    backoff: BackoffOptions,
    /** Stops the child for good, through its supervisor. */
    readonly retire: () => Promise<void>,
  ) {
    this.ended = new Promise((resolve) => (this.end = resolve))
    this.backoff = new Backoff(backoff)
    this.buffer = new Mailbox(spec.mailbox ?? {}, (env, reason) => {
      system.reportDeadLetter(spec.id, env, `dropped:${reason}`)
      reply(env, false, new MessageDroppedError(spec.id, env.msg, reason))
    })
    this.ref = new SupervisedRef(this)
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
  deliver(env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    if (this.stoppedForGood) {
      this.system.reportDeadLetter(this.id, env, 'stopped')
      reply(env, false, new ActorTerminatedError(this.id, env.msg))
      return
    }
    const actor = this.actor
    if (actor && actor.accepting && !this.restarting) return actor.enqueue(env, opts)
    const r = this.buffer.offer(env)
    if (r !== 'full') return
    if (this.buffer.overflow === 'reject') throw new MailboxFullError(this.id, env.msg, this.buffer.capacity)
    const room = this.buffer.waitForRoom()
    return room.promise.then(() => this.deliver(env, opts))
  }

  /** Messages for the next incarnation: the old mailbox first, then what arrived meanwhile. */
  takeMail(): Envelope[] {
    const old = this.actor?.leftover ?? []
    if (this.actor) this.actor.leftover = [] // taken once: a failed next start must not hand them out twice
    const buffered = this.buffer.drain()
    this.buffer.wakeAll()
    return [...old, ...buffered]
  }
}

/** The ref users hold: stays valid across restarts (it forwards to whichever incarnation is live). */
export class SupervisedRef implements ActorRef<string, unknown, never> {
  #tellOnly: TellOnlyRef<string, never> | undefined

  constructor(private readonly child: Child) {}

  get id(): string {
    return this.child.id
  }

  tell(msg: string, args?: Args, opts?: AskOptions): never {
    this.child.checkMessage(msg)
    return this.child.deliver({ msg, args, reply: undefined }, opts) as never
  }

  ask(msg: string, args?: Args, opts: AskOptions = {}): Promise<never> {
    this.child.checkMessage(msg)
    return ask(this.child.id, msg, args, opts, (env) => this.child.deliver(env, opts)) as Promise<never>
  }

  tellOnly(): TellOnlyRef<string, never> {
    return (this.#tellOnly ??= Object.freeze({
      id: this.child.id,
      tell: (msg: string, args?: Args, opts?: AskOptions) => this.tell(msg, args, opts),
    }))
  }

  get stats(): ActorStats {
    const a = this.child.actor
    return {
      received: a?.mailbox.received ?? 0,
      processed: a?.processed ?? 0,
      failed: a?.failed ?? 0,
      dropped: (a?.mailbox.dropped ?? 0) + this.child.buffer.dropped,
      queued: (a?.mailbox.size ?? 0) + this.child.buffer.size,
      inFlight: a?.inFlight ?? 0,
    }
  }

  /** This child's dropped messages (all incarnations and the restart buffer), as they happen. */
  get drops$(): Observable<DeadLetter> {
    const id = this.child.id
    return this.child.system.deadLetters$.pipe(filter((d) => d.actorId === id && d.reason.startsWith('dropped:')))
  }

  /** True once the child stopped for good (not during a restart). */
  get stopped(): boolean {
    return this.child.stoppedForGood
  }

  /** The current incarnation's machine (a new one after each restart). */
  get machine(): Machine<string | ActorStateNames> {
    const m = this.child.actor?.mach ?? this.child.lastMachine
    if (!m) throw new InvalidOperationError(`supervised child ${this.child.id}: ref.machine: no incarnation has started yet`, 'ERR_NOT_STARTED')
    return m
  }

  /** Resolves when the child stops for good (`system.watch` uses it). */
  whenStopped(): Promise<StopInfo> {
    return this.child.ended
  }

  /** Stops the child for good through its supervisor (`system.stop` uses it). */
  stopForGood(): Promise<void> {
    return this.child.retire()
  }

  /** Restarts so far. */
  get restarts(): number {
    return Math.max(0, this.child.incarnation - 1)
  }

  toString(): string {
    return `SupervisedRef(${this.child.id})`
  }
}
