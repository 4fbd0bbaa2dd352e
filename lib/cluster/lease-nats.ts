/**
 * `NatsLeases`: the leases of one keyed set in a NATS KV bucket (`<prefix>_lease_<name>`). The bucket's max age is
 * the lease TTL, so the lease of a node that died (and stopped renewing) disappears from the bucket on its own
 * (nats-server 2.9 ignores per-key TTLs, hence one age for the whole bucket); the `until` in each lease is the
 * taker's second check. Writes are compare-and-set on the subject's last sequence, atomic on the server.
 */
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { decode, encode } from '../rpc/index.js'
import { leaseFromWire, type Lease, type LeaseEntry, type LeaseTable } from './lease.js'
import { encodeKey } from './nats-kv-store.js'

/** JetStream's "wrong last sequence" API errors: a compare-and-set lost. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164])

export class NatsLeases implements LeaseTable {
  private constructor(private readonly kv: KV, readonly ttl: number) {}

  /**
   * Opens (or creates) the bucket `name` with max age `ttl` ms. A bucket made earlier with another age is used as
   * it is, and its age becomes this table's TTL: every node of the set must agree on how long a lease lasts.
   */
  static async open(nc: NatsConnection, name: string, ttl: number): Promise<NatsLeases> {
    const kvm = new Kvm(nc)
    let kv: KV
    try {
      kv = await kvm.create(name, { ttl, history: 1 })
    } catch {
      kv = await kvm.open(name)
    }
    const status = await kv.status()
    return new NatsLeases(kv, status.ttl > 0 ? status.ttl : ttl)
  }

  async read(key: string): Promise<LeaseEntry | null> {
    const e = await this.kv.get(encodeKey(key))
    if (e === null || e.operation !== 'PUT' || e.value.length === 0) return null
    let lease: Lease | null
    try {
      lease = leaseFromWire(decode(e.value))
    } catch {
      lease = null
    }
    // not a lease of ours: treated as expired, so a taker overwrites it (compare-and-set on its revision)
    return lease === null ? { node: '', holder: '', until: 0, revision: e.revision } : { ...lease, revision: e.revision }
  }

  async write(key: string, lease: Lease, expected: number): Promise<number | null> {
    const k = encodeKey(key)
    try {
      if (expected === 0) return await this.kv.create(k, encode(lease))
      return await this.kv.update(k, encode(lease), expected)
    } catch (err) {
      if (WRONG_LAST_SEQUENCE.has((err as { code?: unknown }).code as number)) return null
      throw err
    }
  }

  async release(key: string, expected: number): Promise<void> {
    try {
      await this.kv.delete(encodeKey(key), { previousSeq: expected })
    } catch (err) {
      if (!WRONG_LAST_SEQUENCE.has((err as { code?: unknown }).code as number)) throw err
    }
  }

  close(): void {
    // the bucket and the connection stay: other nodes use them
  }
}
