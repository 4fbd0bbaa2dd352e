/**
 * The actor system: spawns actors, stops them (one, or all in reverse start order), routes dead letters, links and
 * watches actors, and holds the receptionist.
 */
import { Subject, type Observable } from 'rxjs'
import {
  InvalidArgumentError, LogLevel, Machine, isSchema, type Args, type LogFn, type Schema, type Snapshot,
} from '../machine/index.js'
import { onActivity, safeString } from '../machine/internals.js'
import { Actor, type ActorHost } from './actor.js'
import { actorSchema } from './actor-schema-merge.js'
import { readSpawnOptions } from './actor-options.js'
import type { ActorStateNames } from './actor.schema.js'
import { DEFAULT_TIMEOUT, checkName, checkOptions, checkTimeout } from './check.js'
import { DuplicateActorError, LinkedActorError, SystemShutdownError } from './errors.js'
import { readMailboxOptions, type Envelope, type MailboxOptions, type NonBlockingMailboxOptions } from './mailbox.js'
import { localRef, type LocalRef } from './ref.js'
import { Receptionist } from './receptionist.js'
import { Router, type RoutingStrategy } from './router.js'
import type { ServiceKey } from './service-key.js'
import { ActorSystemSchema } from './system.schema.js'
import type { ActorLike, ActorRef, CheckActorHandlers, DeadLetter, DeadLetterReason, Msgs, PolicyOf, StopInfo } from './types.js'

export interface ActorSystemOptions {
  id?: string
  /** Default mailbox options of every actor (`block` is chosen per actor, so that its refs are typed for it). */
  mailbox?: NonBlockingMailboxOptions
  /** How long `stop`/`shutdown` wait for in-flight handlers per actor, in ms. Default `DEFAULT_TIMEOUT` (5000). */
  stopTimeout?: number
  logLevel?: LogLevel
  logger?: LogFn
}

/** What `spawnActor` takes beyond `spawn()`'s options (for supervised incarnations). */
export interface SpawnActorOptions extends Omit<SpawnOptions<string, unknown>, 'key'> {
  /** Messages kept from the previous incarnation, delivered first. */
  preload?: readonly Envelope[]
  parent?: Machine<string>
  /** Clocks to restore before starting. */
  snapshot?: Snapshot
  /** A supervisor decides about its failures. */
  supervised?: boolean
}

export interface SpawnOptions<M extends string, H> {
  id: string
  /** Registers the actor with the receptionist under this key. */
  key?: ServiceKey<M, H> | ServiceKey<M>
  mailbox?: MailboxOptions
  concurrency?: number
  /**
   * An async message handler still running after this many ms fails its message (`HandlerTimeoutError`, its
   * `e.signal` aborted) and puts the actor in `Exception` (a supervised one's supervisor decides). Default: none.
   */
  handlerTimeout?: number
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
  private readonly links = new Map<Actor, Set<() => void>>()
  /** @internal What actors, refs and supervised children get of this system (dead letters, stop reports). */
  readonly host: ActorHost
  private shutdownPromise: Promise<void> | null = null
  private readonly supervisors: Array<{ stop(opts?: { timeout?: number }): Promise<void> }> = []
  private readonly opts: ActorSystemOptions

