/**
 * A supervisor: a machine (SupervisorSchema) that starts children, watches them fail (their Exception state), and
 * decides: restart (one-for-one, one-for-all, rest-for-one; paced by backoff, bounded by intensity), resume, stop,
 * or escalate to its parent supervisor. Refs of children survive restarts and no message is lost meanwhile.
 */
import { InvalidArgumentError, Machine, OutOfRangeError, type Schema, type Snapshot } from '../machine/index.js'
import { onActivity } from '../machine/internals.js'
import { actorSchema, messageStates } from './actor-schema-merge.js'
import type { Actor } from './actor.js'
import { RestartWindow } from './backoff.js'
import { DEFAULT_TIMEOUT } from './check.js'
import { Child, type ChildContext, type ChildSpec, type SupervisedRef } from './child.js'
import { ActorTerminatedError, DuplicateActorError, RestartLimitError } from './errors.js'
import type { Envelope } from './mailbox.js'
import { SpawnFailure, whenStarted } from './incarnation.js'
import { Pause } from './pause.js'
import { checkChildSpec, checkSupervisorOptions, checkSystem, readOptions } from './supervision-check.js'
import { SupervisorStoppedError } from './supervision-errors.js'
import {
  DEFAULT_MAX_RESTARTS, DEFAULT_PERIOD, chooseDirective, type Directive, type SupervisorOptions,
} from './supervisor-policy.js'
import { SupervisorSchema, type SupervisorStateNames } from './supervisor.schema.js'
import type { ActorSystem } from './system.js'
import type { ActorRef, AskOptions, Msgs, PolicyOf } from './types.js'

export type { ChildInfo, Directive, Strategy, SupervisorOptions } from './supervisor-policy.js'

export class Supervisor<D = unknown> {
  readonly machine: Machine<SupervisorStateNames>
  /** Restarts of children so far (all of them). */
  restarts = 0

  /** By id, in start order (a Map keeps insertion order): lookups stay O(1) with many keyed children. */
  private readonly children = new Map<string, Child>()
  private readonly subs: Array<Supervisor<unknown>> = []
  private readonly window: RestartWindow
  private pending = 0
  private stopping: Promise<void> | null = null
  /** Backoff sleeps and deferred resumes: cut short when the supervisor stops. */
  private readonly pause = new Pause()
  private readonly stopHooks: Array<(timeout: number) => Promise<void>> = []
  /** Ends the system's (or the parent's) hold on this supervisor once it stopped. */
  private unadopt: (() => void) | undefined
  private readonly opts: SupervisorOptions<D>
  /** How long stopping a child waits for its handlers in flight (ms). */
  private readonly stopTimeout: number

  constructor(
    readonly system: ActorSystem,
    options: SupervisorOptions<D>,
  ) {
    const where = 'new Supervisor()'
    checkSystem(where, system)
    const opts = (this.opts = readOptions(where, 'options', options))
    checkSupervisorOptions(where, opts)
    if (opts.parent !== undefined && !(opts.parent instanceof Supervisor)) {
      throw new InvalidArgumentError(where, 'options.parent', 'a Supervisor or undefined', opts.parent)
    }
    this.window = new RestartWindow(opts.maxRestarts ?? DEFAULT_MAX_RESTARTS, opts.period ?? DEFAULT_PERIOD)
    this.stopTimeout = opts.stopTimeout ?? DEFAULT_TIMEOUT
    this.machine = new Machine(SupervisorSchema, {
      id: opts.id,
      parent: opts.parent?.machine ?? system.machine,
      tags: ['supervisor'],
      ...(opts.logLevel !== undefined && { logLevel: opts.logLevel }),
      ...(opts.logger && { logger: opts.logger }),
    })
    if (opts.parent) opts.parent.subs.push(this as Supervisor<unknown>)
    else this.unadopt = system.adopt(this)
    this.machine.add(['Start', 'Ready'])
  }

  get id(): string {
    return this.opts.id
  }

