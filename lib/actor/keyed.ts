/**
 * Keyed virtual actors (Orleans grains, Akka sharding entities): `keyed.ref(key)` is valid before the actor exists;
 * the first message activates it (loading saved state if a `load` hook is given); an idle actor is passivated
 * (its clocks handed to `save`), and at `maxActive` the least recently used one makes room. No message is lost to
 * activation or passivation: they wait and are delivered to the next incarnation. A failed `load()` fails the
 * activation and the messages waiting on it (the next message tries again); nothing is saved over the stored state.
 */
import { InvalidArgumentError, TimeoutError, type Schema, type Snapshot } from '../machine/index.js'
import { cancelLater, describe, later, type Later } from '../machine/internals.js'
import { actorSchema, messageStates } from './actor-schema-merge.js'
import type { ChildContext, ChildSpec } from './child.js'
import { ActorTerminatedError, UnknownMessageError } from './errors.js'
import { loadSnapshot } from './keyed-load.js'
import { KeyedRef } from './keyed-ref.js'
import { Slots } from './keyed-slots.js'
import { readMailboxOptions, reply, type Envelope, type NonBlockingMailboxOptions } from './mailbox.js'
import { Supervisor, type SupervisorOptions } from './supervisor.js'
import {
  checkFunction, checkInt, checkMs, checkSchema, checkSystem, readOptions,
} from './supervision-check.js'
import { ActivationError } from './supervision-errors.js'
import type { ActorSystem } from './system.js'
import type { AskOptions, DeadLetterReason } from './types.js'

export { KeyedRef } from './keyed-ref.js'

export interface KeyedOptions<N extends string, H extends object, D, M extends N = N> extends SupervisorOptions<D> {
  /** The actors' states; their `multi` ones outside the lifecycle (`M`) are the messages. */
  schema: Schema<N, M>
  /** Fresh handlers per activation (and restart) of the actor for `ctx.key`. */
  handlers: (ctx: ChildContext<D> & { readonly key: string }) => H
  /** Passivate an actor after this many ms without messages. Default: never. */
  idleTimeout?: number
  /** At most this many active (activations in flight count); one more passivates the least recently used. */
  maxActive?: number
  /**
   * Saved clocks for `key` (restored with `machine.import`), or undefined for a fresh actor. A throw, a rejection or
   * a value that is not a snapshot of this schema fails the activation (`ActivationError`).
   */
  load?: (key: string) => Snapshot | undefined | Promise<Snapshot | undefined>
  /** Called with the clocks of a passivated actor (also at shutdown, which waits for it). */
  save?: (key: string, snapshot: Snapshot) => void | Promise<void>
  /** Per actor; `block` is not offered, so `tell` never returns a Promise. */
  mailbox?: NonBlockingMailboxOptions
  /** Per actor: an async handler running longer fails its message and the actor (see `SpawnOptions`). */
  handlerTimeout?: number
}

type Phase = 'inactive' | 'activating' | 'active' | 'passivating'

interface Entry {
  readonly key: string
  /** The child id under the supervisor: `<keyed id>/<key>`. */
  readonly id: string
  phase: Phase
  /** Holds one of the `maxActive` slots (from activation until its passivation ends). */
  slot: boolean
  /** Messages waiting for activation or passivation to finish. */
  waiting: Array<{ env: Envelope; opts: AskOptions | undefined }>
  idle: Later
  /** While passivating: settles when the passivation (its `save` included) is over. */
  passivated: Promise<void> | undefined
}

export class Keyed<N extends string, H extends object, D = unknown, M extends N = N> {
  readonly supervisor: Supervisor<D>
  activations = 0
  passivations = 0

