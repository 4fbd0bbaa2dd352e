/**
 * The cluster receptionist over both buses: a local actor registered under a ServiceKey on one node is found and
 * asked from another; `subscribe` sees nodes join and leave; a stopped actor leaves the listing. Over NATS (a real
 * private nats-server): a node that dies without unregistering leaves the listing within the bucket TTL.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { firstValueFrom } from 'rxjs'
import { filter } from 'rxjs/operators'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActorSystem, serviceKey, type ActorEvent } from '../../lib/actor/index.js'
import { InProcessBus, NatsBus, type Bus } from '../../lib/cluster/index.js'
import { ClusterReceptionist, type ServiceRef } from '../../lib/cluster/receptionist.js'
import { schema } from '../../lib/machine/index.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { eventually } from './contract.js'
import { printed } from '../support/child.js'

const counter = schema({ Add: { multi: true }, Who: { multi: true } })
class Counter {
  total = 0
  constructor(readonly name: string) {}
  AddState(e: ActorEvent): number {
    this.total += e.args.n as number
    return this.total
  }
  WhoState(): string {
    return this.name
  }
}
const Counters = serviceKey<typeof counter, Counter>('counters')
const root = fileURLToPath(new URL('../..', import.meta.url))
const Other = serviceKey<typeof counter, Counter>('other')

interface Cluster {
  /** Two nodes' buses (may be one object) and receptionists made for them. */
  nodes: [Bus, Bus, Bus]
  open(bus: Bus, node: string): Promise<ClusterReceptionist>
  /** Makes node 3 disappear without unregistering (over NATS: its connection closes; in process: close). */
  kill(r: ClusterReceptionist, bus: Bus): Promise<void>
  cleanup(): Promise<void>
}

const names = (refs: readonly Pick<ServiceRef, 'node' | 'id'>[]): string[] => refs.map((r) => `${r.node}/${r.id}`)

