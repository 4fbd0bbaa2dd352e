/**
 * `NatsBus`: the bus over a NATS server. Machines are served by lib/rpc over NATS subjects (see nats-port.ts) and
 * announced in a KV bucket refreshed by heartbeats (see presence.ts). The connection is a Machine
 * (`bus.connection`, {@link NatsConnectionSchema}).
 */
import { randomBytes } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import type { MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node'
import type { Ref } from '../actor/index.js'
import { InvalidArgumentError, Machine, type Schema, type StateNames } from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { connect, RpcError, serve, type RemoteMachine } from '../rpc/index.js'
import {
  checkFilter, checkId, checkMirrorOptions, infoOf,
  type Bus, type Exposed, type ExposeOptions, type ListFilter, type MachineInfo, type MirrorOptions,
} from './bus.js'
import { ClusterError } from './errors.js'
import type { ClusterKeyed, ClusterKeyedOptions } from './keyed.js'
import { openNatsKeyed } from './keyed-nats.js'
import {
  ActorEndpoint, checkActorName, checkActorOptions, checkRef, decodeCancel, encodeCancel, RemoteActorRef,
  type ActorTransport, type ExposedActor, type RemoteActorOptions,
} from './remote-actor.js'
import { readMeta, writeMeta, type MessageMeta } from './trace.js'
import { NatsConnectionSchema, type NatsConnectionStateNames } from './nats-connection.schema.js'
import type { SessionRouter } from './nats-port.js'
import type { Presence } from './presence.js'
import type * as NatsRuntime from './nats-runtime.js'

type Runtime = typeof NatsRuntime

/** The NATS half of the bus, loaded once: a missing optional peer dependency is an `ERR_CLUSTER_DEPENDENCY`. */
let runtime: Promise<Runtime> | undefined
function loadRuntime(): Promise<Runtime> {
  runtime ??= import('./nats-runtime.js').catch((err: unknown) => {
    runtime = undefined
    throw new ClusterError('ERR_CLUSTER_DEPENDENCY', 'NatsBus needs the optional peer dependencies @nats-io/transport-node, '
      + `@nats-io/jetstream and @nats-io/kv (npm install @nats-io/transport-node@3 @nats-io/jetstream@3 @nats-io/kv@3): ${String(err)}`,
    { cause: err })
  })
  return runtime
}

/** Options of {@link NatsBus.connect}. */
export interface NatsBusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[]
  /** The bus id (`MachineInfo.node`; default `bus-<random>`). */
  id?: string
  /** Subject prefix and bucket name part: buses with the same prefix see each other (default `pm`). */
  prefix?: string
  /** Presence heartbeat period, ms (default 1000). */
  heartbeat?: number
  /** Presence bucket TTL, ms (default 3 heartbeats): how long a dead process stays listed. */
  presenceTtl?: number
  /** Deadline of `bus.machine()` and default of every call on its mirrors, ms (default 5000). */
  timeout?: number
  /** Keep-alive of mirrors, ms (default 2000): a dead source is noticed within about one period. */
  keepAlive?: number
}

/**
 * A bus over NATS (`@nats-io/transport-node` + `@nats-io/kv`). Same API as {@link InProcessBus}.
 *
 * ```ts
 * const bus = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222' })
 * await bus.expose(worker, { tags: ['worker'] })
 * const remote = await bus.machine('worker-1') // from any process on the same server
 * await bus.close()
 * ```
 */
export class NatsBus implements Bus {
  readonly #exposed = new Map<string, { router: SessionRouter; close: () => Promise<void> }>()
  readonly #mirrors = new Set<RemoteMachine<string>>()
  readonly #actors = new Set<{ ep: ActorEndpoint; close: () => Promise<void> }>()
  /** Keyed sets opened here, by name. */
  readonly #keyed = new Map<string, { close(): Promise<void> }>()
  /** Cancel messages of asks that gave up, to every process: the one running the ask aborts its message. */
  #cancels: Subscription | null = null
  #closing: Promise<void> | null = null
  #reconnects = 0

  private constructor(private readonly rt: Runtime, readonly id: string, readonly nc: NatsConnection, readonly connection: Machine<NatsConnectionStateNames>,
    private readonly presence: Presence, private readonly prefix: string, private readonly timeout: number,
    private readonly keepAlive: number, private readonly heartbeat: number) {}

