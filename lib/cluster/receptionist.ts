/**
 * The receptionist shared across nodes: an actor registered under a `ServiceKey` on one node can be found, and asked,
 * from every node on the bus. Same API over `InProcessBus` and `NatsBus`; over NATS a dead node's registrations
 * disappear within the bucket TTL (see receptionist-nats.ts).
 */
import { Observable } from 'rxjs'
import type { AskOptions, Ref, ReplyOf, ServiceKey, TellOnlyRef } from '../actor/index.js'
import { keyName } from '../actor/service-key.js'
import { InvalidArgumentError, OutOfRangeError, type Args } from '../machine/index.js'
import type { Bus } from './bus.js'
import { ClusterError } from './errors.js'
import type { ExposedActor, RemoteActorRef } from './remote-actor.js'
import { checkRef } from './remote-actor.js'
import type * as NatsRegistryModule from './receptionist-nats.js'
import { entryOf, InProcessRegistry, type Registry, type ServiceEntry } from './receptionist-registry.js'

/** Options of {@link ClusterReceptionist.open}. */
export interface ClusterReceptionistOptions {
  /** This node's name in listings (default: the bus id). Receptionists on one bus need different ones. */
  node?: string
  /** Over NATS: the bucket is `<prefix>_receptionist` (default `pm`, the bus's default prefix). */
  prefix?: string
  /** Over NATS: ms between refreshes of this node's registrations and re-reads of watched keys (default 1000). */
  heartbeat?: number
  /** Over NATS: the bucket TTL, how long a dead node's registrations stay listed (default 3 × heartbeat). */
  ttl?: number
  /** Default timeout of asks on the refs found, ms (default 5000). */
  timeout?: number
  /**
   * Over NATS: told of each failed refresh or re-read of the bucket (they are retried at the next heartbeat; while
   * they fail, this node's registrations expire from other nodes' listings after `ttl`). Also counted in
   * `registryErrors`. A throw from it is ignored.
   */
  onError?: (err: unknown) => void
}

/**
 * A ref to an actor registered on some node: `tell` and `ask` cross the bus (see `bus.actor()`). `id` is the actor's
 * id on its node, `node` that node's name.
 */
export class ServiceRef<M extends string = string, H = unknown> implements Ref<M, H, 'drop-newest'> {
  constructor(readonly id: string, readonly node: string, readonly service: string, private readonly remote: RemoteActorRef<M, H>) {}

  tell(msg: M, args?: Args, opts?: AskOptions): void {
    this.remote.tell(msg, args, opts)
  }

  ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    return this.remote.ask(msg, args, opts)
  }

  tellOnly(): TellOnlyRef<M, 'drop-newest'> {
    return this.remote.tellOnly()
  }
}

/** The handle of one registration. */
export interface ServiceRegistration {
  readonly service: string
  readonly actor: string
  /** Asks being handled for it now. */
  readonly inFlight: number
  /** Unregisters it (same as `receptionist.unregister(key, ref)`). */
  close(): Promise<void>
}

interface Registered {
  readonly entry: ServiceEntry
  readonly ref: Ref<string>
  readonly exposed: ExposedActor
  closing?: Promise<void>
}

/**
 * The receptionist of a cluster: `register` offers a local actor under a service key to every node on the bus;
 * `find` and `subscribe` give refs to the actors registered under a key on any node.
 *
 * ```ts
 * const Counters = serviceKey<typeof counter>('counters')
 * const receptionist = await ClusterReceptionist.open(bus) // an InProcessBus or a NatsBus
 * await receptionist.register(Counters, system.spawn(counter, new Counter(), { id: 'counter-1' }))
 * // on any node:
 * const [first] = await receptionist.find(Counters)
 * await first?.ask('Add', { n: 2 })
 * receptionist.subscribe(Counters).subscribe((refs) => console.log(refs.map((r) => `${r.node}/${r.id}`)))
 * ```
 */
export class ClusterReceptionist {
  readonly #registered = new Map<string, Registered>()
  /** One ref per registration name, so listings keep ref identity across updates. */
  readonly #refs = new Map<string, ServiceRef<string, unknown>>()
  /** Completes the open subscriptions on close. */
  readonly #closers = new Set<() => void>()
  readonly #sweep: NodeJS.Timeout
  #closing: Promise<void> | null = null

