/**
 * Cluster keyed actors over a private nats-server (tools/nats-server.ts): the contract with two nodes (two NatsBus
 * connections, each with its own actor system) sharing a NatsKvStore, then what only several nodes show: racing
 * first messages, a lease lost (taken over in the bucket) and a node closing while another takes over its keys.
 */
import { Kvm } from '@nats-io/kv'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../lib/actor/index.js'
import { NatsBus, NatsKvStore } from '../../lib/cluster/index.js'
import { encodeKey } from '../../lib/cluster/nats-kv-store.js'
import { setClusterTracing, type ReceivedMessage } from '../../lib/cluster/trace.js'
import { encode } from '../../lib/rpc/index.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { eventually } from './contract.js'
import { FlakyStore } from './fixtures/ledger.js'
import { keyedContract, ledgerOptions, type Cluster, type Ledger, type LedgerOptions } from './keyed-contract.js'

let server: NatsServer
let prefixes = 0

/** Two nodes on a fresh prefix (subjects, lease bucket) and a fresh state bucket. */
async function cluster(): Promise<Cluster & { buses: NatsBus[] }> {
  const prefix = `k${++prefixes}`
  const buses = await Promise.all(['node-a', 'node-b'].map((id) =>
    NatsBus.connect({ servers: server.url, id, prefix, heartbeat: 200, presenceTtl: 1000 })))
  const store = new FlakyStore(await NatsKvStore.open(buses[0]!, { bucket: `state-${prefix}` }))
  const systems: ActorSystem[] = []
  return {
    nodes: 2,
    store,
    buses,
    open: async (node: number, extra: LedgerOptions = {}, name = 'ledger') => {
      const system = new ActorSystem({ id: `${prefix}-${node}-${systems.length}` })
      systems.push(system)
      return await buses[node]!.keyed(name, ledgerOptions(system, store, extra)) as Ledger
    },
    cleanup: async () => {
      await Promise.all(buses.map((b) => b.close()))
      await Promise.all(systems.map((s) => s.shutdown({ timeout: 2000 })))
    },
  }
}

describe.skipIf(!hasNatsServer)('cluster keyed actors over NATS', () => {
  beforeAll(async () => { server = await NatsServer.start() })
  afterAll(async () => { await server.stop() })

  keyedContract('NatsBus', cluster)

  describe('several nodes', () => {
    let c: Awaited<ReturnType<typeof cluster>>
    afterEach(async () => { await c.cleanup() })

    it('two nodes racing the first message of each key: exactly one activation per key, every message applied once', async () => {
      c = await cluster()
      const [a, b] = [await c.open(0), await c.open(1)]
      const keys = Array.from({ length: 20 }, (_, i) => `race-${i}`)
      await Promise.all(keys.flatMap((k) => [a.ref(k).ask('Append', { item: 'a' }), b.ref(k).ask('Append', { item: 'b' })]))
      expect(a.activations + b.activations).toBe(keys.length)
      expect([...a.keys, ...b.keys].sort()).toEqual([...keys].sort())
      for (const k of keys) expect((await a.ref(k).ask('Get')).items.sort()).toEqual(['a', 'b'])
    })

    it('a node whose lease is taken over stops the key (writing nothing: every acknowledged change is stored); it resumes on the new holder with its state', async () => {
      c = await cluster()
      const [a, b] = [await c.open(0), await c.open(1)]
      const lost: unknown[] = []
      a.machine.bind({ LeaseLostState: (e: { args: { key?: unknown } }) => void lost.push(e.args.key) })
      await a.ref('stolen').ask('Append', { item: 'before' })
      expect(a.keys).toEqual(['stolen'])
      // another holder writes the lease (as a node that took it after a partition would): a's renewal fails
      const kv = await new Kvm(c.buses[0]!.nc).open(`k${prefixes}_lease_${Buffer.from('ledger').toString('base64url')}`)
      const cur = await kv.get(encodeKey('stolen'))
      await kv.update(encodeKey('stolen'), encode({ node: 'node-b', holder: 'someone-else', until: Date.now() + 1000 }), cur!.revision)
      await eventually(() => a.keys.length === 0 && a.leases.lost === 1)
      await eventually(() => a.local.supervisor.child('ledger/stolen') === undefined)
      expect(a.local.passivations).toBe(0)
      expect(a.machine.is('ErrLease')).toBe(true) // the loss is reported on the set's machine
      expect(lost).toEqual(['stolen'])
      // the foreign lease expires; the next message places the key again, with the saved state
      expect(await b.ref('stolen').ask('Append', { item: 'after' }, { timeout: 4000 })).toEqual(['before', 'after'])
      expect(a.activations + b.activations).toBe(2)
    })

    it("with checkpoint 'passivation', a lost lease passivates the key, saving its changes for the next holder", async () => {
      c = await cluster()
      const a = await c.open(0, { checkpoint: 'passivation' })
      await a.ref('p').ask('Append', { item: 'unsaved-until-passivation' })
      expect(await c.store.get(a.local.storeKey('p'))).toBeUndefined() // not saved per message
      const kv = await new Kvm(c.buses[0]!.nc).open(`k${prefixes}_lease_${Buffer.from('ledger').toString('base64url')}`)
      await kv.delete(encodeKey('p')) // the lease vanishes (as after a partition longer than the TTL)
      await eventually(() => a.leases.lost === 1 && a.local.passivations === 1)
      await eventually(async () => (await c.store.get(a.local.storeKey('p'))) !== undefined) // the save ends the passivation
      const saved = await c.store.get(a.local.storeKey('p'))
      expect((saved?.value as { data: { items: string[] } }).data.items).toEqual(['unsaved-until-passivation'])
    })

    it('every node uses the lease TTL of the lease bucket the first node made', async () => {
      c = await cluster()
      const a = await c.open(0, { leaseTtl: 2000 })
      const b = await c.open(1, { leaseTtl: 500 })
      expect([a.leaseTtl, b.leaseTtl]).toEqual([2000, 2000])
    })

    it('a message routed to the holder carries its id and trace context (setClusterTracing) there', async () => {
      c = await cluster()
      const [a, b] = [await c.open(0), await c.open(1)]
      await a.ref('traced').ask('Append', { item: 'placed' })
      const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const received: ReceivedMessage[] = []
      setClusterTracing({ inject: () => ({ traceparent: tp }), receive: (m, handle) => { received.push(m); return handle() } })
      try {
        expect(await b.ref('traced').ask('Append', { item: 'traced' })).toEqual(['placed', 'traced'])
      } finally {
        setClusterTracing(null)
      }
      expect(received).toHaveLength(1)
      expect(received[0]).toMatchObject({ kind: 'ask', message: 'Append', trace: { traceparent: tp } })
    })

    it('a node closing hands its keys over: the other node takes them at once with their state', async () => {
      c = await cluster()
      const [a, b] = [await c.open(0), await c.open(1)]
      await Promise.all(['h1', 'h2', 'h3'].map((k) => a.ref(k).ask('Append', { item: k })))
      expect(a.keys.sort()).toEqual(['h1', 'h2', 'h3'])
      const inFlight = ['h1', 'h2', 'h3'].map((k) => b.ref(k).ask('Append', { item: `${k}-late` }))
      await a.close()
      expect(await Promise.all(inFlight)).toEqual([['h1', 'h1-late'], ['h2', 'h2-late'], ['h3', 'h3-late']])
      expect(b.keys.sort()).toEqual(['h1', 'h2', 'h3'])
    })
  })
})