  /** Connects to NATS and opens the presence bucket. Rejects with `ClusterError` `ERR_CLUSTER_NETWORK`. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const where = 'NatsBus.connect()'
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(where, 'options', 'an object', options)
    const servers = options.servers
    if (typeof servers !== 'string' && !(Array.isArray(servers) && servers.every((s) => typeof s === 'string'))) {
      throw new InvalidArgumentError(where, 'servers', 'a URL or an array of URLs', servers)
    }
    const id = options.id ?? `bus-${randomBytes(4).toString('hex')}`
    const prefix = options.prefix ?? 'pm'
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError(where, 'id', 'a non-empty string', id)
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]+$/.test(prefix)) {
      throw new InvalidArgumentError(where, 'prefix', 'letters, digits, - and _', prefix)
    }
    const heartbeat = msOpt(options.heartbeat, 1000, 'heartbeat')
    const ttl = msOpt(options.presenceTtl, 3 * heartbeat, 'presenceTtl')
    const timeout = msOpt(options.timeout, 5000, 'timeout')
    const keepAlive = msOpt(options.keepAlive, 2000, 'keepAlive')
    const rt = await loadRuntime()
    const conn = new Machine(NatsConnectionSchema, { id: `${id}-nats` })
    conn.add('Connecting')
    let nc: NatsConnection
    try {
      nc = await rt.natsConnect({ servers, name: id, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout })
    } catch (err) {
      const e = new ClusterError('ERR_CLUSTER_NETWORK', `${where}: cannot connect to ${String(servers)}: ${String(err)}`, { cause: err })
      conn.add('Closed')
      conn.addErrState('ErrNetwork', e)
      throw e
    }
    conn.add('Connected')
    let presence: Presence
    try {
      presence = await rt.Presence.open(nc, `${prefix}_presence`, ttl, heartbeat, (err) => {
        if (conn.is('Connected')) conn.addErrState('ErrPresence', err)
      })
    } catch (err) {
      await nc.close()
      conn.add('Closed')
      throw new ClusterError('ERR_CLUSTER_NETWORK', `${where}: cannot open the presence bucket (JetStream on?): ${String(err)}`,
        { cause: err })
    }
    const bus = new NatsBus(rt, id, nc, conn, presence, prefix, timeout, keepAlive, heartbeat)
    void bus.#follow()
    return bus
  }

  /** Successful reconnections so far. */
  get reconnects(): number {
    return this.#reconnects
  }

  /** Mirrors the client's status events into `connection` states. */
  async #follow(): Promise<void> {
    const conn = this.connection
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') conn.add('Disconnected')
      else if (s.type === 'reconnecting') conn.add(['Disconnected', 'Reconnecting'])
      else if (s.type === 'reconnect') {
        conn.add('Connected')
        this.#reconnects++
        conn.add('Reconnected', { reconnects: this.#reconnects })
        this.presence.beat(true) // back in the listing at once; core subscriptions are re-made by the client
      } else if (s.type === 'error') conn.addErrState('ErrNetwork', s.error)
    }
    const err = await this.nc.closed()
    conn.add('Closed')
    if (err) conn.addErrState('ErrNetwork', err)
  }

