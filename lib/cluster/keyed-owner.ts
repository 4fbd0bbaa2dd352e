/**
 * The owner side of cluster keyed actors: the leases this node holds, one per key it runs. A key's actor runs here
 * only while its lease is held: taken with compare-and-set, renewed every quarter of the TTL, released after the
 * key's passivation (its state saved first). A lease that cannot be renewed for half the TTL counts as lost: the key
 * stops taking messages, its in-flight messages are given up, and it is passivated — before any other node can take
 * the lease (which needs the full TTL to pass).
 */
import type { Args } from '../machine/index.js'
import type { AskOptions, Ref, TellOnlyRef } from '../actor/index.js'
import { ClusterError } from './errors.js'
import { type LeaseTable } from './lease.js'
import { ActorEndpoint } from './remote-actor.js'
import type { MessageMeta } from './trace.js'

/** A forwarded message was not taken here: this node does not hold the key's lease (the sender looks again). */
export const MOVED = Symbol('moved')
export type Moved = typeof MOVED

/** What the owner side needs from the node's `PersistentKeyed`. */
export interface LocalKeyed {
  ref(key: string): { ask(msg: string, args?: Args, opts?: AskOptions): Promise<unknown> }
  save(key: string): Promise<boolean>
  passivate(key: string): Promise<boolean>
  /** Stops the key's actor without saving it (a lease lost: this node must not write the key any more). */
  discard(key: string): Promise<void>
}

export interface OwnerOptions {
  name: string
  /** This node's bus id (`Lease.node`). */
  node: string
  /** This keyed set's random token (`Lease.holder`). */
  holder: string
  table: LeaseTable
  local: LocalKeyed
  idleTimeout: number
  /** How long a message without its own timeout or deadline (a tell) may run here, ms. */
  timeout: number
  checkpoint: 'message' | 'passivation'
  /** A fault of the lease machinery (a renewal or release failed): reported, never thrown. */
  report: (err: unknown) => void
  /** A tell that ran but whose change could not be saved (checkpoint `message`): reported, since no caller hears of it. */
  unsaved: (err: unknown) => void
  /** A lease taken, released (after its key's passivation) or lost, for `keyed.machine`. */
  event: (what: 'LeaseTaken' | 'LeaseReleased' | 'LeaseLost', key: string) => void
}

type Phase = 'taking' | 'held' | 'releasing'

interface Held {
  readonly key: string
  phase: Phase
  revision: number
  /** `performance.now()` until which the lease is surely ours (the time its last renewal was sent, plus the TTL). */
  validUntil: number
  lastUsed: number
  inFlight: number
  /** The renewal in flight (one at a time); a release waits for it, so it deletes the latest revision. */
  renewal: Promise<void> | null
  readonly endpoint: ActorEndpoint
  /** Aborts the key's messages still running when the lease is lost. */
  readonly abort: AbortController
  /** Settles when `taking` ends; replaced by a fresh one when `releasing` starts, settled when it ends. */
  settled: Promise<void>
  settle: () => void
}

const EMPTY = new Uint8Array()

export class Owner {
  readonly #held = new Map<string, Held>()
  readonly #timer: NodeJS.Timeout
  #closed = false
  /** Leases taken and released (or lost) by this node. */
  taken = 0
  released = 0
  lost = 0

  constructor(private readonly o: OwnerOptions) {
    this.#timer = setInterval(() => this.#tick(), Math.max(10, o.table.ttl / 4))
    this.#timer.unref()
  }