  /** @throws InvalidArgumentError / OutOfRangeError for bad options (a `block` default mailbox among them). */
  constructor(options: ActorSystemOptions = {}) {
    const opts = (this.opts = readSystemOptions(options))
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
  spawn<N extends string, H extends object, M extends N, const O extends SpawnOptions<Msgs<M>, H>>(
    schema: Schema<N, M>,
    handlers: H & CheckActorHandlers<H, N | ActorStateNames, Msgs<M>>,
    opts: O,
  ): ActorRef<Msgs<M>, H, PolicyOf<O>, N> {
    checkOptions('system.spawn()', opts, 'an options object { id, … }')
    if (opts === undefined) throw new InvalidArgumentError('system.spawn()', 'options', 'an options object { id, … }', opts)
    opts = readSpawnOptions('system.spawn()', opts) // each option read once, a getter that throws is a bad argument
    const key = opts.key
    if (key !== undefined) checkKey('system.spawn()', 'options.key', key)
    const { ref } = this.spawnActor<N, H, M, O>(schema, handlers, opts)
    if (key) this.receptionist.register<Msgs<M>, unknown, PolicyOf<O>>(key, ref)
    return ref
  }

  /**
   * @internal Spawns and starts an actor (`spawn()`, and supervisors for each incarnation of a child), optionally
   * with messages kept from a previous incarnation, saved clocks and another parent machine. Its ref is typed from
   * the schema, the handlers and the options' mailbox policy, like `spawn()`'s.
   */
  spawnActor<N extends string, H extends object, M extends N, const O extends SpawnActorOptions>(
    schema: Schema<N, M>,
    handlers: H,
    opts: O,
  ): Actor<Msgs<M>, H, PolicyOf<O>, N> {
    const where = 'system.spawn()'
    checkOptions(where, opts, 'an options object { id, … }')
    const id = opts.id
    checkName(where, 'options.id', id)
    if (!this.machine.is('Running')) throw new SystemShutdownError(this.machine.id, `spawn ${id}`)
    if (!isSchema(schema)) throw new InvalidArgumentError(where, 'schema', 'a schema made by schema()', schema)
    if ((typeof handlers !== 'object' || handlers === null) && typeof handlers !== 'function') {
      throw new InvalidArgumentError(where, 'handlers', 'a handler object', handlers)
    }
    if (this.actors.has(id)) throw new DuplicateActorError(id)
    const { logLevel, logger } = opts
    if (logLevel !== undefined && typeof logLevel !== 'number') throw new InvalidArgumentError(where, 'options.logLevel', 'a LogLevel', logLevel)
    if (logger !== undefined && typeof logger !== 'function') {
      throw new InvalidArgumentError(where, 'options.logger', 'a function (level, line) => void', logger)
    }
    const actor = new Actor<Msgs<M>, H, PolicyOf<O>, N>(this.host, actorSchema(schema), handlers, {
      id,
      mailbox: { ...this.opts.mailbox, ...readMailboxOptions(where, opts.mailbox) },
      ...optional('concurrency', opts.concurrency),
      ...optional('handlerTimeout', opts.handlerTimeout),
      ...optional('logLevel', logLevel ?? this.opts.logLevel),
      ...optional('logger', logger ?? this.opts.logger),
      ...optional('preload', opts.preload),
      ...optional('snapshot', opts.snapshot),
      ...optional('supervised', opts.supervised),
      parent: opts.parent ?? this.machine,
    })
    this.actors.set(id, actor)
    this.machine.add('ActorSpawned', { id })
    void actor.start()
    return actor
  }

  /** The live actor with this id. */
  get(id: string): ActorRef | undefined {
    if (typeof id !== 'string') throw new InvalidArgumentError('system.get()', 'id', 'an actor id (string)', id)
    return this.actors.get(id)?.ref
  }

  /** Number of live actors. */
  get size(): number {
    return this.actors.size
  }

  /**
   * Stops one actor: no new deliveries, in-flight handlers finish, the mailbox goes to dead letters. A supervised
   * child is stopped for good through its supervisor.
   */
  stop(ref: ActorLike, opts?: { timeout?: number }): Promise<void> {
    const timeout = this.timeoutOf('system.stop()', opts)
    return this.localRefOf(ref, 'stop').stopActor(timeout)
  }

  /**
   * Stops every actor in reverse start order, each after its in-flight handlers finish (up to `timeout` ms each);
   * mailboxes are drained to dead letters and pending asks fail with `ActorTerminatedError`.
   */
  shutdown(opts?: { timeout?: number }): Promise<void> {
    const timeout = this.timeoutOf('system.shutdown()', opts)
    // A timeout given here bounds the supervisors' stops too; without one, each supervisor uses its own stopTimeout.
    return (this.shutdownPromise ??= this.doShutdown(timeout, opts?.timeout !== undefined))
  }

  /** `opts.timeout` checked, else the system's `stopTimeout`. */
  private timeoutOf(where: string, opts: { timeout?: number } | undefined): number {
    checkOptions(where, opts, 'an object { timeout? } or undefined')
    const timeout = opts?.timeout
    checkTimeout(where, 'options.timeout', timeout)
    return timeout ?? this.opts.stopTimeout ?? DEFAULT_TIMEOUT
  }

  /** Resolves with how the actor ended, when it stops (at once if it already has; a supervised child: for good). */
  watch(ref: ActorLike): Promise<StopInfo> {
    return this.localRefOf(ref, 'watch').whenStopped()
  }

  /**
   * Links two actors: when one fails (enters `Exception`, now or later), the other gets `ErrLinked`. Returns an
   * unlink function; links end when either actor stops.
   */
  link(a: ActorLike, b: ActorLike): () => void {
    const x = this.localRefOf(a, 'link').linkable('system.link()')
    const y = this.localRefOf(b, 'link').linkable('system.link()')
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
    checkKey('system.router()', 'key', key)
    const id = `router:${key.name}`
    return new Router(this.receptionist, key, strategy, (msg, args) => this.deadLetter(id, msg, args, 'no-actors'))
  }

  /**
   * Internal: supervisors stop (top-down, newest first) before the remaining actors at shutdown. Returns the function
   * a supervisor calls once it stopped, so that the system does not keep it.
   */
  adopt(supervisor: { stop(opts?: { timeout?: number }): Promise<void> }): () => void {
    this.supervisors.push(supervisor)
    return () => {
      const i = this.supervisors.lastIndexOf(supervisor)
      if (i >= 0) this.supervisors.splice(i, 1)
    }
  }

  private async doShutdown(timeout: number, bounded: boolean): Promise<void> {
    this.machine.add('ShuttingDown')
    // one failing stop must not leave the actors after it running: it is recorded, the shutdown goes on
    const failed = (err: unknown): void => void this.machine.addErr(err, { during: 'shutdown' })
    for (const s of [...this.supervisors].reverse()) await s.stop(bounded ? { timeout } : undefined).catch(failed)
    const order = [...this.actors.values()].reverse()
    for (const actor of order) await actor.stop('shutdown', timeout).catch(failed)
    this.receptionist.close()
    this.machine.add('Terminated')
    this.deadLetters.complete()
  }

  private actorStopped(actor: Actor, info: StopInfo): void {
    if (this.actors.get(actor.id) === actor) this.actors.delete(actor.id)
    this.receptionist.unregisterAll(actor.ref)
    for (const unlink of [...(this.links.get(actor) ?? [])]) unlink()
    this.links.delete(actor)
    this.machine.add('ActorStopped', { id: actor.id, reason: info.reason })
  }

  private deadLetter(actorId: string, msg: string, args: Args | undefined, reason: DeadLetterReason): void {
    this.deadLetterCount++
    this.deadLetters.next({ actorId, msg, args, reason, at: Date.now() })
    if ((this.opts.logLevel ?? 0) >= LogLevel.Changes) {
      const line = `[${this.machine.id.slice(0, 5)}] [dead-letter] ${actorId} ${safeString(msg)} (${reason})`
      const logger = this.opts.logger
      if (!logger) console.log(line)
      else {
        try {
          logger(LogLevel.Changes, line)
        } catch (err) {
          // a dead letter is reported from deliveries and timers: a throwing logger must not fail them
          console.error(`polymachine [${this.machine.id}] logger threw: ${safeString(err)}; the line was: ${line}`)
        }
      }
    }
    if (!this.machine.disposed) this.machine.add('DeadLetter', { id: actorId, msg, reason })
  }

  private localRefOf(ref: ActorLike, where: string): LocalRef {
    const local = localRef(ref)
    if (!local) throw new InvalidArgumentError(`system.${where}()`, 'ref', 'an actor ref', ref)
    return local
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

/** A service key: an object with a non-empty string `name` (made by `serviceKey()`). */
function checkKey(where: string, argument: string, key: unknown): void {
  let name: unknown
  try {
    name = typeof key === 'object' && key !== null ? (key as { name?: unknown }).name : undefined
  } catch {
    name = undefined
  }
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(where, argument, 'a service key made by serviceKey()', key)
}

/** The system's options, read once and checked. */
function readSystemOptions(options: unknown): ActorSystemOptions {
  const where = 'new ActorSystem()'
  checkOptions(where, options)
  if (options === undefined) return {}
  const { id, mailbox, stopTimeout, logLevel, logger } = options as ActorSystemOptions
  if (id !== undefined) checkName(where, 'options.id', id)
  checkTimeout(where, 'options.stopTimeout', stopTimeout)
  if (logLevel !== undefined && typeof logLevel !== 'number') throw new InvalidArgumentError(where, 'options.logLevel', 'a LogLevel', logLevel)
  if (logger !== undefined && typeof logger !== 'function') {
    throw new InvalidArgumentError(where, 'options.logger', 'a function (level, line) => void', logger)
  }
  const box = readMailboxOptions(where, mailbox)
  if (box.overflow === 'block') {
    throw new InvalidArgumentError(where, 'options.mailbox.overflow',
      "a policy other than 'block' (choose block per actor, so that its ref's tell is typed as a Promise)", 'block')
  }
  return {
    ...optional('id', id), ...optional('stopTimeout', stopTimeout), ...optional('logLevel', logLevel),
    ...optional('logger', logger), mailbox: box as ActorSystemOptions['mailbox'] & object,
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