  async expose(machine: Machine<string>, opts?: ExposeOptions): Promise<Exposed> {
    this.#open()
    if (!isMachine(machine)) throw new InvalidArgumentError('bus.expose()', 'machine', 'a Machine', machine)
    const info = infoOf(machine, opts, this.id)
    if (this.#exposed.has(info.id)) throw new ClusterError('ERR_CLUSTER_EXPOSED', `machine ${info.id} is already exposed`)
    const server = await serve(machine)
    const router = new this.rt.SessionRouter(this.nc, this.prefix, this.rt.machineSubject(this.prefix, info.id),
      (port) => server.accept(port as unknown as MessagePort), this.heartbeat, () => this.connection.is('Connected'))
    let closing: Promise<void> | null = null
    const close = (): Promise<void> => closing ??= (async () => {
      this.#exposed.delete(info.id)
      router.close()
      await Promise.all([server.close(), this.presence.remove(info.id)])
    })()
    this.#exposed.set(info.id, { router, close })
    try {
      await this.nc.flush() // the subscription is on the server before anyone can list it
      await this.presence.add(info)
    } catch (err) {
      await close()
      throw new ClusterError('ERR_CLUSTER_NETWORK', `bus.expose(): cannot announce ${info.id}: ${String(err)}`, { cause: err })
    }
    return { id: info.id, get clients() { return server.clients }, close }
  }

  async list(filter?: ListFilter): Promise<MachineInfo[]> {
    this.#open()
    return this.presence.list(checkFilter(filter))
  }

  async machine<S extends Schema<string> = Schema<string>>(id: string, opts?: MirrorOptions<S>): Promise<RemoteMachine<StateNames<S>>> {
    this.#open()
    checkId(id, 'bus.machine()')
    opts = checkMirrorOptions(opts)
    const subject = this.rt.machineSubject(this.prefix, id)
    const h = this.rt.headers()
    h.set(this.rt.KIND_HEADER, 'probe')
    try {
      await this.nc.request(subject, undefined, { headers: h, timeout: opts?.timeout ?? this.timeout })
    } catch (err) {
      if (this.rt.isNoResponders(err)) throw new ClusterError('ERR_CLUSTER_NOT_FOUND', `no process serves machine ${id}`, { cause: err })
      throw new ClusterError('ERR_CLUSTER_NETWORK', `machine ${id}: probe failed: ${String(err)}`, { cause: err })
    }
    let remote: RemoteMachine<StateNames<S>> | null = null
    const port = new this.rt.ClientPort(this.nc, this.prefix, subject, randomBytes(12).toString('hex'), (err) => {
      // The source's process is gone: ErrNetwork says why, then the port closes and the mirror goes Disconnected —
      // in that order, so code woken by Disconnected already sees ErrNetwork. During the handshake there is no
      // mirror yet: connect() rejects instead.
      const why = new RpcError('ERR_RPC_NETWORK', `machine ${id}: no responders, its process is gone`, { cause: err })
      remote?.client.addErrState('ErrNetwork', why)
    })
    try {
      remote = await connect<S>(port as unknown as MessagePort,
        { timeout: this.timeout, ...opts, keepAlive: this.keepAlive, id: `rc-${this.id}-${port.session.slice(0, 8)}` })
    } catch (err) {
      port.close()
      throw err
    }
    const r = remote as unknown as RemoteMachine<string>
    this.#mirrors.add(r)
    r.client.when('Disconnected').then(() => this.#mirrors.delete(r), () => this.#mirrors.delete(r))
    return remote
  }

  /**
   * Serves `ref` under `name` as a member of the NATS queue group of that name: exposures of one name in any number
   * of processes share its messages.
   */
  async exposeActor(name: string, ref: Ref<string>): Promise<ExposedActor> {
    this.#open()
    checkActorName(name, 'bus.exposeActor()')
    const ep = new ActorEndpoint(name, checkRef(ref, 'bus.exposeActor()'))
    this.#cancels ??= this.nc.subscribe(`${this.prefix}.ac`, { callback: (err, msg) => {
      const id = err ? undefined : decodeCancel(msg.data)
      if (id !== undefined) for (const a of this.#actors) a.ep.cancel(id)
    } })
    const sub = this.nc.subscribe(actorSubject(this.prefix, name), { queue: `${this.prefix}-actors`, callback: (err, msg) => {
      if (err) return
      void ep.handle(msg.data, readMeta(msg.headers)).then((reply) => {
        if (reply === undefined || !msg.reply) return
        try {
          msg.respond(reply)
        } catch { /* the connection closed: the asker times out or sees it closed */ }
      })
    } })
    let closing: Promise<void> | null = null
    const entry = { ep, close: (): Promise<void> => closing ??= (async () => {
      this.#actors.delete(entry)
      sub.unsubscribe()
      ep.close()
      // the server has dropped the subscription once this resolves: later asks see no-responders, not a timeout
      await this.nc.flush().catch(() => undefined)
    })() }
    this.#actors.add(entry)
    try {
      await this.nc.flush() // the subscription is on the server before anyone can send to it
    } catch (err) {
      await entry.close()
      throw new ClusterError('ERR_CLUSTER_NETWORK', `bus.exposeActor(): cannot subscribe for ${name}: ${String(err)}`, { cause: err })
    }
    return { name, get inFlight() { return ep.inFlight }, close: entry.close }
  }

