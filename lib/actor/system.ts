/**
 * The actor system: spawns actors, stops them (one, or all in reverse start order), routes dead letters, links and
 * watches actors, and holds the receptionist.
 */
import { Subject, type Observable } from 'rxjs'
import {
  LogLevel, Machine, type Args, type LogFn, type Schema, type Snapshot,
} from '../machine/index.js'
import { onActivity } from '../machine/internals.js'
import { Actor, type ActorHost } from './actor.js'
import { actorSchema } from './actor-schema-merge.js'
import type { ActorStateNames } from './actor.schema.js'
import { ActorTerminatedError, DuplicateActorError, LinkedActorError } from './errors.js'
import type { Envelope, MailboxOptions, OverflowPolicy } from './mailbox.js'
import { SupervisedRef } from './child.js'
import { actorOf } from './ref.js'
import { Receptionist } from './receptionist.js'
import { Router, type RoutingStrategy } from './router.js'
import type { ServiceKey } from './service-key.js'
import { ActorSystemSchema } from './system.schema.js'
import type { ActorLike, ActorRef, CheckActorHandlers, DeadLetter, DeadLetterReason, PolicyOf, StopInfo } from './types.js'

export interface ActorSystemOptions {
  id?: string
  /** Default mailbox options of every actor (`block` is chosen per actor, so that its refs are typed for it). */
  mailbox?: Omit<MailboxOptions, 'overflow'> & { overflow?: Exclude<OverflowPolicy, 'block'> }
  /** How long `stop`/`shutdown` wait for in-flight handlers per actor, in ms. Default 5000. */
  stopTimeout?: number
  logLevel?: LogLevel
  logger?: LogFn
}

export interface SpawnOptions<M extends string, H> {
  id: string
  /** Registers the actor with the receptionist under this key. */
  key?: ServiceKey<M, H> | ServiceKey<M>
  mailbox?: MailboxOptions
  concurrency?: number
  logLevel?: LogLevel
  logger?: LogFn
}

export class ActorSystem {
  readonly machine: Machine<(typeof ActorSystemSchema.names)[number]>
  readonly receptionist = new Receptionist()
  /** Every dropped, undeliverable or drained message, with the reason. */
  readonly deadLetters$: Observable<DeadLetter>
  deadLetterCount = 0

  private readonly deadLetters = new Subject<DeadLetter>()
  private readonly actors = new Map<string, Actor>()
  private readonly watchers = new Map<Actor, Array<(info: StopInfo) => void>>()
  private readonly links = new Map<Actor, Set<() => void>>()
  private readonly host: ActorHost
  private shutdownPromise: Promise<void> | null = null
  private readonly supervisors: Array<{ stop(): Promise<void> }> = []

  constructor(private readonly opts: ActorSystemOptions = {}) {
    this.machine = new Machine(ActorSystemSchema, {
      id: opts.id ?? 'actor-system',
      ...(opts.logLevel !== undefined && { logLevel: opts.logLevel }),
      ...(opts.logger && { logger: opts.logger }),
    })
    this.machine.add('Running')
    this.deadLetters$ = this.deadLetters.asObservable()
    this.host = {
      deadLetter: (id, env, reason) => this.deadLetter(id, env.msg, env.args, reason),
      deadLetters$: this.deadLetters$,
      stopped: (actor, info) => this.actorStopped(actor, info),
    }
  }

  /**
   * Spawns an actor: a machine over `schema` merged with `ActorSchema`, with `handlers` bound. Returns its ref at
   * once; messages wait in the mailbox until the actor is Ready (after an async `StartState`, if any).
   */
  spawn<N extends string, H extends object, M extends N, const O extends SpawnOptions<Exclude<M, ActorStateNames>, H>>(
    schema: Schema<N, M>,
    handlers: H & CheckActorHandlers<H, N | ActorStateNames, Exclude<M, ActorStateNames>>,
    opts: O,
  ): ActorRef<Exclude<M, ActorStateNames>, H, PolicyOf<O>, N> {
    const actor = this.spawnActor(schema as Schema<string>, handlers, opts)
    const ref = actor.ref as unknown as ActorRef<Exclude<M, ActorStateNames>, H, PolicyOf<O>, N>
    if (opts.key) this.receptionist.register(opts.key as ServiceKey<Exclude<M, ActorStateNames>, H>, ref)
    return ref
  }

  /**
   * Internal (used by supervisors): spawns and starts an actor, optionally with messages kept from a previous
   * incarnation and under another parent machine.
   */
  spawnActor(
    schema: Schema<string>,
    handlers: object,
    opts: Omit<SpawnOptions<string, unknown>, 'key'> & {
      preload?: readonly Envelope[]
      parent?: Machine<string>
      snapshot?: Snapshot
      supervised?: boolean
    },
  ): Actor {
    if (!this.machine.is('Running')) throw new Error(`actor system ${this.machine.id} is not running: cannot spawn ${opts.id}`)
    if (typeof opts.id !== 'string' || opts.id === '') throw new TypeError('spawn() needs a non-empty string id')
    if (this.actors.has(opts.id)) throw new DuplicateActorError(opts.id)
    const actor = new Actor(this.host, actorSchema(schema), handlers, {
      id: opts.id,
      mailbox: { ...this.opts.mailbox, ...opts.mailbox },
      ...optional('concurrency', opts.concurrency),
      ...optional('logLevel', opts.logLevel ?? this.opts.logLevel),
      ...optional('logger', opts.logger ?? this.opts.logger),
      ...optional('preload', opts.preload),
      ...optional('snapshot', opts.snapshot),
      ...optional('supervised', opts.supervised),
      parent: opts.parent ?? this.machine,
    })
    this.actors.set(opts.id, actor)
    this.machine.add('ActorSpawned', { id: opts.id })
    void actor.start()
    return actor
  }