  /** Keys whose lease this node holds now. */
  get keys(): string[] {
    return [...this.#held.values()].filter((h) => h.phase === 'held').map((h) => h.key)
  }

  /** The phase of `key` here: undefined when this node has nothing to do with it. */
  phase(key: string): Phase | undefined {
    return this.#held.get(key)?.phase
  }

  /**
   * Takes `key`'s lease if its revision is still `expected` (0: none). True when it is held here now; false when
   * another node got it first. Rejects with `ERR_CLUSTER_LEASE` when the lease table cannot be reached.
   */
  async take(key: string, expected: number): Promise<boolean> {
    if (this.#closed) throw new ClusterError('ERR_CLUSTER_CLOSED', `keyed ${this.o.name} is closed`)
    const cur = this.#held.get(key)
    if (cur) {
      await cur.settled
      return this.#held.get(key)?.phase === 'held'
    }
    let settle!: () => void
    const settled = new Promise<void>((r) => (settle = r))
    const abort = new AbortController()
    const h: Held = {
      key, phase: 'taking', revision: 0, validUntil: 0, lastUsed: performance.now(), inFlight: 0, renewal: null,
      endpoint: new ActorEndpoint(`${this.o.name}/${key}`, this.#durableRef(key, abort.signal)), abort, settled, settle,
    }
    this.#held.set(key, h)
    const sent = performance.now()
    let revision: number | null
    try {
      revision = await this.o.table.write(key, this.#lease(), expected)
    } catch (err) {
      this.#forget(h)
      throw new ClusterError('ERR_CLUSTER_LEASE', `keyed ${this.o.name}: cannot take the lease of ${key}: ${String(err)}`, { cause: err })
    }
    if (revision === null || this.#closed) {
      if (revision !== null) await this.o.table.release(key, revision).catch(this.o.report)
      this.#forget(h)
      return false
    }
    h.revision = revision
    h.validUntil = sent + this.o.table.ttl
    h.phase = 'held'
    this.taken++
    this.o.event('LeaseTaken', key)
    settle()
    return true
  }

  /**
   * Runs a message for `key` if its lease is held here (waiting while it is being taken, until `deadline`): the reply
   * bytes (empty for a tell), or {@link MOVED} when this node does not hold the lease.
   */
  async serve(key: string, body: Uint8Array, deadline: number, meta?: MessageMeta): Promise<Uint8Array | Moved> {
    let h = this.#held.get(key)
    while (h?.phase === 'taking') {
      if (!(await settledBy(h.settled, deadline))) return MOVED
      h = this.#held.get(key)
    }
    if (!h || h.phase !== 'held' || !this.#valid(h)) return MOVED
    h.inFlight++
    h.lastUsed = performance.now()
    try {
      return (await h.endpoint.handle(body, meta)) ?? EMPTY
    } finally {
      h.inFlight--
      h.lastUsed = performance.now()
    }
  }

  /** Cancels the ask `id` of `key` if it runs here. */
  cancel(key: string, id: string): void {
    this.#held.get(key)?.endpoint.cancel(id)
  }

  /** Waits until `key` is neither being taken nor released here (or `deadline`). */
  async settled(key: string, deadline: number): Promise<void> {
    const h = this.#held.get(key)
    if (h && h.phase !== 'held') await settledBy(h.settled, deadline)
  }

  /** Passivates every key and releases their leases (bounded by `timeout` ms), then stops renewing. */
  async close(timeout: number): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    const all = Promise.all([...this.#held.values()].map(async (h) => {
      if (h.phase === 'taking') await h.settled
      await this.#release(h, 'closing')
    }))
    await settledBy(all, performance.now() + timeout)
  }

  /** Every quarter TTL: renew the leases in use, release idle ones, give up those not renewed for half the TTL. */
  #tick(): void {
    const now = performance.now()
    for (const h of this.#held.values()) {
      if (h.phase !== 'held') continue
      if (!this.#valid(h)) void this.#release(h, 'lost')
      else if (h.inFlight === 0 && now - h.lastUsed >= this.o.idleTimeout) void this.#release(h, 'idle')
      else if (h.renewal === null) h.renewal = this.#renew(h).finally(() => { h.renewal = null })
    }
  }

  async #renew(h: Held): Promise<void> {
    const sent = performance.now()
    let revision: number | null
    try {
      revision = await this.o.table.write(h.key, this.#lease(), h.revision)
    } catch (err) {
      // transient (a slow or unreachable server): the next tick tries again, until half the TTL has passed
      this.o.report(new ClusterError('ERR_CLUSTER_LEASE', `keyed ${this.o.name}: renewing the lease of ${h.key} failed: ${String(err)}`, { cause: err }))
      return
    }
    if (revision !== null) h.revision = revision // even while releasing: the release deletes the latest revision
    if (h.phase !== 'held') return
    if (revision === null) {
      h.renewal = null // the release below must not wait for this very renewal
      void this.#release(h, 'lost')
      return
    }
    h.validUntil = sent + this.o.table.ttl
  }

  /** Stops taking messages for the key, lets its messages finish (or aborts them when lost), passivates, releases. */
  async #release(h: Held, why: 'idle' | 'lost' | 'closing'): Promise<void> {
    if (h.phase !== 'held') return
    h.phase = 'releasing'
    // the taking's promise settled long ago: waiters on this release (a message for the key) need a fresh one
    h.settled = new Promise<void>((r) => (h.settle = r))
    try {
      if (why === 'lost') {
        this.lost++
        this.o.event('LeaseLost', h.key)
        this.o.report(new ClusterError('ERR_CLUSTER_LEASE', `keyed ${this.o.name}: lost the lease of ${h.key}; the key stops here`))
      }
      // messages running now finish while the lease surely lasts; past that they are aborted (not acknowledged)
      const drainBy = why === 'lost' ? performance.now() : Math.max(performance.now(), h.validUntil - this.o.table.ttl / 4)
      while (h.inFlight > 0 && performance.now() < drainBy) await sleep(5)
      if (h.inFlight > 0) h.abort.abort(new ClusterError('ERR_CLUSTER_LEASE', `keyed ${this.o.name}: lost the lease of ${h.key}`))
      h.endpoint.close()
      try {
        // A lost lease with checkpoint 'message': every acknowledged change is stored already, and the key may be
        // running elsewhere by now, so nothing is written. With 'passivation' the save is the only copy of the
        // changes; its compare-and-set fails rather than overwrite a newer owner's write.
        if (why === 'lost' && this.o.checkpoint === 'message') await this.o.local.discard(h.key)
        else await this.o.local.passivate(h.key)
      } catch (err) {
        this.o.report(err)
      }
      // The lease is deleted (so another node may take the key at once) only after the key is saved above. Both
      // waits are bounded: against a slow or absent server the lease simply expires with its TTL.
      const quarter = this.o.table.ttl / 4
      if (h.renewal) await settledBy(h.renewal, performance.now() + quarter)
      const released = this.o.table.release(h.key, h.revision).catch((err: unknown) => this.o.report(err))
      await settledBy(released, performance.now() + quarter)
      if (why !== 'lost') {
        this.released++
        this.o.event('LeaseReleased', h.key)
      }
    } catch (err) {
      this.o.report(err) // callers do not wait for a release: a failure is reported, never an unhandled rejection
    } finally {
      // whatever failed above, the key must not stay 'releasing' for good
      this.#forget(h)
    }
  }

  #forget(h: Held): void {
    if (this.#held.get(h.key) === h) this.#held.delete(h.key)
    h.settle()
  }

  /** Still surely ours: renewed within the last half TTL. */
  #valid(h: Held): boolean {
    return performance.now() < h.validUntil - this.o.table.ttl / 2
  }

  #lease(): { node: string; holder: string; until: number } {
    return { node: this.o.node, holder: this.o.holder, until: Date.now() + this.o.table.ttl }
  }

