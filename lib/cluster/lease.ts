/**
 * Leases of keyed actors: who may run the actor of a key. A lease is a record `{ node, holder, until }` under the
 * key in a lease table with compare-and-set by revision; a node activates a key only while it holds its lease.
 * `MemoryLeases` is the single-process table of `InProcessBus`; `NatsLeases` (lease-nats.ts) keeps them in a NATS
 * KV bucket shared by every node.
 */

/** A lease as stored. */
export interface Lease {
  /** The bus id of the node holding it: messages for the key go there. */
  node: string
  /** The holding keyed set's random token: a restarted node with the same id does not mistake an old lease for its own. */
  holder: string
  /** `Date.now()` on the holder when it wrote the lease, plus the TTL: takers treat a lease past it as free. */
  until: number
}

/** A lease read from the table, with its revision (the compare-and-set token). */
export interface LeaseEntry extends Lease {
  revision: number
}

/** Where the leases of one keyed set live. Every method rejects on an unreachable table; none hangs past `timeout`. */
export interface LeaseTable {
  /** How long a lease lasts without renewal, ms (a NATS bucket made earlier by another node may impose its own). */
  readonly ttl: number
  /** The lease of `key`, or null when there is none (never taken, released, or removed by the table's TTL). */
  read(key: string): Promise<LeaseEntry | null>
  /**
   * Writes `lease` if the key's revision is still `expected` (0: no lease there). The new revision, or null when
   * another writer got there first.
   */
  write(key: string, lease: Lease, expected: number): Promise<number | null>
  /** Removes the lease if its revision is still `expected` (a lease taken by someone else meanwhile stays). */
  release(key: string, expected: number): Promise<void>
  close(): void
}

/** True when `lease` is past its `until` (the table's TTL removes such leases too; this is the taker's own check). */
export function expired(lease: Lease, now = Date.now()): boolean {
  return lease.until < now
}

/** A lease value read from the table, checked (another process wrote it); null when it is not one of ours. */
export function leaseFromWire(v: unknown): Lease | null {
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  if (typeof o.node !== 'string' || typeof o.holder !== 'string' || typeof o.until !== 'number' || !Number.isFinite(o.until)) return null
  return { node: o.node, holder: o.holder, until: o.until }
}

/** The lease table of one process (`InProcessBus`): a map with revisions, the TTL checked on read. */
export class MemoryLeases implements LeaseTable {
  readonly #leases = new Map<string, LeaseEntry>()
  #revision = 0

  constructor(readonly ttl: number) {}

  read(key: string): Promise<LeaseEntry | null> {
    const e = this.#leases.get(key)
    if (e && expired(e)) this.#leases.delete(key)
    return Promise.resolve(e && !expired(e) ? { ...e } : null)
  }

  write(key: string, lease: Lease, expected: number): Promise<number | null> {
    const cur = this.#leases.get(key)?.revision ?? 0
    if (cur !== expected) return Promise.resolve(null)
    const revision = ++this.#revision
    this.#leases.set(key, { ...lease, revision })
    return Promise.resolve(revision)
  }

  release(key: string, expected: number): Promise<void> {
    if (this.#leases.get(key)?.revision === expected) this.#leases.delete(key)
    return Promise.resolve()
  }

  close(): void {
    this.#leases.clear()
  }
}
