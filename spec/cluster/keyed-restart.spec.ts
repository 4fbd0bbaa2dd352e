/**
 * Cluster keyed actors through a nats-server restart (SIGKILL, then the same port and store dir): messages flowing
 * to keys placed on another node fail or wait during the outage, and once the server is back every acknowledged
 * message is in its key's saved state, once, in order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../lib/actor/index.js'
import { NatsBus, NatsKvStore } from '../../lib/cluster/index.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { ledgerOptions, type Ledger } from './fixtures/ledger.js'

describe.skipIf(!hasNatsServer)('cluster keyed actors: nats-server restarted', () => {
  let server: NatsServer
  const buses: NatsBus[] = []
  const systems: ActorSystem[] = []
  beforeEach(async () => { server = await NatsServer.start() })
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()))
    await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeout: 2000 })))
    await server.stop()
  })

  it('no acknowledged message is lost; the keys work again after the restart', async () => {
    const nodes: Ledger[] = []
    for (const id of ['node-a', 'node-b']) {
      const bus = await NatsBus.connect({ servers: server.url, id, prefix: 'kr', heartbeat: 200, presenceTtl: 1000 })
      buses.push(bus)
      const system = new ActorSystem({ id })
      systems.push(system)
      const store = await NatsKvStore.open(bus, { bucket: 'kr-state' })
      nodes.push(await bus.keyed('ledger', ledgerOptions(system, store, { timeout: 1500, leaseTtl: 1000 })) as Ledger)
    }
    const [a, b] = nodes as [Ledger, Ledger]
    const keys = ['r1', 'r2', 'r3']
    for (const k of keys) await a.ref(k).ask('Append', { item: `${k}-0` })
    const acked = new Map(keys.map((k) => [k, [`${k}-0`]]))
    let restarted = false
    let afterRestart = 0
    const senders = keys.map(async (k) => {
      for (let i = 1; afterRestart < 3 * keys.length && i < 500; i++) {
        try {
          await b.ref(k).ask('Append', { item: `${k}-${i}` })
          acked.get(k)!.push(`${k}-${i}`)
          if (restarted) afterRestart++
        } catch {
          await new Promise((r) => setTimeout(r, 50)) // not acknowledged: it may or may not be stored
        }
      }
    })
    await new Promise((r) => setTimeout(r, 300))
    await server.restart()
    restarted = true
    await Promise.all(senders)
    expect(afterRestart).toBeGreaterThanOrEqual(3 * keys.length)
    for (const k of keys) {
      const { items } = await a.ref(k).ask('Get')
      const mine = acked.get(k)!
      expect(items.filter((x) => mine.includes(x))).toEqual(mine)
      expect(new Set(items).size).toBe(items.length)
    }
  })

  it('a message for a new key sent while the server is down waits, and is delivered once it is back', async () => {
    const bus = await NatsBus.connect({ servers: server.url, id: 'lonely', prefix: 'kd', heartbeat: 200, presenceTtl: 1000 })
    buses.push(bus)
    const system = new ActorSystem({ id: 'lonely' })
    systems.push(system)
    const store = await NatsKvStore.open(bus, { bucket: 'kd-state' })
    const ledger = await bus.keyed('ledger', ledgerOptions(system, store, { timeout: 15_000, leaseTtl: 1000 })) as Ledger
    await server.kill()
    const asked = ledger.ref('during-outage').ask('Append', { item: 'x' })
    await new Promise((r) => setTimeout(r, 500))
    expect(ledger.buffered).toBe(1)
    await server.restart()
    expect(await asked).toEqual(['x'])
    expect(ledger.keys).toEqual(['during-outage'])
  })
})