  /**
   * The ref the key's endpoint runs messages on: the local keyed actor, then (checkpoint `message`) a save of the
   * key's state, so a reply or a tell's acknowledgement means the change is stored. A tell runs as an ask, so its
   * acknowledgement also waits for its handler.
   */
  #durableRef(key: string, lease: AbortSignal): Ref<string> {
    const { local, checkpoint } = this.o
    const run = async (msg: string, args?: Args, opts?: AskOptions, told = false): Promise<unknown> => {
      const signal = opts?.signal ? AbortSignal.any([opts.signal, lease]) : lease
      // every message is bounded here: one with no timeout or deadline of its own (a tell) gets the set's
      const bound = opts?.timeout === undefined && opts?.deadline === undefined ? { timeout: this.o.timeout } : {}
      const reply = await local.ref(key).ask(msg, args, { ...opts, ...bound, signal })
      if (checkpoint !== 'message') return reply
      try {
        await local.save(key)
      } catch (err) {
        // not stored, so not acknowledged; and the live state now differs from the store (maybe by a write whose
        // answer was lost): the key is stopped unsaved, and its next message loads what the store has
        await local.discard(key).catch(() => undefined)
        if (told) this.o.unsaved(err) // an ask's caller gets the error; a tell's change would vanish unheard of
        throw err
      }
      return reply
    }
    const tell = (msg: string, args?: Args, opts?: AskOptions): Promise<void> => run(msg, args, opts, true).then(() => undefined, () => undefined)
    const tellOnly: TellOnlyRef<string, 'drop-newest'> = { id: key, tell: tell as (m: string, a?: Args, o?: AskOptions) => void }
    return { id: key, ask: run, tell: tellOnly.tell, tellOnly: () => tellOnly } as Ref<string>
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** True when `p` settled before `deadline` (`performance.now()` ms). */
export async function settledBy(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.min(2_147_483_647, Math.max(0, deadline - performance.now())))))
  try {
    return await Promise.race([p.then(() => true, () => true), late])
  } finally {
    clearTimeout(timer)
  }
}
