/**
 * `InProcessBus`: the embedded bus, no server. Machines are served by lib/rpc over `MessageChannel`s, so mirrors are
 * the same `RemoteMachine`s a `NatsBus` gives.
 */
import { randomBytes } from 'node:crypto'
import { MessageChannel } from 'node:worker_threads'
import { InvalidArgumentError, type Machine, type Schema, type StateNames } from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { connect, serve, type RemoteMachine, type RpcServer } from '../rpc/index.js'
import {
  checkFilter, checkId, checkMirrorOptions, infoOf, matches,
  type Bus, type Exposed, type ExposeOptions, type ListFilter, type MachineInfo, type MirrorOptions,
} from './bus.js'
import type { Ref } from '../actor/index.js'
import { ClusterError } from './errors.js'
import { ClusterKeyed, localKeyed, type ClusterKeyedOptions } from './keyed.js'
import { MemoryLeases } from './lease.js'
import {
  ActorEndpoint, checkActorName, checkActorOptions, checkRef, RemoteActorRef,
  type ActorTransport, type ExposedActor, type RemoteActorOptions,
} from './remote-actor.js'

interface Entry {
  info: MachineInfo
  server: RpcServer
}

/**
 * A bus inside one process (the default). Same API as {@link NatsBus}.
 *
 * ```ts
 * const bus = new InProcessBus()
 * await bus.expose(worker, { tags: ['worker'] })
 * const [first] = await bus.list({ tag: 'worker' })
 * const remote = await bus.machine(first!.id)
 * await remote.add('Start') // runs on `worker`, resolves with its result
 * ```
 */
export class InProcessBus implements Bus {
  readonly id: string
  readonly #entries = new Map<string, Entry>()
  readonly #mirrors = new Set<RemoteMachine<string>>()
  /** Exposed actors by name; several make a pool served in turn. */
  readonly #actors = new Map<string, { endpoints: ActorEndpoint[]; next: number }>()
  /** Keyed sets opened here, by name. */
  readonly #keyed = new Map<string, { close(): Promise<void> }>()
  #closed = false

  constructor(opts: { id?: string } = {}) {
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('new InProcessBus()', 'opts', 'an object', opts)
    this.id = opts.id ?? `bus-${randomBytes(4).toString('hex')}`
    if (typeof this.id !== 'string') throw new InvalidArgumentError('new InProcessBus()', 'id', 'a string', this.id)
  }

