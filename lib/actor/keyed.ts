/**
 * Keyed virtual actors (Orleans grains, Akka sharding entities): `keyed.ref(key)` is valid before the actor exists;
 * the first message activates it (loading saved state if a `load` hook is given); an idle actor is passivated
 * (its clocks handed to `save`), and at `maxActive` the least recently used one makes room. No message is lost to
 * activation or passivation: they wait and are delivered to the next incarnation.
 */
import type { Args, Schema, Snapshot } from '../machine/index.js'
import { messageStates } from './actor.js'
import { actorSchema } from './actor-schema-merge.js'
import { ask } from './ask.js'
import type { ActorStateNames } from './actor.schema.js'
import type { ChildContext, ChildSpec } from './child.js'
import { ActorTerminatedError, UnknownMessageError } from './errors.js'
import { reply, type Envelope, type NonBlockingMailboxOptions } from './mailbox.js'
import { Supervisor, type SupervisorOptions } from './supervisor.js'
import type { ActorSystem } from './system.js'
import type { OverflowPolicy } from './mailbox.js'
import type { ActorRef, AskOptions, Ref, ReplyOf, TellOnlyRef } from './types.js'

export interface KeyedOptions<N extends string, H extends object, D, M extends N = N> extends SupervisorOptions<D> {
  /** The actors' states; their `multi` ones outside the lifecycle (`M`) are the messages. */
  schema: Schema<N, M>
  /** Fresh handlers per activation (and restart) of the actor for `ctx.key`. */
  handlers: (ctx: ChildContext<D> & { readonly key: string }) => H
  /** Passivate an actor after this many ms without messages. Default: never. */
  idleTimeout?: number
  /** At most this many active; activating one more passivates the least recently used. Default: unbounded. */
  maxActive?: number
  /** Saved clocks for `key` (restored with `machine.import`), or undefined for a fresh actor. */
  load?: (key: string) => Snapshot | undefined | Promise<Snapshot | undefined>
  /** Called with the clocks of a passivated actor. */
  save?: (key: string, snapshot: Snapshot) => void | Promise<void>
  /** Per actor; `block` is not offered, so `tell` never returns a Promise. */
  mailbox?: NonBlockingMailboxOptions
}

type Phase = 'inactive' | 'activating' | 'active' | 'passivating'

interface Entry {
  readonly key: string
  phase: Phase
  ref: ActorRef | null
  /** Messages waiting for activation or passivation to finish. */
  waiting: Array<{ env: Envelope; opts: AskOptions | undefined }>
  idle: ReturnType<typeof setTimeout> | undefined
}

export class Keyed<N extends string, H extends object, D = unknown, M extends N = N> {
  readonly supervisor: Supervisor<D>
  activations = 0
  passivations = 0
  /** Entries in the `active` phase. */
  private active = 0

  /** Insertion order is recency: touched entries move to the end. */
  private readonly entries = new Map<string, Entry>()
  private readonly refs = new Map<string, KeyedRef<N, H, M>>()
  private readonly messages: ReadonlySet<string>

  constructor(
    system: ActorSystem,
    private readonly opts: KeyedOptions<N, H, D, M>,
  ) {
    if (opts.maxActive !== undefined && !(Number.isInteger(opts.maxActive) && opts.maxActive >= 1)) {
      throw new RangeError(`maxActive must be an integer ≥ 1, got ${opts.maxActive}`)
    }
    if (opts.idleTimeout !== undefined && !(opts.idleTimeout > 0)) throw new RangeError(`idleTimeout must be > 0 ms, got ${opts.idleTimeout}`)
    this.supervisor = new Supervisor(system, opts)
    this.messages = messageStates(actorSchema(opts.schema as Schema<string>))
  }

  /** A ref for `key`, valid whether or not its actor is active. */
  ref(key: string): KeyedRef<N, H, M> {
    if (typeof key !== 'string' || key === '') throw new TypeError(`keyed ${this.opts.id}: ref() needs a non-empty string key, got ${typeof key === 'string' ? "''" : typeof key}`)
    let r = this.refs.get(key)
    if (!r) this.refs.set(key, (r = new KeyedRef(this, key)))
    return r
  }

  /** Keys with an active (or activating) actor, least recently used first. */
  get activeKeys(): string[] {
    return [...this.entries.values()].filter((e) => e.phase === 'active' || e.phase === 'activating').map((e) => e.key)
  }

  /** Passivates `key` now (saving its clocks); false when it was not active. */
  async passivate(key: string): Promise<boolean> {
    const e = this.entries.get(key)
    if (e?.phase !== 'active') return false
    await this.doPassivate(e)
    return true
  }