  /** Insertion order is recency: touched entries move to the end. Only keys with an actor or waiting messages. */
  private readonly entries = new Map<string, Entry>()
  /**
   * Refs handed out, held weakly: the same key gives the same ref while anyone holds it, and a dropped ref's slot
   * is removed once it is collected, so keys nobody refers to any more cost nothing.
   */
  private readonly refs = new Map<string, WeakRef<KeyedRef<N, H, M>>>()
  private readonly collected = new FinalizationRegistry<string>((key) => {
    if (this.refs.get(key)?.deref() === undefined) this.refs.delete(key)
  })
  private readonly messages: ReadonlySet<string>
  private readonly opts: KeyedOptions<N, H, D, M>
  /** The `maxActive` slots: held from activation until the passivation ends. */
  private readonly slots: Slots
  private evicting = 0
  private closed = false

  constructor(system: ActorSystem, options: KeyedOptions<N, H, D, M>) {
    const where = 'new Keyed()'
    checkSystem(where, system)
    const opts = (this.opts = readOptions(where, 'options', options))
    checkSchema(where, 'options.schema', opts.schema)
    checkFunction(where, 'options.handlers', opts.handlers)
    checkMs(where, 'options.idleTimeout', opts.idleTimeout, { positive: true, infinite: true })
    checkInt(where, 'options.maxActive', opts.maxActive, 1)
    checkMs(where, 'options.handlerTimeout', opts.handlerTimeout, { positive: true, infinite: true })
    checkFunction(where, 'options.load', opts.load, true)
    checkFunction(where, 'options.save', opts.save, true)
    if (opts.mailbox !== undefined) {
      // read once, guarded (a throwing getter is the caller's bad argument); the children get the checked copy
      const mailbox = readMailboxOptions(where, opts.mailbox)
      if (mailbox.overflow === 'block') {
        throw new InvalidArgumentError(where, 'options.mailbox', 'mailbox options without overflow \'block\'', opts.mailbox)
      }
      opts.mailbox = mailbox as NonBlockingMailboxOptions
    }
    this.supervisor = new Supervisor(system, opts)
    this.slots = new Slots(opts.maxActive ?? Infinity, () => this.evict())
    this.messages = messageStates(actorSchema(opts.schema as Schema<string>))
    this.supervisor.onStop((timeout) => this.close(timeout))
  }

  /** A ref for `key`, valid whether or not its actor is active (the same one while it is held). */
  ref(key: string): KeyedRef<N, H, M> {
    if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(`keyed ${this.opts.id}: ref()`, 'key', 'a non-empty string', key)
    let r = this.refs.get(key)?.deref()
    if (!r) {
      r = new KeyedRef(this, key)
      this.refs.set(key, new WeakRef(r))
      this.collected.register(r, key)
    }
    return r
  }

  /** Keys with an active (or activating) actor, least recently used first. */
  get activeKeys(): string[] {
    return [...this.entries.values()].filter((e) => e.phase === 'active' || e.phase === 'activating').map((e) => e.key)
  }

  /** What this keyed supervisor keeps: `entries` (keys with an actor or messages waiting), `refs` (cached refs). */
  get tracked(): { entries: number; refs: number } {
    return { entries: this.entries.size, refs: this.refs.size }
  }

  /** Passivates `key` now (saving its clocks); false when it was not active. */
  async passivate(key: string): Promise<boolean> {
    if (typeof key !== 'string') throw new InvalidArgumentError(`keyed ${this.opts.id}: passivate()`, 'key', 'a string', key)
    const e = this.entries.get(key)
    if (e?.phase !== 'active' || this.gone(e)) return false
    await this.doPassivate(e)
    return true
  }

  /** @internal Called by KeyedRef. */
  deliver(key: string, env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    if (!this.messages.has(env.msg)) {
      throw new UnknownMessageError(`${this.opts.id}/${key}`, env.msg, 'is not a message: messages are multi states')
    }
    if (this.closed || this.supervisor.machine.not('Start')) return this.refuse(key, env, new ActorTerminatedError(this.childId(key), env.msg), 'stopped')
    let e = this.entries.get(key)
    if (e) {
      this.entries.delete(key)
      this.entries.set(key, e)
    } else {
      this.entries.set(key, (e = { key, id: this.childId(key), phase: 'inactive', slot: false, waiting: [], idle: undefined, passivated: undefined }))
    }
    if (e.phase === 'active') {
      if (!this.gone(e)) {
        this.armIdle(e)
        return this.supervisor.deliverTo(e.id, env, opts)
      }
      this.entries.set(key, e) // its actor was stopped for good: this message activates it again
    }
    e.waiting.push({ env, opts })
    if (e.phase === 'inactive') this.activate(e).catch(this.report)
  }