  /**
   * Starts a child under this supervisor and returns its ref, valid across restarts.
   *
   * ```ts
   * const ref = sup.supervise({ id: 'db', schema: dbSchema, handlers: ({ deps }) => new Db(deps.url) })
   * ```
   */
  supervise<N extends string, H extends object, M extends N, const S extends ChildSpec<N, H, D, M>>(
    spec: S & ChildSpec<N, H, D, M>,
  ): SupervisedRef<Msgs<M>, H, PolicyOf<S>, N> {
    const where = `supervisor ${this.id}: supervise()`
    const s = readOptions(where, 'spec', spec) as ChildSpec
    checkChildSpec(where, s)
    if (this.stopping) throw new SupervisorStoppedError(this.id, `supervise '${s.id}'`)
    if (this.children.has(s.id)) throw new DuplicateActorError(s.id)
    const merged = actorSchema(s.schema as Schema<string>)
    const child: Child<Msgs<M>, H, PolicyOf<S>, N> = new Child(s, this.system.host, messageStates(merged), this.opts.backoff ?? {},
      () => this.retire(child))
    this.children.set(child.id, child)
    try {
      void this.startChild(child, [], true)
    } catch (err) {
      // The first incarnation could not even be spawned (bad handlers object, snapshot, id in use): not supervised.
      this.children.delete(child.id)
      child.stoppedForGood = true
      throw err
    }
    return child.ref
  }

  /** The ref of child `id`. */
  child(id: string): ActorRef | undefined {
    return this.children.get(id)?.ref
  }

  /** @internal Delivers an envelope to child `id` (live incarnation, or its restart buffer). */
  deliverTo(id: string, env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    const child = this.children.get(id)
    if (!child) throw new ActorTerminatedError(id, env.msg)
    return child.enqueue(env, opts)
  }

  /** Ids of children not stopped for good, in start order. */
  get childIds(): string[] {
    return [...this.children.values()].filter((c) => !c.stoppedForGood).map((c) => c.id)
  }

  /** Stops one child for good: its queued messages become dead letters, and the supervisor forgets it. */
  async stopChild(id: string): Promise<void> {
    const child = this.children.get(id)
    if (!child) throw new InvalidArgumentError(`supervisor ${this.id}: stopChild()`, 'id', 'the id of a live child', id)
    await this.retire(child)
  }

  /**
   * @internal Runs `hook(timeout)` first when this supervisor stops (keyed actors passivate there, waiting at most
   * `timeout` ms). Must not throw.
   */
  onStop(hook: (timeout: number) => Promise<void>): void {
    this.stopHooks.push(hook)
  }

  /**
   * Stops child `id` and forgets it (its id can be supervised again), handing back what it had not handled yet and
   * its final clocks. For passivation: nothing becomes a dead letter.
   */
  async release(id: string): Promise<{ mail: Envelope[]; snapshot: Snapshot | undefined }> {
    const child = this.children.get(id)
    if (!child) throw new InvalidArgumentError(`supervisor ${this.id}: release()`, 'id', 'the id of a live child', id)
    child.restarting = true
    await child.actor?.stop('restart', this.stopTimeout)
    if (this.children.get(id) === child) this.children.delete(id)
    child.stoppedForGood = true
    const snapshot = child.actor?.mach.export()
    this.machine.add('ChildStopped', { id })
    return { mail: child.takeMail(), snapshot }
  }

