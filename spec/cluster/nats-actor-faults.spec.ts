/**
 * Remote actors and NatsKvStore through real failures: a pool member's process killed with SIGKILL (the survivor
 * takes the work, an ask in flight on the dead one ends at its timeout instead of hanging), and the server killed
 * and restarted (actor subscriptions come back, the bucket's data survives and compare-and-set still works).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../lib/actor/index.js'
import { NatsBus, NatsKvStore } from '../../lib/cluster/index.js'
import { schema, TimeoutError } from '../../lib/machine/index.js'
import { eventually } from './contract.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { printed } from '../support/child.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const work = schema({ Work: { multi: true }, Hang: { multi: true } })

describe.skipIf(!hasNatsServer)('remote actors and NatsKvStore: faults', () => {
  let server: NatsServer
  let system: ActorSystem
  const buses: NatsBus[] = []
  const bus = async (id: string): Promise<NatsBus> => {
    const b = await NatsBus.connect({ servers: server.url, id, heartbeat: 200, presenceTtl: 1000 })
    buses.push(b)
    return b
  }
  beforeEach(async () => {
    server = await NatsServer.start()
    system = new ActorSystem({ id: 'faults' })
  })
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()))
    await system.shutdown({ timeout: 2000 })
    await server.stop()
  })

  it('a pool member killed with SIGKILL: the survivor serves every later ask; one in flight there times out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-actors-'))
    const file = join(dir, 'member.mts')
    writeFileSync(file, `
      import { ActorSystem } from ${JSON.stringify(join(root, 'lib/actor/index.ts'))}
      import { schema } from ${JSON.stringify(join(root, 'lib/machine/index.ts'))}
      import { NatsBus } from ${JSON.stringify(join(root, 'lib/cluster/index.ts'))}
      const work = schema({ Work: { multi: true }, Hang: { multi: true } })
      const bus = await NatsBus.connect({ servers: ${JSON.stringify(server.url)}, id: 'child' })
      const system = new ActorSystem({ id: 'child' })
      const ref = system.spawn(work, { WorkState: () => 'child', HangState: () => new Promise(() => {}) }, { id: 'w' })
      await bus.exposeActor('pool', ref)
      console.log('ready')
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await printed(child, 'ready')
      const a = await bus('parent')
      const local = system.spawn(work, { WorkState: () => 'parent', HangState: () => 'parent' }, { id: 'w' })
      await a.exposeActor('pool', local)
      const remote = a.actor<'Work' | 'Hang'>('pool', { timeout: 1500 })
      const answers = await Promise.all(Array.from({ length: 30 }, () => remote.ask('Work')))
      expect(new Set(answers)).toEqual(new Set(['child', 'parent']))
      // park asks on the child (its Hang never settles), then kill it
      const parked = Array.from({ length: 20 }, () => remote.ask('Hang').catch((e: unknown) => e))
      await new Promise((r) => setTimeout(r, 200))
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
      const settled = await Promise.all(parked)
      expect(settled.some((x) => x instanceof TimeoutError)).toBe(true) // those on the child: bounded, not lost forever
      expect(settled.every((x) => x === 'parent' || x instanceof TimeoutError)).toBe(true)
      // the server dropped the dead member: every later ask is served by the survivor
      await eventually(async () => (await Promise.all(Array.from({ length: 10 }, () => remote.ask('Work')))).every((x) => x === 'parent'))
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('after a server restart, exposed actors answer again and the KV bucket keeps its data and revisions', async () => {
    const a = await bus('node-a')
    const b = await bus('node-b')
    const ref = system.spawn(work, { WorkState: () => 'done', HangState: () => 'never' }, { id: 'svc' })
    await a.exposeActor('svc', ref)
    const store = await NatsKvStore.open(b, { bucket: 'state' })
    const rev = await store.put('k', { n: 1 }, { expected: 0 })
    expect(await b.actor<'Work'>('svc').ask('Work')).toBe('done')

    await server.restart()
    await Promise.all([a.connection.when('Connected', { timeout: 10_000 }), b.connection.when('Connected', { timeout: 10_000 })])
    // both buses race to re-subscribe: retry until the actor's subscription is back on the server
    await eventually(async () => (await b.actor<'Work'>('svc', { timeout: 1000 }).ask('Work').catch(() => null)) === 'done', 10_000)
    await eventually(async () => (await store.get('k').catch(() => undefined)) !== undefined, 10_000)
    expect(await store.get('k')).toEqual({ key: 'k', value: { n: 1 }, revision: rev })
    await expect(store.put('k', { n: 2 }, { expected: rev + 100 })).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT', actual: rev })
    expect(await store.put('k', { n: 2 }, { expected: rev })).toBeGreaterThan(rev)
    await store.close()
  })
})
