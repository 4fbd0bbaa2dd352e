/**
 * The `Bus` contract shared by {@link InProcessBus} and {@link NatsBus}: expose machines, list them, mirror them.
 * Mirrors are lib/rpc `RemoteMachine`s; the bus only carries the RPC protocol's messages.
 */
import { InvalidArgumentError, type Machine, type Schema, type StateNames } from '../machine/index.js'
import type { Ref } from '../actor/index.js'
import type { RemoteMachine } from '../rpc/index.js'
import type { ClusterKeyed, ClusterKeyedOptions } from './keyed.js'
import type { ExposedActor, RemoteActorOptions, RemoteActorRef } from './remote-actor.js'

/** Options of `bus.expose()`. */
export interface ExposeOptions {
  /** Tags to find the machine by (default: the machine's own `tags`). */
  tags?: readonly string[]
  /** Parent id to find the machine by (default: the machine's own `parentId`). */
  parent?: string
}

/** What `bus.list()` returns for each exposed machine. */
export interface MachineInfo {
  id: string
  tags: string[]
  parent: string | null
  /** The bus (process) exposing it. */
  node: string
}

/** A filter of `bus.list()`: every given field must match (a tag: one of the machine's tags). */
export interface ListFilter {
  id?: string
  tag?: string
  parent?: string
}

/** Options of `bus.machine()`. */
export interface MirrorOptions<S extends Schema<string> = Schema<string>> {
  /** The schema expected (checked by hash); without it the schema is transferred. */
  schema?: S
  /** Deadline of connecting and default of every call, ms (default 5000). */
  timeout?: number
}

/** The handle of an exposed machine. */
export interface Exposed {
  readonly id: string
  /** Mirrors connected to it now. */
  readonly clients: number
  /** Stops exposing it: leaves the listing; its mirrors are disconnected. */
  close(): Promise<void>
}

/**
 * A message bus carrying machines between processes. Switch implementations by changing one constructor.
 *
 * ```ts
 * const bus: Bus = new InProcessBus() // or: await NatsBus.connect({ servers: 'nats://127.0.0.1:4222' })
 * await bus.expose(machine, { tags: ['worker'] })
 * const remote = await bus.machine(machine.id)
 * ```
 */
export interface Bus {
  /** The bus's id (its node name in `MachineInfo.node`). */
  readonly id: string
  expose(machine: Machine<string>, opts?: ExposeOptions): Promise<Exposed>
  list(filter?: ListFilter): Promise<MachineInfo[]>
  machine<S extends Schema<string> = Schema<string>>(id: string, opts?: MirrorOptions<S>): Promise<RemoteMachine<StateNames<S>>>
  /**
   * Serves `ref` under `name` to every process on the bus. Several exposures of one name (in one process or many)
   * form a pool: each message goes to one of them.
   *
   * ```ts
   * const exposed = await bus.exposeActor('counter', system.spawn(counter, new Counter(), { id: 'counter-1' }))
   * await exposed.close() // stops serving it here
   * ```
   */
  exposeActor(name: string, ref: Ref<string>): Promise<ExposedActor>
  /**
   * A ref to the actor (or pool) exposed under `name`, from any process; whether anyone serves it is learnt at each
   * ask (`ERR_CLUSTER_NOT_FOUND` at once), not here.
   *
   * ```ts
   * const total = await bus.actor<'Add'>('counter', { timeout: 2000 }).ask('Add', { n: 2 })
   * ```
   */
  actor<M extends string = string, H = unknown>(name: string, opts?: RemoteActorOptions): RemoteActorRef<M, H>
  /**
   * Opens the keyed set `name` on this node: virtual actors placed across every node that opens it, at most one
   * activation per key. A key runs on the node holding its lease (the first to send it a message when nobody
   * does); `ref(key)` reaches it from any node. State lives in `options.store` (shared by the nodes: a
   * `NatsKvStore` over NATS), loaded at each activation, so a key moves with its state when its node dies.
   *
   * ```ts
   * const accounts = await bus.keyed('accounts', { system, schema: ss, store, state, handlers, leaseTtl: 5000 })
   * await accounts.ref('acc-1').ask('Deposit', { amount: 5 })
   * await accounts.close() // passivates (saving) and releases this node's keys: others take them
   * ```
   */
  keyed<N extends string, H extends object, S = null, D = unknown, M extends N = N>(name: string,
    options: ClusterKeyedOptions<N, H, S, D, M>): Promise<ClusterKeyed<N, H, S, D, M>>
  close(): Promise<void>
}

/** Checks and copies `expose()` options into the listing entry of `machine`. */
export function infoOf(machine: Machine<string>, opts: ExposeOptions | undefined, node: string): MachineInfo {
  const where = 'bus.expose()'
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw new InvalidArgumentError(where, 'opts', 'an object', opts)
  }
  const tags = opts?.tags ?? machine.tags
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw new InvalidArgumentError(where, 'tags', 'an array of strings', tags)
  }
  const parent = opts?.parent ?? machine.parentId ?? null
  if (parent !== null && typeof parent !== 'string') throw new InvalidArgumentError(where, 'parent', 'a string', parent)
  return { id: machine.id, tags: [...tags as string[]], parent, node }
}

/** Checks a `list()` filter. */
export function checkFilter(filter: ListFilter | undefined): ListFilter {
  if (filter === undefined) return {}
  if (typeof filter !== 'object' || filter === null) throw new InvalidArgumentError('bus.list()', 'filter', 'an object', filter)
  for (const k of ['id', 'tag', 'parent'] as const) {
    const v = filter[k]
    if (v !== undefined && typeof v !== 'string') throw new InvalidArgumentError('bus.list()', k, 'a string', v)
  }
  return filter
}

/** True when `info` passes `filter`. */
export function matches(info: MachineInfo, filter: ListFilter): boolean {
  return (filter.id === undefined || info.id === filter.id)
    && (filter.tag === undefined || info.tags.includes(filter.tag))
    && (filter.parent === undefined || info.parent === filter.parent)
}

/** Checks a machine id argument. */
export function checkId(id: unknown, where: string): string {
  if (typeof id !== 'string' || id === '') throw new InvalidArgumentError(where, 'id', 'a non-empty string', id)
  return id
}

/** Checks `bus.machine()` options (`schema` is checked by `connect()`). */
export function checkMirrorOptions<S extends Schema<string>>(opts: MirrorOptions<S> | undefined): MirrorOptions<S> {
  const where = 'bus.machine()'
  if (opts === undefined) return {}
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'opts', 'an object', opts)
  const t = opts.timeout
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 1)) {
    throw new InvalidArgumentError(where, 'timeout', 'a number of ms ≥ 1', t)
  }
  return opts
}