function receptionistContract(name: string, setup: () => Promise<Cluster>): void {
  describe(`cluster receptionist: ${name}`, () => {
    let cl: Cluster
    const systems: ActorSystem[] = []
    const system = (): ActorSystem => {
      const s = new ActorSystem()
      systems.push(s)
      return s
    }
    beforeEach(async () => { cl = await setup() })
    afterEach(async () => {
      await cl.cleanup()
      await Promise.all(systems.splice(0).map((s) => s.shutdown()))
    })

    it('an actor registered on one node is found and asked from another', async () => {
      const [a, b] = cl.nodes
      const ra = await cl.open(a, 'node-a'); const rb = await cl.open(b, 'node-b')
      const sys = system()
      await ra.register(Counters, sys.spawn(counter, new Counter('c1'), { id: 'c1' }))
      await ra.register(Other, sys.spawn(counter, new Counter('o1'), { id: 'o1' }))
      const found = await rb.find(Counters)
      expect(names(found)).toEqual(['node-a/c1'])
      expect(await found[0]!.ask('Add', { n: 2 })).toBe(2)
      found[0]!.tell('Add', { n: 3 })
      await eventually(async () => (await found[0]!.ask('Add', { n: 0 })) === 5)
      expect(names(await rb.find(Other))).toEqual(['node-a/o1'])
      expect(await rb.find(serviceKey('nobody'))).toEqual([])
    })

    it('subscribe: the listing now, then nodes registering and unregistering', async () => {
      const [a, b, c] = cl.nodes
      const ra = await cl.open(a, 'node-a'); const rb = await cl.open(b, 'node-b'); const rc = await cl.open(c, 'node-c')
      const seen: string[][] = []
      const sub = rc.subscribe(Counters).subscribe((refs) => seen.push(names(refs)))
      const s1 = system(); const s2 = system()
      await eventually(() => seen.length >= 1)
      expect(seen[0]).toEqual([])
      const c1 = s1.spawn(counter, new Counter('c1'), { id: 'c1' })
      await ra.register(Counters, c1)
      await eventually(() => seen.at(-1)?.length === 1)
      const reg = await rb.register(Counters, s2.spawn(counter, new Counter('c2'), { id: 'c2' }))
      await eventually(() => seen.at(-1)?.length === 2)
      expect(seen.at(-1)).toEqual(['node-a/c1', 'node-b/c2'])
      // the refs in a listing answer
      const refs = await firstValueFrom(rc.subscribe(Counters).pipe(filter((r) => r.length === 2)))
      expect(await Promise.all(refs.map((r) => r.ask('Who')))).toEqual(['c1', 'c2'])
      await reg.close()
      await eventually(() => seen.at(-1)?.join() === 'node-a/c1')
      expect(await ra.unregister(Counters, c1)).toBe(true)
      expect(await ra.unregister(Counters, c1)).toBe(false)
      await eventually(() => seen.at(-1)?.length === 0)
      sub.unsubscribe()
    })

    it('an actor that stops leaves the listing; a node that goes away takes its registrations with it', async () => {
      const [a, b, c] = cl.nodes
      const ra = await cl.open(a, 'node-a'); const rb = await cl.open(b, 'node-b'); const rc = await cl.open(c, 'node-c')
      const s = system()
      const doomed = s.spawn(counter, new Counter('d'), { id: 'd' })
      await ra.register(Counters, doomed)
      await ra.register(Counters, s.spawn(counter, new Counter('k'), { id: 'k' }))
      await rc.register(Counters, s.spawn(counter, new Counter('far'), { id: 'far' }))
      let last: string[] = []
      const sub = rb.subscribe(Counters).subscribe((refs) => { last = names(refs) })
      await eventually(() => last.length === 3)
      await s.stop(doomed)
      await eventually(() => last.join() === 'node-a/k,node-c/far', 8000)
      await cl.kill(rc, c)
      await eventually(() => last.join() === 'node-a/k', 10_000)
      expect(names(await rb.find(Counters))).toEqual(['node-a/k'])
      sub.unsubscribe()
    })

    it('checks its arguments and refuses calls once closed; close completes subscriptions', async () => {
      const [a] = cl.nodes
      const r = await cl.open(a, 'node-a')
      const s = system()
      const ref = s.spawn(counter, new Counter('x'), { id: 'x' })
      await expect(r.register({} as never, ref)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(r.register(Counters, {} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(ClusterReceptionist.open(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(ClusterReceptionist.open(a, { heartbeat: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(ClusterReceptionist.open(a, { heartbeat: 500, ttl: 500 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
      await expect(ClusterReceptionist.open(a, { onError: 'log' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      expect(r.registryErrors).toBe(0)
      await r.register(Counters, ref)
      await expect(r.register(Counters, ref)).rejects.toMatchObject({ code: 'ERR_CLUSTER_EXPOSED' })
      let completed = false
      r.subscribe(Counters).subscribe({ complete: () => { completed = true } })
      await r.close()
      expect(completed).toBe(true)
      expect(() => r.subscribe(Counters)).toThrow(expect.objectContaining({ code: 'ERR_CLUSTER_CLOSED' }))
      await expect(r.find(Counters)).rejects.toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
      await r.close() // idempotent
    })
  })
}

receptionistContract('InProcessBus', async () => {
  const bus = new InProcessBus()
  const opened: ClusterReceptionist[] = []
  return {
    nodes: [bus, bus, bus],
    open: async (b, node) => {
      const r = await ClusterReceptionist.open(b, { node, heartbeat: 50 })
      opened.push(r)
      return r
    },
    kill: (r) => r.close(),
    cleanup: async () => {
      await Promise.all(opened.map((r) => r.close()))
      await bus.close()
    },
  }
})

describe.skipIf(!hasNatsServer)('over NATS', () => {
  let server: NatsServer
  beforeEach(async () => { server = await NatsServer.start() })
  afterEach(async () => { await server.stop() })

  receptionistContract('NatsBus', async () => {
    const buses = await Promise.all(['a', 'b', 'c'].map((id) =>
      NatsBus.connect({ servers: server.url, id: `bus-${id}`, heartbeat: 200, presenceTtl: 1000 })))
    const opened: ClusterReceptionist[] = []
    return {
      nodes: buses as [NatsBus, NatsBus, NatsBus],
      open: async (b, node) => {
        const r = await ClusterReceptionist.open(b, { node, heartbeat: 200, ttl: 1000 })
        opened.push(r)
        return r
      },
      // the node's connection goes away without a word: its entries stop being refreshed and expire
      kill: (_r, b) => b.close(),
      cleanup: async () => {
        await Promise.all(opened.map((r) => r.close()))
        await Promise.all(buses.map((b) => b.close()))
      },
    }
  })

  it('failed refreshes of the bucket reach onError and registryErrors (a throwing onError is ignored)', async () => {
    const bus = await NatsBus.connect({ servers: server.url, id: 'lonely', heartbeat: 200, presenceTtl: 1000 })
    const seen: unknown[] = []
    const r = await ClusterReceptionist.open(bus, {
      heartbeat: 200, ttl: 1000, onError: (err) => { seen.push(err); throw new Error('the reporter fails too') },
    })
    const sys = new ActorSystem()
    try {
      await r.register(Counters, sys.spawn(counter, new Counter('y'), { id: 'y' }))
      expect(r.registryErrors).toBe(0)
      await server.kill() // the heartbeat's puts now fail (after the client's request timeout)
      await eventually(() => r.registryErrors > 0, 20_000)
      expect(seen.length).toBe(r.registryErrors)
      expect(seen[0]).toBeInstanceOf(Error)
    } finally {
      await server.restart()
      await r.close()
      await bus.close()
      await sys.shutdown()
    }
  }, 40_000)

  it('a node process killed with SIGKILL leaves the listing; asks to its refs fail at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-receptionist-'))
    const file = join(dir, 'node.mts')
    writeFileSync(file, `
      import { ActorSystem, serviceKey } from ${JSON.stringify(join(root, 'lib/actor/index.ts'))}
      import { NatsBus } from ${JSON.stringify(join(root, 'lib/cluster/index.ts'))}
      import { ClusterReceptionist } from ${JSON.stringify(join(root, 'lib/cluster/receptionist.ts'))}
      import { schema } from ${JSON.stringify(join(root, 'lib/machine/index.ts'))}
      const counter = schema({ Add: { multi: true }, Who: { multi: true } })
      const bus = await NatsBus.connect({ servers: ${JSON.stringify(server.url)}, id: 'victim-node', heartbeat: 200, presenceTtl: 1000 })
      const r = await ClusterReceptionist.open(bus, { heartbeat: 200, ttl: 1000 })
      const system = new ActorSystem()
      await r.register(serviceKey('counters'), system.spawn(counter, { WhoState: () => 'far away' }, { id: 'far' }))
      console.log('ready')
      setInterval(() => {}, 1000)
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    const bus = await NatsBus.connect({ servers: server.url, id: 'watcher', heartbeat: 200, presenceTtl: 1000 })
    const r = await ClusterReceptionist.open(bus, { heartbeat: 200, ttl: 1000 })
    try {
      await printed(child, 'ready')
      let last: readonly ServiceRef<'Add' | 'Who', Counter>[] = []
      const sub = r.subscribe(Counters).subscribe((refs) => { last = refs })
      await eventually(() => last.length === 1)
      const [far] = last
      expect([far!.node, far!.id, await far!.ask('Who')]).toEqual(['victim-node', 'far', 'far away'])
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
      await expect(far!.ask('Who', undefined, { timeout: 30_000 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_NOT_FOUND' })
      await eventually(() => last.length === 0, 10_000)
      expect(await r.find(Counters)).toEqual([])
      sub.unsubscribe()
    } finally {
      child.kill('SIGKILL')
      await r.close()
      await bus.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
