/**
 * The lease tables of cluster keyed sets: compare-and-set semantics of `MemoryLeases` and `NatsLeases` (a real
 * bucket on a private nats-server), the taker's expiry check, and values another program wrote.
 */
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expired, leaseFromWire, MemoryLeases, type LeaseTable } from '../../lib/cluster/lease.js'
import { NatsLeases } from '../../lib/cluster/lease-nats.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'

const lease = (node: string, ms = 10_000) => ({ node, holder: `${node}-token`, until: Date.now() + ms })

function tableContract(name: string, open: () => Promise<LeaseTable>): void {
  it(`${name}: create only when absent, update only on the revision read, release only the revision held`, async () => {
    const t = await open()
    expect(await t.read('k')).toBeNull()
    const r1 = await t.write('k', lease('a'), 0)
    expect(r1).toBeGreaterThan(0)
    expect(await t.write('k', lease('b'), 0)).toBeNull() // a racer that also saw it absent loses
    expect(await t.read('k')).toMatchObject({ node: 'a', revision: r1 })
    const r2 = await t.write('k', lease('a'), r1!) // a renewal
    expect(r2).toBeGreaterThan(r1!)
    expect(await t.write('k', lease('b'), r1!)).toBeNull() // a stale revision loses
    await t.release('k', r1!) // not the live revision: stays
    expect(await t.read('k')).toMatchObject({ node: 'a', revision: r2 })
    await t.release('k', r2!)
    expect(await t.read('k')).toBeNull()
    expect(await t.write('k', lease('b'), 0)).toBeGreaterThan(0) // free again
    t.close()
  })
}

describe('lease tables', () => {
  it('expired() and leaseFromWire() check what another process wrote', () => {
    expect(expired({ node: 'a', holder: 'x', until: Date.now() - 1 })).toBe(true)
    expect(expired(lease('a'))).toBe(false)
    expect(leaseFromWire({ node: 'a', holder: 'x', until: 5 })).toEqual({ node: 'a', holder: 'x', until: 5 })
    for (const bad of [null, 'a', { node: 'a' }, { node: 'a', holder: 'x', until: NaN }, { node: 1, holder: 'x', until: 5 }]) {
      expect(leaseFromWire(bad)).toBeNull()
    }
  })

  tableContract('MemoryLeases', async () => new MemoryLeases(1000))

  describe.skipIf(!hasNatsServer)('NatsLeases', () => {
    let server: NatsServer
    let buckets = 0
    const conns: Array<{ close(): Promise<void> }> = []
    beforeAll(async () => { server = await NatsServer.start() })
    afterAll(async () => {
      await Promise.all(conns.map((c) => c.close()))
      await server.stop()
    })
    const open = async (ttl = 2000): Promise<{ table: NatsLeases; nc: Awaited<ReturnType<typeof connect>>; bucket: string }> => {
      const nc = await connect({ servers: server.url })
      conns.push(nc)
      const bucket = `leases-${++buckets}`
      return { table: await NatsLeases.open(nc, bucket, ttl), nc, bucket }
    }

    tableContract('NatsLeases', async () => (await open()).table)

    it('a value that is not a lease reads as an expired one (a taker overwrites it by revision); the bucket TTL wins', async () => {
      const { table, nc, bucket } = await open(1500)
      const kv = await new Kvm(nc).open(bucket)
      const rev = await kv.put('k', new TextEncoder().encode('not msgpack of a lease'))
      const read = await table.read('k')
      expect(read).toMatchObject({ revision: rev })
      expect(expired(read!)).toBe(true)
      expect(await table.write('k', lease('a'), rev)).toBeGreaterThan(rev)
      const again = await NatsLeases.open(nc, bucket, 9000) // opened later with another TTL: the bucket's stays
      expect(again.ttl).toBe(1500)
    })
  })
})
