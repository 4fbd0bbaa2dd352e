/**
 * Cluster keyed actors: virtual actors placed across the nodes of a bus, at most one activation per key. Each node
 * opens the set with `bus.keyed(name, options)` (a `PersistentKeyed` of its own underneath); `ref(key)` works from
 * any of them. The first message for a key takes the key's lease (keyed-owner.ts) on the node that sent it; later
 * messages go to the lease holder over the bus (request/reply, the remote actor wire format). When the holder dies
 * its leases expire and the next message activates the key elsewhere, loading its state from the shared store.
 */
import { randomBytes } from 'node:crypto'
import { InvalidArgumentError, Machine, OutOfRangeError } from '../machine/index.js'
import { ActorSystem, PersistentKeyed, type Msgs, type PersistentKeyedOptions } from '../actor/index.js'
import { decode } from '../rpc/index.js'
import { ClusterError } from './errors.js'
import { MOVED, Owner, settledBy, type LocalKeyed, type Moved } from './keyed-owner.js'
import { ClusterKeyedSchema, type ClusterKeyedStateNames } from './keyed.schema.js'
import { expired, type LeaseTable } from './lease.js'
import { RemoteActorRef, type ActorTransport } from './remote-actor.js'
import type { MessageMeta } from './trace.js'

/**
 * Options of `bus.keyed()`: those of a `PersistentKeyed` (`schema`, `handlers`, `store`, `state`, `maxActive`,
 * `mailbox`, supervision…; its `id` is the set's name) plus where and how its keys are placed.
 */
export interface ClusterKeyedOptions<N extends string, H extends object, S = null, D = unknown, M extends N = N>
  extends Omit<PersistentKeyedOptions<N, H, S, D, M>, 'id' | 'idleTimeout'> {
  /** This node's actor system: the keys placed here run under it. */
  system: ActorSystem
  /** Passivate a key (saving it) and release its lease after this many ms without messages (default 60 000). */
  idleTimeout?: number
  /**
   * How long a lease lasts without renewal, ms (default 10 000; at least 100). The holder renews it every quarter
   * TTL and gives a key up after half a TTL without a renewal; a dead node's keys move after at most one TTL. Every
   * node of a set uses the TTL of the first one that opened it (NATS: the lease bucket's max age).
   */
  leaseTtl?: number
  /** Default ask timeout, and how long a tell may wait for its key's owner, ms (default: the bus's, 5000). */
  timeout?: number
  /** Messages this node may hold while it finds, or waits for, their key's owner (default 10 000). */
  maxBuffered?: number
  /**
   * When a key's state is saved. `message` (default): after every message, before it is acknowledged (the ask
   * resolves, the tell is accepted), so a killed node loses no acknowledged message. `passivation`: at passivation
   * and when handlers call `ctx.state.save()` (fewer writes; a killed node loses changes since the last save).
   */
  checkpoint?: 'message' | 'passivation'
}

/**
 * A keyed set on one node (`bus.keyed()`): refs to its keys, the keys placed here, and `close()`.
 *
 * ```ts
 * const accounts = await bus.keyed('accounts', { system, schema: ss, store, state, handlers })
 * await accounts.ref('acc-1').ask('Deposit', { amount: 5 }) // runs on the node holding acc-1's lease
 * ```
 */
export class ClusterKeyed<N extends string = string, H extends object = object, S = unknown, D = unknown, M extends N = N> {
  /**
   * This node's part of the set as a machine ({@link ClusterKeyedSchema}): `Ready` / `Closing` / `Closed`, lease
   * events (`LeaseTaken`, `LeaseReleased`, `LeaseLost`, args `key`) and failures (`ErrLease`, `ErrDelivery`).
   */
  readonly machine: Machine<ClusterKeyedStateNames>
  /** This node's `PersistentKeyed`: the actors of the keys placed here. */
  readonly local: PersistentKeyed<N, H, S, D, M>
  readonly #owner: Owner
  /** Where other nodes' keys are, as last seen (bounded: oldest forgotten first). */
  readonly #owners = new Map<string, string>()
  /** Asks given up by their asker while they still wait here for an owner. */
  readonly #cancelled = new Set<string>()
  #buffered = 0
  /**
   * Per key, the last message this node is sending: the next one is sent only once it is handed over (to the local
   * actor, or published to the holder), so one sender's messages arrive in order, its first ones included.
   */
  readonly #sending = new Map<string, { handedOver: Promise<void>; done: boolean }>()
  /** This set's random token in the leases it writes. */
  readonly #holder = randomBytes(8).toString('hex')
  #closing: Promise<void> | null = null