  /** @internal Called by KeyedRef. */
  deliver(key: string, env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    if (!this.messages.has(env.msg)) {
      throw new UnknownMessageError(`${this.opts.id}/${key}`, env.msg, 'is not a message: messages are multi states')
    }
    if (this.supervisor.machine.not('Start')) {
      reply(env, false, new ActorTerminatedError(`${this.opts.id}/${key}`, env.msg))
      return
    }
    let e = this.entries.get(key)
    if (e) {
      this.entries.delete(key)
      this.entries.set(key, e)
    } else {
      this.entries.set(key, (e = { key, phase: 'inactive', ref: null, waiting: [], idle: undefined }))
    }
    if (e.phase === 'active') {
      this.armIdle(e)
      return this.supervisor.deliverTo(this.childId(e.key), env, opts)
    }
    e.waiting.push({ env, opts })
    if (e.phase === 'inactive') void this.activate(e)
  }

  private async activate(e: Entry): Promise<void> {
    e.phase = 'activating'
    const { maxActive } = this.opts
    if (maxActive !== undefined && this.active >= maxActive) {
      const lru = this.leastRecent(e)
      if (lru) await this.doPassivate(lru)
    }
    let snapshot: Snapshot | undefined
    try {
      snapshot = await this.opts.load?.(e.key)
    } catch (err) {
      snapshot = undefined
      this.supervisor.machine.addErr(err, { id: e.key })
    }
    const spec: ChildSpec<N, H, D> = {
      id: this.childId(e.key),
      schema: this.opts.schema,
      handlers: (ctx) => this.opts.handlers({ ...ctx, key: e.key }),
      ...(this.opts.mailbox && { mailbox: this.opts.mailbox }),
      ...(snapshot && { snapshot }),
    }
    e.ref = this.supervisor.supervise(spec) as unknown as ActorRef
    e.phase = 'active'
    this.active++
    this.activations++
    this.flush(e)
  }

  private async doPassivate(e: Entry): Promise<void> {
    if (e.phase !== 'active') return // already passivating (an idle timer and LRU may both pick it)
    e.phase = 'passivating'
    this.active--
    if (e.idle) clearTimeout(e.idle)
    const { mail, snapshot } = await this.supervisor.release(this.childId(e.key))
    e.ref = null
    this.passivations++
    if (snapshot && this.opts.save) {
      try {
        await this.opts.save(e.key, snapshot)
      } catch (err) {
        this.supervisor.machine.addErr(err, { id: e.key })
      }
    }
    // Messages that were queued in the passivated actor, or arrived meanwhile, reactivate it.
    e.waiting = [...mail.map((env) => ({ env, opts: undefined })), ...e.waiting]
    e.phase = 'inactive'
    if (e.waiting.length > 0) void this.activate(e)
    else this.entries.delete(e.key)
  }

  private flush(e: Entry): void {
    const waiting = e.waiting
    e.waiting = []
    for (const { env, opts } of waiting) {
      try {
        const sent = this.supervisor.deliverTo(this.childId(e.key), env, opts)
        if (sent) sent.catch((err: unknown) => reply(env, false, err))
      } catch (err) {
        reply(env, false, err)
      }
    }
    this.armIdle(e)
  }

  /** The least recently used active entry: the entries map is in recency order. */
  private leastRecent(except: Entry): Entry | undefined {
    for (const x of this.entries.values()) if (x !== except && x.phase === 'active') return x
    return undefined
  }

  private childId(key: string): string {
    return `${this.opts.id}/${key}`
  }

  private armIdle(e: Entry): void {
    const ms = this.opts.idleTimeout
    if (ms === undefined) return
    if (e.idle) clearTimeout(e.idle)
    e.idle = setTimeout(() => {
      e.idle = undefined
      const stats = e.ref?.stats
      if (e.phase !== 'active') return
      if (stats && stats.queued + stats.inFlight > 0) return this.armIdle(e)
      void this.doPassivate(e)
    }, ms)
  }
}

/** A ref to the virtual actor for one key. */
export class KeyedRef<N extends string, H extends object, M extends N = N>
implements Ref<Exclude<M, ActorStateNames>, H, Exclude<OverflowPolicy, 'block'>> {
  constructor(
    private readonly keyed: { deliver(key: string, env: Envelope, opts: AskOptions | undefined): void | Promise<void> },
    readonly key: string,
  ) {}

  get id(): string {
    return this.key
  }

  tell(msg: Exclude<M, ActorStateNames>, args?: Args, opts?: AskOptions): void {
    void this.keyed.deliver(this.key, { msg, args, reply: undefined }, opts)
  }

  ask<K extends Exclude<M, ActorStateNames>>(msg: K, args?: Args, opts: AskOptions = {}): Promise<ReplyOf<H, K>> {
    return ask(this.key, msg, args, opts, (env) => this.keyed.deliver(this.key, env, opts)) as Promise<ReplyOf<H, K>>
  }

  tellOnly(): TellOnlyRef<Exclude<M, ActorStateNames>, Exclude<OverflowPolicy, 'block'>> {
    return { id: this.key, tell: (msg, args, opts) => this.tell(msg, args, opts) }
  }
}