  async expose(machine: Machine<string>, opts?: ExposeOptions): Promise<Exposed> {
    this.#open()
    if (!isMachine(machine)) throw new InvalidArgumentError('bus.expose()', 'machine', 'a Machine', machine)
    const info = infoOf(machine, opts, this.id)
    if (this.#entries.has(info.id)) throw new ClusterError('ERR_CLUSTER_EXPOSED', `machine ${info.id} is already exposed`)
    const server = await serve(machine)
    const entry: Entry = { info, server }
    this.#entries.set(info.id, entry)
    return {
      id: info.id,
      get clients() { return server.clients },
      close: async () => {
        if (this.#entries.get(info.id) === entry) this.#entries.delete(info.id)
        await server.close()
      },
    }
  }

  async list(filter?: ListFilter): Promise<MachineInfo[]> {
    this.#open()
    const f = checkFilter(filter)
    return [...this.#entries.values()].map((e) => ({ ...e.info, tags: [...e.info.tags] })).filter((i) => matches(i, f))
      .sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
  }

  async machine<S extends Schema<string> = Schema<string>>(id: string, opts?: MirrorOptions<S>): Promise<RemoteMachine<StateNames<S>>> {
    this.#open()
    checkId(id, 'bus.machine()')
    opts = checkMirrorOptions(opts)
    const entry = this.#entries.get(id)
    if (!entry) throw new ClusterError('ERR_CLUSTER_NOT_FOUND', `no machine ${id} is exposed on bus ${this.id}`)
    const { port1, port2 } = new MessageChannel()
    entry.server.accept(port1)
    const remote = await connect<S>(port2, { ...opts, keepAlive: 0 })
    this.#mirrors.add(remote as unknown as RemoteMachine<string>)
    return remote
  }

  async exposeActor(name: string, ref: Ref<string>): Promise<ExposedActor> {
    this.#open()
    checkActorName(name, 'bus.exposeActor()')
    const ep = new ActorEndpoint(name, checkRef(ref, 'bus.exposeActor()'))
    let pool = this.#actors.get(name)
    if (!pool) this.#actors.set(name, pool = { endpoints: [], next: 0 })
    pool.endpoints.push(ep)
    return {
      name,
      get inFlight() { return ep.inFlight },
      close: async () => {
        const p = this.#actors.get(name)
        if (p) p.endpoints = p.endpoints.filter((e) => e !== ep)
        if (p?.endpoints.length === 0) this.#actors.delete(name)
        ep.close()
      },
    }
  }

  actor<M extends string = string, H = unknown>(name: string, opts?: RemoteActorOptions): RemoteActorRef<M, H> {
    this.#open()
    checkActorName(name, 'bus.actor()')
    return new RemoteActorRef<M, H>(name, this.#transport, checkActorOptions(opts, 5000))
  }

  /**
   * Opens a keyed set on this bus. One process is one node: every lease is taken here, so keys behave as on a
   * cluster with one node (same API, same wire format through the same code).
   */
  async keyed<N extends string, H extends object, S = null, D = unknown, M extends N = N>(name: string,
    options: ClusterKeyedOptions<N, H, S, D, M>): Promise<ClusterKeyed<N, H, S, D, M>> {
    this.#open()
    checkActorName(name, 'bus.keyed()')
    if (this.#keyed.has(name)) throw new ClusterError('ERR_CLUSTER_EXPOSED', `keyed set ${name} is already open on bus ${this.id}`)
    const { checked, local } = localKeyed(name, options, 5000)
    const notHere = (): Promise<never> => Promise.reject(new ClusterError('ERR_CLUSTER_NOT_FOUND', `bus ${this.id} is the only node`))
    const k: ClusterKeyed<N, H, S, D, M> = new ClusterKeyed(name, this.id, checked, local, new MemoryLeases(checked.leaseTtl),
      { forward: notHere, cancel: () => undefined }, () => {
        if (this.#keyed.get(name) === k) this.#keyed.delete(name)
        return Promise.resolve()
      })
    this.#keyed.set(name, k)
    return k
  }

  /** Messages go through the same bytes and endpoint code as over NATS, on a later microtask. */
  readonly #transport: ActorTransport = {
    request: async (name, body) => {
      this.#open()
      const ep = this.#pick(name)
      if (!ep) throw new ClusterError('ERR_CLUSTER_NOT_FOUND', `no actor ${name} is exposed on bus ${this.id}`)
      await Promise.resolve()
      return (await ep.handle(body)) ?? new Uint8Array()
    },
    send: (name, body) => {
      this.#open()
      const ep = this.#pick(name)
      if (ep) void Promise.resolve().then(() => ep.handle(body))
    },
    cancel: (name, id) => {
      for (const ep of this.#actors.get(name)?.endpoints ?? []) ep.cancel(id)
    },
  }

  #pick(name: string): ActorEndpoint | undefined {
    const pool = this.#actors.get(name)
    if (!pool || pool.endpoints.length === 0) return undefined
    return pool.endpoints[pool.next++ % pool.endpoints.length]
  }

  /** Closes every mirror made here and stops exposing every machine and actor. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#keyed.values()].map((k) => k.close()))
    for (const pool of this.#actors.values()) for (const ep of pool.endpoints) ep.close()
    this.#actors.clear()
    const mirrors = [...this.#mirrors]
    const servers = [...this.#entries.values()].map((e) => e.server)
    this.#mirrors.clear()
    this.#entries.clear()
    await Promise.all([...mirrors.map((m) => m.close()), ...servers.map((s) => s.close())])
  }

  #open(): void {
    if (this.#closed) throw new ClusterError('ERR_CLUSTER_CLOSED', `bus ${this.id} is closed`)
  }
}