  /**
   * Stops every child (reverse start order) and sub-supervisor, then this supervisor. `timeout` bounds how long each
   * child's handlers in flight (and keyed passivations) are waited for; default: this supervisor's `stopTimeout`.
   */
  stop(opts?: { timeout?: number }): Promise<void> {
    const where = `supervisor ${this.id}: stop()`
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
      throw new InvalidArgumentError(where, 'options', 'an object { timeout? } or undefined', opts)
    }
    const timeout: unknown = opts?.timeout
    if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
      throw new OutOfRangeError(where, 'options.timeout', 'a number ≥ 0 (ms) or Infinity', timeout)
    }
    return (this.stopping ??= this.doStop(timeout ?? this.stopTimeout))
  }

  // --- failures ------------------------------------------------------------------------------------------------

  private failed(child: Child, incarnation: number, err: unknown): void {
    if (this.stopping || child.incarnation !== incarnation || child.restarting || child.stoppedForGood) return
    if (!this.system.machine.is('Running')) return
    const chosen = chooseDirective(this.id, this.opts.decide, child, err)
    const directive: Directive = chosen.directive
    err = chosen.err
    this.machine.add('ChildFailed', { id: child.id, err, directive })
    switch (directive) {
      case 'resume':
        // In a macrotask: a handler that fails on every message must not keep the event loop in microtasks.
        this.pause.defer(() => {
          const a = child.actor
          if (child.incarnation === incarnation && !child.restarting && !child.stoppedForGood && a?.accepting) a.resume()
        })
        return
      case 'stop':
        void this.retire(child).catch(this.report)
        return
      case 'escalate':
        this.escalate(err, child.id)
        return
      default:
        void this.restart(child, err).catch(this.report)
    }
  }

  private async restart(failed: Child, err: unknown): Promise<void> {
    const now = Date.now()
    if (!this.window.record(now)) {
      this.escalate(new RestartLimitError(this.id, failed.id, this.window.maxRestarts, this.window.period, { cause: err }), failed.id)
      return
    }
    const group = this.group(failed)
    const delay = failed.backoff.next(now)
    for (const c of group) c.restarting = true
    this.begin()
    try {
      for (const c of [...group].reverse()) await c.actor?.stop('restart', this.stopTimeout)
      await this.pause.sleep(delay) // a macrotask even for 0 ms: a restart storm must not starve the event loop
      const started: Array<Promise<void>> = []
      for (const c of group) {
        if (this.stopping || c.stoppedForGood) continue
        this.restarts++
        c.restarting = false // before the start: a failure of the new incarnation must reach failed()
        started.push(this.startChild(c, c.takeMail()))
      }
      await Promise.all(started) // Restarting lasts until the new incarnations are Ready (or failed again)
    } finally {
      for (const c of group) c.restarting = false
      this.end()
    }
  }

  /** The children that restart with `failed`, in start order. */
  private group(failed: Child): Child[] {
    const live = [...this.children.values()].filter((c) => !c.stoppedForGood)
    switch (this.opts.strategy ?? 'one-for-one') {
      case 'one-for-all':
        return live
      case 'rest-for-one':
        return live.slice(live.indexOf(failed))
      default:
        return [failed]
    }
  }

  private escalate(err: unknown, childId: string): void {
    const parent = this.opts.parent
    if (parent && !parent.stopping) {
      void this.stopChildrenOnly().then(() => parent.subFailed(this as Supervisor<unknown>, err)).catch(this.report)
      return
    }
    this.machine.addErrState('ErrRestartLimit', err, { id: childId })
    void this.stop()
  }

  /** A sub-supervisor gave up: restart it (all its children afresh), within this supervisor's intensity. */
  private async subFailed(sub: Supervisor<unknown>, err: unknown): Promise<void> {
    if (this.stopping) return
    this.machine.add('ChildFailed', { id: sub.id, err, directive: 'restart' })
    if (!this.window.record(Date.now())) {
      this.escalate(new RestartLimitError(this.id, sub.id, this.window.maxRestarts, this.window.period, { cause: err }), sub.id)
      return
    }
    this.begin()
    try {
      await this.pause.sleep(this.opts.backoff?.min ?? 100)
      if (!this.stopping) await sub.restartAll()
    } finally {
      this.end()
    }
  }

  private async restartAll(): Promise<void> {
    const started: Array<Promise<void>> = []
    for (const sub of this.subs) if (!sub.stopping) started.push(sub.restartAll())
    for (const c of [...this.children.values()]) {
      if (c.stoppedForGood) continue
      this.restarts++
      c.restarting = false
      started.push(this.startChild(c, c.takeMail()))
    }
    await Promise.all(started)
  }

  // --- child lifecycle -----------------------------------------------------------------------------------------

  /**
   * Starts the next incarnation of `child`; resolves when it is Ready, failed or stopped. A spawn that throws fails
   * the incarnation, except the first one (`first`): then `supervise()` throws it.
   */
  private startChild(child: Child, preload: ReturnType<Child['takeMail']>, first = false): Promise<void> {
    const incarnation = ++child.incarnation
    this.machine.add('ChildStarting', { id: child.id, incarnation })
    let actor: Actor
    try {
      // user code (`project`, the factory) fails this incarnation (retried), never the restart loop
      const { project, deps } = this.opts
      const ctx: ChildContext<D> = {
        id: child.id,
        incarnation,
        deps: (project && deps !== undefined ? project(deps, child.id) : deps) as D,
      }
      const handlers = child.spec.handlers(ctx)
      try {
        actor = this.system.spawnActor(child.spec.schema as Schema<string>, handlers, {
          id: child.id,
          ...(child.spec.mailbox && { mailbox: child.spec.mailbox }),
          ...(child.spec.concurrency !== undefined && { concurrency: child.spec.concurrency }),
          ...(child.spec.handlerTimeout !== undefined && { handlerTimeout: child.spec.handlerTimeout }),
          preload,
          parent: this.machine,
          supervised: true,
          // every incarnation starts from the persisted state: a restart must not turn a keyed actor's saved state
          // into a fresh one that its next passivation would save over the good data
          ...(child.spec.snapshot && { snapshot: child.spec.snapshot }),
        })
      } catch (err) {
        if (first) throw new SpawnFailure(err)
        throw err
      }
    } catch (err) {
      if (err instanceof SpawnFailure) throw err.error
      child.actor = null
      child.buffer.restore(preload) // kept for the next incarnation
      queueMicrotask(() => this.failed(child, incarnation, err))
      return Promise.resolve()
    }
    child.actor = actor
    child.lastMachine = actor.mach
    onActivity(actor.mach, 'Exception', (active) => {
      if (active) queueMicrotask(() => this.failed(child, incarnation, actor.mach.err))
    })
    return whenStarted(actor).then((ready) => {
      if (ready && !this.machine.disposed) this.machine.add('ChildReady', { id: child.id, incarnation })
    })
  }

  /** Stops a child for good (once; later calls wait for the same stop). */
  private retire(child: Child, timeout = this.stopTimeout): Promise<void> {
    if (child.retired) return child.retired
    if (child.stoppedForGood) return Promise.resolve() // released (passivated): nothing left to stop
    return (child.retired = this.doRetire(child, timeout))
  }

  private async doRetire(child: Child, timeout: number): Promise<void> {
    child.stoppedForGood = true
    await child.actor?.stop('stopped', timeout)
    for (const env of child.takeMail()) void child.enqueue(env, undefined) // stopped for good: dead letters
    this.system.receptionist.unregisterAll(child.ref)
    // Forgotten: a supervisor that outlives many children keeps none of them, and the id can be supervised again.
    if (this.children.get(child.id) === child) this.children.delete(child.id)
    this.machine.add('ChildStopped', { id: child.id })
    child.end({ actorId: child.id, reason: 'stopped' })
  }

  /** Stops the whole subtree for a restart by the parent (sub-supervisors first, as they started last). */
  private async stopChildrenOnly(): Promise<void> {
    for (const sub of [...this.subs].reverse()) if (!sub.stopping) await sub.stopChildrenOnly()
    for (const c of [...this.children.values()].reverse()) {
      c.restarting = true
      await c.actor?.stop('restart', this.stopTimeout)
    }
  }

  private async doStop(timeout: number): Promise<void> {
    this.machine.add('Stopping')
    this.pause.close() // pending backoffs end now; their restarts see `stopping` and start nothing
    for (const hook of this.stopHooks) {
      try {
        await hook(timeout)
      } catch (err) {
        this.machine.addErr(err)
      }
    }
    for (const sub of [...this.subs].reverse()) await sub.stop({ timeout })
    for (const c of [...this.children.values()].reverse()) await this.retire(c, timeout)
    this.machine.add('Stopped')
    // A stopped supervisor is not kept by its system or parent (pools and keyed sets made and stopped at run time).
    if (typeof this.unadopt === 'function') this.unadopt()
    const siblings = this.opts.parent?.subs
    if (siblings?.includes(this as Supervisor<unknown>)) siblings.splice(siblings.indexOf(this as Supervisor<unknown>), 1)
  }

  /** A fault of the supervision machinery itself: an Exception of this supervisor, never an unhandled rejection. */
  private readonly report = (err: unknown): void => {
    if (!this.machine.disposed) this.machine.addErr(err)
  }

  private begin(): void {
    if (this.pending++ === 0) this.machine.add('Restarting')
  }

  private end(): void {
    if (--this.pending === 0) this.machine.remove('Restarting')
  }
}