  actor<M extends string = string, H = unknown>(name: string, opts?: RemoteActorOptions): RemoteActorRef<M, H> {
    this.#open()
    checkActorName(name, 'bus.actor()')
    return new RemoteActorRef<M, H>(name, this.#transport, checkActorOptions(opts, this.timeout))
  }

  readonly #transport: ActorTransport = {
    request: async (name, body, timeout, meta) => {
      this.#open()
      try {
        const headers = this.#headersOf(meta)
        return (await this.nc.request(actorSubject(this.prefix, name), body, headers ? { timeout, headers } : { timeout })).data
      } catch (err) {
        if (this.rt.isNoResponders(err)) throw new ClusterError('ERR_CLUSTER_NOT_FOUND', `no process serves actor ${name}`, { cause: err })
        throw new ClusterError('ERR_CLUSTER_NETWORK', `actor ${name}: request failed: ${String(err)}`, { cause: err })
      }
    },
    send: (name, body, meta) => {
      this.#open()
      const headers = this.#headersOf(meta)
      this.nc.publish(actorSubject(this.prefix, name), body, headers ? { headers } : undefined)
    },
    cancel: (_name, id) => {
      try {
        this.nc.publish(`${this.prefix}.ac`, encodeCancel(id))
      } catch { /* closed: the remote handler's own deadline (the ask's timeout travels with it) still aborts it */ }
    },
  }

  /**
   * Opens a keyed set on this node. Leases are in the KV bucket `<prefix>_lease_<name>` (max age: the lease TTL);
   * messages for keys held here come on `<prefix>.k.<name>.<node>` (see keyed-nats.ts).
   */
  async keyed<N extends string, H extends object, S = null, D = unknown, M extends N = N>(name: string,
    options: ClusterKeyedOptions<N, H, S, D, M>): Promise<ClusterKeyed<N, H, S, D, M>> {
    this.#open()
    checkActorName(name, 'bus.keyed()')
    if (this.#keyed.has(name)) throw new ClusterError('ERR_CLUSTER_EXPOSED', `keyed set ${name} is already open on bus ${this.id}`)
    const slot = { close: (): Promise<void> => Promise.resolve() }
    this.#keyed.set(name, slot) // taken while the bucket opens: a second keyed(name) meanwhile is refused too
    try {
      const k = await openNatsKeyed({ rt: this.rt, nc: this.nc, prefix: this.prefix, node: this.id, timeout: this.timeout },
        name, options, () => { if (this.#keyed.get(name) === slot) this.#keyed.delete(name) })
      slot.close = () => k.close()
      return k
    } catch (err) {
      if (this.#keyed.get(name) === slot) this.#keyed.delete(name)
      throw err
    }
  }

  /** A message's id and trace context as NATS headers (trace.ts). */
  #headersOf(meta: MessageMeta | undefined): MsgHdrs | undefined {
    if (meta === undefined) return undefined
    const h = this.rt.headers()
    writeMeta(h, meta)
    return h
  }

  /** Closes mirrors made here, stops exposing (leaving the listing) and closes the NATS connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const mirrors = [...this.#mirrors]
      this.#mirrors.clear()
      this.#cancels?.unsubscribe()
      await Promise.all([...this.#keyed.values()].map((k) => k.close())) // first: passivating saves over this connection
      await Promise.all([...mirrors.map((m) => m.close()), ...[...this.#exposed.values()].map((e) => e.close()),
        ...[...this.#actors].map((a) => a.close())])
      this.presence.stop()
      await this.nc.drain().catch(() => this.nc.close())
    })()
    return this.#closing
  }

  #open(): void {
    if (this.#closing) throw new ClusterError('ERR_CLUSTER_CLOSED', `bus ${this.id} is closed`)
  }
}

/** The subject an actor name receives on (base64url: any name is a valid token). */
function actorSubject(prefix: string, name: string): string {
  return `${prefix}.a.${Buffer.from(name, 'utf8').toString('base64url')}`
}

function msOpt(v: unknown, dflt: number, name: string): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1) {
    throw new InvalidArgumentError('NatsBus.connect()', name, 'a number of ms ≥ 1', v)
  }
  return v
}