  /** The live actor with this id. */
  get(id: string): ActorRef | undefined {
    return this.actors.get(id)?.ref
  }

  /** Number of live actors. */
  get size(): number {
    return this.actors.size
  }

  /** Stops one actor: no new deliveries, in-flight handlers finish, the mailbox goes to dead letters. */
  stop(ref: ActorLike, opts: { timeout?: number } = {}): Promise<void> {
    if (ref instanceof SupervisedRef) return ref.stopForGood()
    return this.actorFor(ref, 'stop').stop('stopped', opts.timeout ?? this.opts.stopTimeout ?? 5000)
  }

  /**
   * Stops every actor in reverse start order, each after its in-flight handlers finish (up to `timeout` ms each);
   * mailboxes are drained to dead letters and pending asks fail with `ActorTerminatedError`.
   */
  shutdown(opts: { timeout?: number } = {}): Promise<void> {
    return (this.shutdownPromise ??= this.doShutdown(opts.timeout ?? this.opts.stopTimeout ?? 5000))
  }

  /** Resolves with how the actor ended, when it stops (at once if it already has). */
  watch(ref: ActorLike): Promise<StopInfo> {
    if (ref instanceof SupervisedRef) return ref.whenStopped()
    const actor = actorOf(ref)
    if (!actor) return Promise.reject(new TypeError(`watch(): ${String(ref)} is not an actor ref`))
    if (actor.stopInfo) return Promise.resolve(actor.stopInfo)
    return new Promise((resolve) => {
      const list = this.watchers.get(actor)
      if (list) list.push(resolve)
      else this.watchers.set(actor, [resolve])
    })
  }

  /**
   * Links two actors: when one fails (enters `Exception`, now or later), the other gets `ErrLinked`. Returns an
   * unlink function; links end when either actor stops.
   */
  link(a: ActorLike, b: ActorLike): () => void {
    const x = this.actorFor(a, 'link')
    const y = this.actorFor(b, 'link')
    const subs = [watchFailure(x, y), watchFailure(y, x)]
    const unlink = (): void => {
      for (const s of subs) s()
      this.links.get(x)?.delete(unlink)
      this.links.get(y)?.delete(unlink)
    }
    for (const actor of [x, y]) {
      const set = this.links.get(actor) ?? new Set()
      set.add(unlink)
      this.links.set(actor, set)
    }
    return unlink
  }

  /** A ref that routes each message to one actor registered under `key`. */
  router<M extends string, H>(key: ServiceKey<M, H>, strategy: RoutingStrategy = 'round-robin'): Router<M, H> {
    return new Router(this.receptionist, key, strategy, (msg, args) => this.deadLetter(`router:${key.name}`, msg, args, 'no-actors'))
  }

  /** Internal: supervisors stop (top-down, newest first) before the remaining actors at shutdown. */
  adopt(supervisor: { stop(): Promise<void> }): void {
    this.supervisors.push(supervisor)
  }

  private async doShutdown(timeout: number): Promise<void> {
    this.machine.add('ShuttingDown')
    for (const s of [...this.supervisors].reverse()) await s.stop()
    const order = [...this.actors.values()].reverse()
    for (const actor of order) await actor.stop('shutdown', timeout)
    this.receptionist.close()
    this.machine.add('Terminated')
    this.deadLetters.complete()
  }

  private actorStopped(actor: Actor, info: StopInfo): void {
    if (this.actors.get(actor.id) === actor) this.actors.delete(actor.id)
    this.receptionist.unregisterAll(actor.ref)
    for (const unlink of [...(this.links.get(actor) ?? [])]) unlink()
    this.links.delete(actor)
    const watchers = this.watchers.get(actor) ?? []
    this.watchers.delete(actor)
    for (const w of watchers) w(info)
    this.machine.add('ActorStopped', { id: actor.id, reason: info.reason })
  }

  /** Internal (used by supervised refs): reports a dead letter. */
  reportDeadLetter(actorId: string, env: Envelope, reason: DeadLetterReason): void {
    this.deadLetter(actorId, env.msg, env.args, reason)
  }

  private deadLetter(actorId: string, msg: string, args: Args | undefined, reason: DeadLetterReason): void {
    this.deadLetterCount++
    this.deadLetters.next({ actorId, msg, args, reason, at: Date.now() })
    if ((this.opts.logLevel ?? 0) >= LogLevel.Changes) {
      const line = `[${this.machine.id.slice(0, 5)}] [dead-letter] ${actorId} ${msg} (${reason})`
      if (this.opts.logger) this.opts.logger(LogLevel.Changes, line)
      else console.log(line)
    }
    if (!this.machine.disposed) this.machine.add('DeadLetter', { id: actorId, msg, reason })
  }

  private actorFor(ref: ActorLike, where: string): Actor {
    if (ref instanceof SupervisedRef) {
      throw new TypeError(`${where}(): ${ref.id} is a supervised child: its failures go to its supervisor`)
    }
    const actor = actorOf(ref)
    if (!actor) throw new TypeError(`${where}(): ${String(ref)} is not an actor ref`)
    if (actor.stopped) throw new ActorTerminatedError(actor.id)
    return actor
  }
}

/** When `from` enters Exception (or already is in it), `to` gets ErrLinked. Returns the unsubscribe. */
function watchFailure(from: Actor, to: Actor): () => void {
  return onActivity(from.mach, 'Exception', (active) => {
    if (active && !to.stopped && !to.mach.disposed) {
      to.mach.addErrState('ErrLinked', new LinkedActorError(to.id, from.id, { cause: from.mach.err }))
    }
  })
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