  /** @internal Made by `bus.keyed()`. */
  constructor(readonly name: string, readonly node: string, private readonly opts: CheckedKeyedOptions,
    local: PersistentKeyed<N, H, S, D, M>, private readonly table: LeaseTable,
    private readonly transport: KeyedTransport, private readonly onClose: () => Promise<void>) {
    this.local = local
    this.machine = new Machine(ClusterKeyedSchema, { id: `${node}-keyed-${name}` })
    this.machine.add('Ready')
    this.#owner = new Owner({
      name, node, holder: this.#holder, table, idleTimeout: opts.idleTimeout, timeout: opts.timeout,
      local: {
        ref: (key) => local.ref(key) as unknown as ReturnType<LocalKeyed['ref']>,
        save: (key) => local.save(key),
        passivate: (key) => local.passivate(key),
        discard: async (key) => {
          const id = `${name}/${key}`
          if (local.supervisor.child(id)) await local.supervisor.stopChild(id)
        },
      },
      checkpoint: opts.checkpoint, report: (err) => this.#report('ErrLease', err),
      unsaved: (err) => this.#report('ErrDelivery', err),
      event: (what, key) => void this.machine.add(what, { key }),
    })
  }

  /**
   * A ref to the actor of `key`, wherever it runs (or will run): `tell` and `ask` as with a remote actor, with
   * timeouts and per-message cancellation. Replies, args and errors cross as msgpack; a handler's error rejects the
   * ask with a `RemoteActorError`.
   */
  ref(key: string): RemoteActorRef<Msgs<M>, H> {
    if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(`keyed ${this.name}: ref()`, 'key', 'a non-empty string', key)
    return new RemoteActorRef<Msgs<M>, H>(key, this.#transport, this.opts.timeout)
  }

  /** Keys whose lease this node holds (their actors run here). */
  get keys(): string[] {
    return this.#owner.keys
  }

  /** Activations of keys on this node so far. */
  get activations(): number {
    return this.local.activations
  }

  /** Leases this node took, released, and lost (not renewed in time, or taken over) so far. */
  get leases(): { taken: number; released: number; lost: number } {
    return { taken: this.#owner.taken, released: this.#owner.released, lost: this.#owner.lost }
  }

  /** How long a lease lasts without renewal, ms: `options.leaseTtl`, or the TTL of the lease bucket another node made. */
  get leaseTtl(): number {
    return this.table.ttl
  }

  /** Messages held here while their key's owner is found. */
  get buffered(): number {
    return this.#buffered
  }

  /**
   * Passivates the keys placed here (saving them), releases their leases so other nodes take them at once, and
   * stops this node's part of the set. Messages still waiting here fail with `ERR_CLUSTER_CLOSED`. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.machine.add('Closing')
      await this.#owner.close(this.opts.timeout)
      await this.onClose()
      this.table.close()
      await this.local.supervisor.stop({ timeout: this.opts.timeout })
      this.machine.add('Closed')
    })()
    return this.#closing
  }

  /** @internal A message for `key` from another node: runs it if this node holds the key's lease. */
  serve(key: string, body: Uint8Array, meta?: MessageMeta): Promise<Uint8Array | Moved> {
    if (this.#closing) return Promise.resolve(MOVED)
    return this.#owner.serve(key, body, performance.now() + this.opts.timeout, meta)
  }

  /** @internal A cancel from another node's asker. */
  cancelHere(key: string, id: string): void {
    this.#owner.cancel(key, id)
  }

  readonly #transport: ActorTransport = {
    request: (key, body, timeout, meta) => {
      this.#admit(key)
      return this.#route(key, body, timeout, meta).finally(() => this.#buffered--)
    },
    send: (key, body, meta) => {
      this.#admit(key)
      this.#route(key, body, this.opts.timeout, meta).catch((err: unknown) => this.#report('ErrDelivery', err)).finally(() => this.#buffered--)
    },
    cancel: (key, id) => {
      this.#cancelled.add(id)
      if (this.#cancelled.size > this.opts.maxBuffered) this.#cancelled.delete(this.#cancelled.values().next().value as string)
      this.#owner.cancel(key, id)
      const node = this.#owners.get(key)
      if (node !== undefined) this.transport.cancel(node, key, id)
    },
  }

  #admit(key: string): void {
    if (this.#closing) throw new ClusterError('ERR_CLUSTER_CLOSED', `keyed ${this.name} is closed on ${this.node}`)
    if (this.#buffered >= this.opts.maxBuffered) {
      throw new ClusterError('ERR_CLUSTER_OVERFLOW', `keyed ${this.name}: ${this.#buffered} messages already wait on ${this.node} `
        + `(maxBuffered); the message for ${key} is refused`)
    }
    this.#buffered++
  }

  /**
   * Delivers one message to whoever holds `key`'s lease, taking the lease when nobody does; waits and tries again
   * while the key moves (its owner gone, releasing, or not yet known), until `timeout`.
   */
  async #route(key: string, body: Uint8Array, timeout: number, meta: MessageMeta | undefined): Promise<Uint8Array> {
    const deadline = performance.now() + timeout
    const prev = this.#sending.get(key)
    let handOver!: () => void
    const mine = { handedOver: new Promise<void>((r) => (handOver = r)), done: false }
    const handedOver = (): void => {
      mine.done = true
      handOver()
    }
    this.#sending.set(key, mine)
    try {
      if (prev && !prev.done) await settledBy(prev.handedOver, deadline)
      return await this.#attempts(key, body, timeout, deadline, meta, handedOver)
    } finally {
      handedOver()
      if (this.#sending.get(key) === mine) this.#sending.delete(key)
    }
  }

  async #attempts(key: string, body: Uint8Array, timeout: number, deadline: number, meta: MessageMeta | undefined,
    handedOver: () => void): Promise<Uint8Array> {
    const id = askId(body)
    let leaseError: unknown
    for (let attempt = 0; ; attempt++) {
      if (this.#closing) throw new ClusterError('ERR_CLUSTER_CLOSED', `keyed ${this.name} is closed on ${this.node}`)
      if (id !== undefined && this.#cancelled.delete(id)) throw new ClusterError('ERR_CLUSTER_CANCELLED', `keyed ${this.name}: the asker of ${key} gave up`)
      let r: Uint8Array | Moved | 'again'
      try {
        r = await this.#once(key, body, deadline, meta, handedOver)
      } catch (err) {
        // the lease table is unreachable (a server restart, a network blip): the message was sent nowhere, so it
        // waits and tries again; any other failure (a forward that timed out: maybe delivered) is final
        if (!(err instanceof ClusterError) || err.code !== 'ERR_CLUSTER_LEASE') throw err
        leaseError = err
        r = MOVED
      }
      if (r instanceof Uint8Array) return r
      const left = deadline - performance.now()
      if (left <= 0) {
        throw leaseError ?? new ClusterError('ERR_CLUSTER_LEASE', `keyed ${this.name}: no node took the message for ${key} within ${timeout} ms`)
      }
      if (r === MOVED) await sleep(Math.min(left, backoff(attempt, this.table.ttl)))
    }
  }

  /** One try: the reply, `MOVED` (wait, then look again) or `'again'` (look again now). */
  async #once(key: string, body: Uint8Array, deadline: number, meta: MessageMeta | undefined,
    handedOver: () => void): Promise<Uint8Array | Moved | 'again'> {
    const phase = this.#owner.phase(key)
    if (phase === 'held' || phase === 'taking') {
      const served = this.#owner.serve(key, body, deadline, meta) // enqueued now (or queued behind the taking)
      handedOver()
      return served
    }
    if (phase === 'releasing') {
      await this.#owner.settled(key, deadline)
      return 'again'
    }
    let node = this.#owners.get(key)
    if (node === undefined) {
      let lease
      try {
        lease = await this.table.read(key)
      } catch (err) {
        throw new ClusterError('ERR_CLUSTER_LEASE', `keyed ${this.name}: cannot read the lease of ${key}: ${String(err)}`, { cause: err })
      }
      if (lease === null || expired(lease)) return await this.#owner.take(key, lease?.revision ?? 0) ? 'again' : MOVED
      // our own lease that this node forgot (a take whose answer was lost): taken again over its revision
      if (lease.holder === this.#holder) return await this.#owner.take(key, lease.revision) ? 'again' : MOVED
      node = lease.node
      this.#remember(key, node)
    }
    let r: Uint8Array | Moved
    try {
      const forwarded = this.transport.forward(node, key, body, Math.max(1, deadline - performance.now()), meta) // published now
      handedOver()
      r = await forwarded
    } catch (err) {
      if (!(err instanceof ClusterError) || err.code !== 'ERR_CLUSTER_NOT_FOUND') throw err
      r = MOVED // its process is gone: its lease expires, then this or another node takes the key
    }
    if (r === MOVED) this.#owners.delete(key)
    return r
  }

  #remember(key: string, node: string): void {
    this.#owners.set(key, node)
    if (this.#owners.size > OWNER_CACHE) this.#owners.delete(this.#owners.keys().next().value as string)
  }

  /** A fault of the placement machinery: an `Err*` state of `machine`, never a crash. */
  #report(state: 'ErrLease' | 'ErrDelivery', err: unknown): void {
    if (!this.machine.disposed) this.machine.addErrState(state, err)
  }
}

/** How a bus moves keyed messages between nodes. */
export interface KeyedTransport {
  /**
   * Sends a message for `key` to `node`: the reply bytes, or `MOVED` when that node does not hold the key. Rejects
   * with `ERR_CLUSTER_NOT_FOUND` at once when the node is gone.
   */
  forward(node: string, key: string, body: Uint8Array, timeout: number, meta?: MessageMeta): Promise<Uint8Array | Moved>
  cancel(node: string, key: string, id: string): void
}

export interface CheckedKeyedOptions {
  idleTimeout: number
  leaseTtl: number
  timeout: number
  maxBuffered: number
  checkpoint: 'message' | 'passivation'
}

const OWNER_CACHE = 10_000
const MAX_NAME_BYTES = 128

/**
 * Checks `bus.keyed()` arguments and makes this node's `PersistentKeyed` (which checks the rest: schema, handlers,
 * store…). The options of the placement, checked.
 */
export function localKeyed<N extends string, H extends object, S, D, M extends N>(name: unknown,
  options: ClusterKeyedOptions<N, H, S, D, M>, busTimeout: number): { checked: CheckedKeyedOptions; local: PersistentKeyed<N, H, S, D, M> } {
  const where = 'bus.keyed()'
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(where, 'name', 'a non-empty string', name)
  // it becomes a NATS subject token and part of a KV bucket name (base64url), both of bounded length
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new OutOfRangeError(where, 'name', `at most ${MAX_NAME_BYTES} UTF-8 bytes`, name)
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(where, 'options', 'an object', options)
  const { system, idleTimeout = 60_000, leaseTtl = 10_000, timeout = busTimeout, maxBuffered = 10_000, checkpoint = 'message', ...rest } = options
  if (!(system instanceof ActorSystem)) throw new InvalidArgumentError(where, 'options.system', 'an ActorSystem', system)
  ms(where, 'idleTimeout', idleTimeout, 1, true)
  ms(where, 'leaseTtl', leaseTtl, 100, false)
  ms(where, 'timeout', timeout, 1, false)
  if (typeof maxBuffered !== 'number' || !Number.isSafeInteger(maxBuffered)) throw new InvalidArgumentError(where, 'options.maxBuffered', 'an integer ≥ 1', maxBuffered)
  if (maxBuffered < 1) throw new OutOfRangeError(where, 'options.maxBuffered', 'an integer ≥ 1', maxBuffered)
  if (checkpoint !== 'message' && checkpoint !== 'passivation') {
    throw new InvalidArgumentError(where, 'options.checkpoint', "'message' or 'passivation'", checkpoint)
  }
  const local = new PersistentKeyed<N, H, S, D, M>(system, { ...rest, id: name })
  // Durable reminders would fire on every node (each scans the shared store) straight into its local actors,
  // bypassing the leases: until they can be routed, they are off (`ctx.reminders.set()` rejects, RemindersStoppedError).
  local.reminders.stop()
  return { checked: { idleTimeout, leaseTtl, timeout, maxBuffered, checkpoint }, local }
}

function ms(where: string, name: string, v: unknown, min: number, infinite: boolean): void {
  if (typeof v !== 'number' || Number.isNaN(v) || (!infinite && !Number.isFinite(v))) {
    throw new InvalidArgumentError(where, `options.${name}`, `a number of ms ≥ ${min}`, v)
  }
  if (v < min) throw new OutOfRangeError(where, `options.${name}`, `a number of ms ≥ ${min}`, v)
}

/** Waits between tries while a key moves: short at first, then about a tenth of the lease TTL. */
function backoff(attempt: number, ttl: number): number {
  return Math.min(Math.max(20, ttl / 10), 10 * 2 ** attempt)
}

/** The id of the ask in a request body (undefined for a tell, or an unreadable body). */
function askId(body: Uint8Array): string | undefined {
  try {
    const v = decode(body) as { k?: unknown; i?: unknown } | null
    return v?.k === 'ask' && typeof v.i === 'string' ? v.i : undefined
  } catch {
    return undefined
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