  private async activate(e: Entry): Promise<void> {
    e.phase = 'activating'
    try {
      e.slot = await this.slots.acquire()
      if (this.ending) return this.drop(e, (env) => new ActorTerminatedError(e.id, env.msg), 'stopped')
      const snapshot = await loadSnapshot(this.opts.id, this.opts, e.key)
      if (this.ending) return this.drop(e, (env) => new ActorTerminatedError(e.id, env.msg), 'stopped')
      const spec: ChildSpec<N, H, D> = {
        id: e.id,
        schema: this.opts.schema,
        handlers: (ctx) => this.opts.handlers({ ...ctx, key: e.key }),
        ...(this.opts.mailbox && { mailbox: this.opts.mailbox }),
        ...(this.opts.handlerTimeout !== undefined && { handlerTimeout: this.opts.handlerTimeout }),
        ...(snapshot && { snapshot }),
      }
      try {
        this.supervisor.supervise(spec)
      } catch (err) {
        throw new ActivationError(this.opts.id, e.key, `its actor could not be spawned (${describe(err)})`, { cause: err })
      }
    } catch (err) {
      // A failed load: the waiting messages fail, the entry is forgotten, and the next message tries again.
      this.supervisor.machine.addErr(err, { id: e.key })
      return this.drop(e, () => err, 'activation-failed')
    }
    e.phase = 'active'
    this.activations++
    this.flush(e)
    if (this.slots.waiting > 0) setImmediate(() => this.evict()) // after its first messages had their turn
  }

  private doPassivate(e: Entry): Promise<void> {
    if (e.phase === 'passivating') return e.passivated ?? Promise.resolve() // an idle timer and LRU may both pick it
    if (e.phase !== 'active') return Promise.resolve()
    e.phase = 'passivating'
    const p = this.passivateNow(e)
    e.passivated = p
    const clear = (): void => {
      if (e.passivated === p) e.passivated = undefined
    }
    p.then(clear, clear)
    return p
  }

  private async passivateNow(e: Entry): Promise<void> {
    cancelLater(e.idle)
    e.idle = undefined
    let mail: Envelope[] = []
    try {
      const released = await this.supervisor.release(e.id)
      mail = released.mail
      this.passivations++
      if (released.snapshot && this.opts.save) await this.opts.save(e.key, released.snapshot)
    } catch (err) {
      this.supervisor.machine.addErr(err, { id: e.key })
    }
    // Messages that were queued in the passivated actor, or arrived meanwhile, reactivate it.
    e.waiting = [...mail.map((env) => ({ env, opts: undefined })), ...e.waiting]
    this.idleNow(e)
  }

  /** The entry has no actor now: forget it, or activate it again for the messages that wait. */
  private idleNow(e: Entry): void {
    e.phase = 'inactive'
    this.releaseSlot(e)
    if (this.closed) return this.drop(e, (env) => new ActorTerminatedError(e.id, env.msg), 'stopped')
    if (e.waiting.length > 0) this.activate(e).catch(this.report)
    else if (this.entries.get(e.key) === e) this.entries.delete(e.key)
  }

  /**
   * True when the entry's actor was stopped for good by the supervisor (a `stop` directive, `temporary`…): the entry
   * is reset, and forgotten unless messages wait (the caller then activates it again).
   */
  private gone(e: Entry): boolean {
    if (this.supervisor.child(e.id)) return false
    cancelLater(e.idle)
    e.idle = undefined
    e.phase = 'inactive'
    this.releaseSlot(e)
    if (e.waiting.length === 0 && this.entries.get(e.key) === e) this.entries.delete(e.key)
    return true
  }