  private constructor(private readonly bus: Bus, private readonly registry: Registry, readonly node: string,
    private readonly timeout: number, heartbeat: number, private readonly errors: { count: number }) {
    // an actor that stops leaves the listing (checked every heartbeat: refs have no stop event in common)
    this.#sweep = setInterval(() => this.#dropStopped(), heartbeat)
    this.#sweep.unref()
  }

  /**
   * A receptionist on `bus`. Over NATS it opens (or creates) the bucket `<prefix>_receptionist`; rejects with
   * `ClusterError` `ERR_CLUSTER_NETWORK` when it cannot, `ERR_CLUSTER_DEPENDENCY` without the NATS packages.
   */
  static async open(bus: Bus, opts: ClusterReceptionistOptions = {}): Promise<ClusterReceptionist> {
    const where = 'ClusterReceptionist.open()'
    if (typeof bus !== 'object' || bus === null || typeof bus.exposeActor !== 'function' || typeof bus.actor !== 'function') {
      throw new InvalidArgumentError(where, 'bus', 'a Bus (InProcessBus or NatsBus)', bus)
    }
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'opts', 'an object', opts)
    const node = opts.node ?? bus.id
    if (typeof node !== 'string' || node === '') throw new InvalidArgumentError(where, 'node', 'a non-empty string', node)
    const prefix = opts.prefix ?? 'pm'
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]+$/.test(prefix)) {
      throw new InvalidArgumentError(where, 'prefix', 'letters, digits, - and _', prefix)
    }
    const heartbeat = ms(where, 'heartbeat', opts.heartbeat, 1000)
    const ttl = ms(where, 'ttl', opts.ttl, 3 * heartbeat)
    if (ttl <= heartbeat) {
      throw new OutOfRangeError(where, 'ttl', `more than heartbeat (${heartbeat} ms): entries would expire between refreshes`, ttl)
    }
    const onError = opts.onError
    if (onError !== undefined && typeof onError !== 'function') {
      throw new InvalidArgumentError(where, 'onError', 'a function or undefined', onError)
    }
    const errors = { count: 0 }
    const reportError = (err: unknown): void => {
      errors.count++
      try {
        onError?.(err)
      } catch {
        // the user's reporter failing must not stop the heartbeat
      }
    }
    const timeout = ms(where, 'timeout', opts.timeout, 5000)
    const nc = (bus as { nc?: unknown }).nc
    let registry: Registry
    if (nc === undefined) registry = new InProcessRegistry(bus)
    else {
      let mod: typeof NatsRegistryModule
      try {
        mod = await import('./receptionist-nats.js')
      } catch (err) {
        throw new ClusterError('ERR_CLUSTER_DEPENDENCY', `${where}: the NATS receptionist needs @nats-io/kv and @nats-io/jetstream: ${String(err)}`,
          { cause: err })
      }
      try {
        registry = await mod.NatsRegistry.open(nc as Parameters<typeof mod.NatsRegistry.open>[0], `${prefix}_receptionist`, ttl,
          heartbeat, reportError)
      } catch (err) {
        throw new ClusterError('ERR_CLUSTER_NETWORK', `${where}: cannot open the bucket ${prefix}_receptionist (JetStream on?): ${String(err)}`,
          { cause: err })
      }
    }
    return new ClusterReceptionist(bus, registry, node, timeout, heartbeat, errors)
  }

  /**
   * Offers `ref` under `key` to every node: it is served on the bus and listed under the key until `unregister`,
   * `close`, the actor stops, or (over NATS) this node dies. Registering one actor id twice under a key is
   * `ERR_CLUSTER_EXPOSED`.
   */
  async register<M extends string, H>(key: ServiceKey<M, H>, ref: Ref<M, H>): Promise<ServiceRegistration> {
    this.#open()
    const service = keyName('receptionist.register()', key)
    const r = checkRef(ref, 'receptionist.register()')
    const actor = refId(r)
    const entry = entryOf(service, this.node, actor)
    if (this.#registered.has(entry.name)) {
      throw new ClusterError('ERR_CLUSTER_EXPOSED', `actor ${actor} is already registered under ${service} on ${this.node}`)
    }
    const exposed = await this.bus.exposeActor(entry.name, r)
    if (this.#closing) {
      // closed meanwhile: close() no longer sees this one, so it would stay served and listed for good
      await exposed.close()
      this.#open()
    }
    const reg: Registered = { entry, ref: r, exposed }
    this.#registered.set(entry.name, reg)
    try {
      await this.registry.add(entry)
    } catch (err) {
      await this.#drop(reg)
      throw new ClusterError('ERR_CLUSTER_NETWORK', `receptionist.register(): cannot announce ${actor} under ${service}: ${String(err)}`,
        { cause: err })
    }
    return { service, actor, get inFlight() { return exposed.inFlight }, close: () => this.#drop(reg) }
  }

  /** Withdraws `ref` from `key` on this node; false when it was not registered here. */
  async unregister<M extends string, H>(key: ServiceKey<M, H>, ref: Ref<M, H>): Promise<boolean> {
    this.#open()
    const service = keyName('receptionist.unregister()', key)
    const reg = this.#registered.get(entryOf(service, this.node, refId(checkRef(ref, 'receptionist.unregister()'))).name)
    if (!reg) return false
    await this.#drop(reg)
    return true
  }

  /** Refs to every actor registered under `key`, on any node, sorted by node then actor id. */
  async find<M extends string, H>(key: ServiceKey<M, H>): Promise<readonly ServiceRef<M, H>[]> {
    this.#open()
    const service = keyName('receptionist.find()', key)
    let entries: ServiceEntry[]
    try {
      entries = await this.registry.read(service)
    } catch (err) {
      throw new ClusterError('ERR_CLUSTER_NETWORK', `receptionist.find(): cannot read ${service}: ${String(err)}`, { cause: err })
    }
    return Object.freeze(entries.map((e) => this.#ref<M, H>(e)))
  }

  /**
   * The refs registered under `key` now, then after every change: a node registering or unregistering (at once),
   * a node dying (over NATS, within the bucket TTL and one heartbeat). Completes when the receptionist closes.
   */
  subscribe<M extends string, H>(key: ServiceKey<M, H>): Observable<readonly ServiceRef<M, H>[]> {
    this.#open()
    const service = keyName('receptionist.subscribe()', key)
    return new Observable<readonly ServiceRef<M, H>[]>((subscriber) => {
      if (this.#closing) {
        subscriber.complete()
        return undefined
      }
      const off = this.registry.watch(service, (entries) => subscriber.next(Object.freeze(entries.map((e) => this.#ref<M, H>(e)))))
      const onClose = (): void => subscriber.complete()
      this.#closers.add(onClose)
      return () => {
        this.#closers.delete(onClose)
        off()
      }
    })
  }

  /** Failed refreshes and re-reads of the NATS bucket so far (see the `onError` option); 0 in process. */
  get registryErrors(): number {
    return this.errors.count
  }

  /** Unregisters everything registered here and completes every subscription; the bus stays open. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweep)
      for (const c of [...this.#closers]) c()
      this.#closers.clear()
      await Promise.all([...this.#registered.values()].map((r) => this.#drop(r)))
      await this.registry.close()
    })()
    return this.#closing
  }

  #ref<M extends string, H>(e: ServiceEntry): ServiceRef<M, H> {
    let ref = this.#refs.get(e.name)
    if (!ref) {
      if (this.#refs.size > 10_000) this.#refs.clear() // a bounded cache: identity is a convenience, not a contract
      this.#refs.set(e.name, ref = new ServiceRef(e.actor, e.node, e.service, this.bus.actor(e.name, { timeout: this.timeout })))
    }
    return ref as unknown as ServiceRef<M, H>
  }

  #drop(reg: Registered): Promise<void> {
    reg.closing ??= (async () => {
      if (this.#registered.get(reg.entry.name) === reg) this.#registered.delete(reg.entry.name)
      // out of the listing first, then stop serving: a lookup made meanwhile still reaches the actor
      await this.registry.remove(reg.entry).catch(() => undefined) // the TTL drops it anyway
      await reg.exposed.close()
    })()
    return reg.closing
  }

  #dropStopped(): void {
    for (const reg of this.#registered.values()) {
      let stopped = false
      try {
        stopped = (reg.ref as { stopped?: unknown }).stopped === true
      } catch { /* a hostile ref: keep it */ }
      if (stopped) void this.#drop(reg)
    }
  }

  #open(): void {
    if (this.#closing) throw new ClusterError('ERR_CLUSTER_CLOSED', `the receptionist of node ${this.node} is closed`)
  }
}

function refId(ref: Ref<string>): string {
  const id = (ref as { id?: unknown }).id
  if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('receptionist.register()', 'ref.id', 'a non-empty string', id)
  return id
}

function ms(where: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1) throw new InvalidArgumentError(where, name, 'a number of ms ≥ 1', v)
  return v
}
