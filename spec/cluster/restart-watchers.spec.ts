/**
 * The receptionist's watchers across nats-server restarts (the private server killed with SIGKILL and started again
 * on the same port and store, several times in a row): listings keep updating after each reconnection, no JetStream
 * consumer is left on the bucket's stream (the upstream failure modes: KV watchers that never resume, ephemeral
 * consumers piling up during reconnect storms), and no acknowledged registration or ask is lost.
 */
import { jetstreamManager } from '@nats-io/jetstream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActorSystem, serviceKey, type ActorEvent } from '../../lib/actor/index.js'
import { NatsBus } from '../../lib/cluster/index.js'
import { ClusterReceptionist, type ServiceRegistration } from '../../lib/cluster/receptionist.js'
import { schema } from '../../lib/machine/index.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { eventually } from './contract.js'

const counter = schema({ Add: { multi: true } })
class Counter {
  total = 0
  AddState(e: ActorEvent): number {
    this.total += e.args.n as number
    return this.total
  }
}
const Counters = serviceKey<typeof counter, Counter>('counters')

describe.skipIf(!hasNatsServer)('receptionist watchers across nats-server restarts', () => {
  let server: NatsServer
  const buses: NatsBus[] = []
  const receptionists: ClusterReceptionist[] = []
  const system = new ActorSystem()
  beforeEach(async () => { server = await NatsServer.start() })
  afterEach(async () => {
    await Promise.all(receptionists.splice(0).map((r) => r.close()))
    await Promise.all(buses.splice(0).map((b) => b.close()))
    await server.stop()
  })

  it('resumes after each restart, leaves no consumer behind and loses no acknowledged registration or ask', async () => {
    const node = async (id: string): Promise<[NatsBus, ClusterReceptionist]> => {
      const bus = await NatsBus.connect({ servers: server.url, id, heartbeat: 200, presenceTtl: 5000 })
      buses.push(bus)
      // a TTL longer than an outage: entries of live nodes must survive the restart
      const r = await ClusterReceptionist.open(bus, { heartbeat: 200, ttl: 5000 })
      receptionists.push(r)
      return [bus, r]
    }
    const [a, ra] = await node('node-a')
    const [b, rb] = await node('node-b')
    let listed: string[] = []
    let updates = 0
    const sub = rb.subscribe(Counters).subscribe((refs) => {
      listed = refs.map((r) => r.id)
      updates++
    })
    const actors = new Map<string, Counter>()
    const register = async (id: string): Promise<ServiceRegistration> => {
      const c = new Counter()
      actors.set(id, c)
      return ra.register(Counters, system.spawn(counter, c, { id }))
    }
    const first = await register('c0')
    await eventually(() => listed.join() === 'c0')
    const jsm = await jetstreamManager(b.nc)
    const consumers = async (): Promise<number> => (await jsm.consumers.list('KV_pm_receptionist').next()).length
    expect(await consumers()).toBe(0)

    const acked = new Map<string, number>() // actor id → sum of acknowledged Adds
    for (let round = 1; round <= 3; round++) {
      await server.restart()
      await eventually(() => a.reconnects >= round && b.reconnects >= round, 15_000)
      // an acknowledged registration made after the restart reaches the subscriber through the resumed watcher
      const before = updates
      await register(`c${round}`)
      await eventually(() => listed.includes(`c${round}`), 10_000)
      expect(updates).toBeGreaterThan(before)
      // every ref of the listing answers; each acknowledged ask is counted exactly once
      for (const ref of await rb.find(Counters)) {
        await eventually(async () => {
          try {
            const total = await ref.ask('Add', { n: 1 }, { timeout: 2000 })
            acked.set(ref.id, (acked.get(ref.id) ?? 0) + 1)
            return total === acked.get(ref.id)
          } catch {
            return false // a message sent while a bus was still re-subscribing: not acknowledged, asked again
          }
        }, 10_000)
      }
    }
    // an unregistration after the storm still reaches the subscriber
    await first.close()
    await eventually(() => listed.join() === 'c1,c2,c3', 10_000)
    expect((await rb.find(Counters)).map((r) => r.id)).toEqual(['c1', 'c2', 'c3'])
    for (const [id, c] of actors) expect(c.total).toBe(acked.get(id) ?? 0)
    expect(await consumers()).toBe(0)
    // nothing piled up on the presence bucket either (its listing reads subject counts, not consumers)
    expect((await jsm.consumers.list('KV_pm_presence').next()).length).toBe(0)
    sub.unsubscribe()
  }, 90_000)
})