  private flush(e: Entry): void {
    const waiting = e.waiting
    e.waiting = []
    for (const { env, opts } of waiting) {
      try {
        const sent = this.supervisor.deliverTo(e.id, env, opts)
        if (sent) sent.catch((err: unknown) => reply(env, false, err))
      } catch (err) {
        this.refuse(e.key, env, err, err instanceof ActorTerminatedError ? 'stopped' : 'rejected')
      }
    }
    this.armIdle(e)
  }

  /** Fails the entry's waiting messages (asks reject with `error(env)`, tells become dead letters) and forgets it. */
  private drop(e: Entry, error: (env: Envelope) => unknown, reason: DeadLetterReason): void {
    e.phase = 'inactive'
    this.releaseSlot(e)
    const waiting = e.waiting
    e.waiting = []
    if (this.entries.get(e.key) === e) this.entries.delete(e.key)
    for (const { env } of waiting) this.refuse(e.key, env, error(env), reason)
  }

  private refuse(key: string, env: Envelope, err: unknown, reason: DeadLetterReason): void {
    this.supervisor.system.host.deadLetter(this.childId(key), env, reason)
    reply(env, false, err)
  }

  private releaseSlot(e: Entry): void {
    if (!e.slot) return
    e.slot = false
    this.slots.release()
  }

  /** Passivates least recently used actors, one per waiting activation not yet covered by an eviction in flight. */
  private evict(): void {
    if (this.closed) return
    let need = this.slots.waiting - this.evicting
    for (const x of this.entries.values()) {
      if (need <= 0) return
      if (x.phase !== 'active' || this.gone(x)) continue
      need--
      this.evicting++
      this.doPassivate(x).catch(this.report).finally(() => this.evicting--)
    }
  }

  // --- shutdown ------------------------------------------------------------------------------------------------

  /**
   * The supervisor stops: passivate every active actor through `save` (awaited up to `timeout` ms: a save that
   * outlives it is reported, not waited for), fail activations, no timers.
   */
  private async close(timeout: number): Promise<void> {
    this.closed = true
    this.slots.close()
    const passivations: Array<Promise<void>> = []
    for (const e of [...this.entries.values()]) {
      cancelLater(e.idle)
      e.idle = undefined
      if ((e.phase === 'active' && !this.gone(e)) || e.phase === 'passivating') passivations.push(this.doPassivate(e))
      else if (e.phase === 'activating' || e.phase === 'inactive') {
        // messages waiting on an activation (its load may never settle) fail now; the activation ends quietly
        const waiting = e.waiting
        e.waiting = []
        for (const { env } of waiting) this.refuse(e.key, env, new ActorTerminatedError(e.id, env.msg), 'stopped')
      }
    }
    if (passivations.length === 0) return
    let timer: Later
    const late = new Promise<boolean>((resolve) => (timer = later(timeout, () => resolve(false))))
    const done = await Promise.race([Promise.all(passivations).then(() => true), late])
    cancelLater(timer)
    if (!done) {
      this.report(new TimeoutError(this.supervisor.id, 'keyed passivations (save) at shutdown, not waited for any longer,',
        timeout))
    }
  }

  /** No new activations: this keyed supervisor stops, or the system shuts down (its supervisors stop one by one). */
  private get ending(): boolean {
    return this.closed || !this.supervisor.system.machine.is('Running')
  }

  /** A fault of the keyed machinery itself: an Exception of its supervisor, never an unhandled rejection. */
  private readonly report = (err: unknown): void => {
    if (!this.supervisor.machine.disposed) this.supervisor.machine.addErr(err)
  }

  private childId(key: string): string {
    return `${this.opts.id}/${key}`
  }

  private armIdle(e: Entry): void {
    const ms = this.opts.idleTimeout
    if (ms === undefined || this.closed) return
    cancelLater(e.idle)
    e.idle = later(ms, () => {
      e.idle = undefined
      if (e.phase !== 'active' || this.gone(e)) return
      const stats = this.supervisor.child(e.id)?.stats
      if (stats && stats.queued + stats.inFlight > 0) return this.armIdle(e)
      this.doPassivate(e).catch(this.report)
    })
  }
}
