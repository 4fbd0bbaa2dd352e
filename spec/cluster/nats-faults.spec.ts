/**
 * What only a real NATS server shows: a source process killed with SIGKILL (its machines leave the listing, its
 * mirrors go Disconnected + ErrNetwork) and the server killed and restarted on the same port (the buses reconnect;
 * mirrors, listing and discovery work again; no JetStream consumers pile up).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Machine, Result } from '../../lib/machine/index.js'
import { NatsBus } from '../../lib/cluster/index.js'
import { eventually, ss } from './contract.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { printed } from '../support/child.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe.skipIf(!hasNatsServer)('NatsBus faults', () => {
  let server: NatsServer
  const buses: NatsBus[] = []
  const bus = async (id: string, extra: { keepAlive?: number } = {}): Promise<NatsBus> => {
    const b = await NatsBus.connect({ servers: server.url, id, heartbeat: 200, presenceTtl: 1000, ...extra })
    buses.push(b)
    return b
  }
  beforeEach(async () => { server = await NatsServer.start() })
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()))
    await server.stop()
  })

  it('a source process killed with SIGKILL leaves the listing and its mirror goes Disconnected + ErrNetwork', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-cluster-'))
    const file = join(dir, 'node.mts')
    writeFileSync(file, `
      import { Machine, schema } from ${JSON.stringify(join(root, 'lib/machine/index.ts'))}
      import { NatsBus } from ${JSON.stringify(join(root, 'lib/cluster/index.ts'))}
      const ss = schema({ Start: {}, Ready: { require: ['Start'] }, Job: { multi: true } })
      const bus = await NatsBus.connect({ servers: ${JSON.stringify(server.url)}, id: 'child', heartbeat: 200, presenceTtl: 1000 })
      await bus.expose(new Machine(ss, { id: 'victim' }), { tags: ['doomed'] })
      console.log('ready')
      setInterval(() => {}, 1000)
    `)
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await printed(child, 'ready')
      const b = await bus('parent', { keepAlive: 300 })
      expect((await b.list({ tag: 'doomed' })).map((i) => [i.id, i.node])).toEqual([['victim', 'child']])
      const remote = await b.machine('victim', { schema: ss })
      expect(await remote.add('Start')).toBe(Result.Executed)
      const quiet = await (await bus('quiet', { keepAlive: 60_000 })).machine('victim', { schema: ss }) // no pings
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
      await remote.client.when('Disconnected', { timeout: 5000 })
      await remote.client.when('ErrNetwork', { timeout: 2000 })
      // a mutation to a dead source fails at once (NATS no-responders), far before its 30 s deadline
      const t0 = Date.now()
      const err = await quiet.add('Job', undefined, { timeout: 30_000 }).catch((e: unknown) => e)
      expect(['ERR_RPC_OUTCOME_UNKNOWN', 'ERR_RPC_CLOSED']).toContain((err as { code?: string }).code)
      expect(Date.now() - t0).toBeLessThan(10_000)
      // ErrNetwork is set before the mirror goes Disconnected, so whoever the failure wakes sees why at once
      expect(quiet.client.is('ErrNetwork')).toBe(true)
      await quiet.client.when('Disconnected', { timeout: 2000 })
      await expect(remote.add('Job')).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
      await expect(b.machine('victim')).rejects.toMatchObject({ code: 'ERR_CLUSTER_NOT_FOUND' })
      await eventually(async () => (await b.list({ tag: 'doomed' })).length === 0, 8000)
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('after the server restarts on the same port the buses reconnect and mirrors, listing and discovery work', async () => {
    const a = await bus('node-a')
    const b = await bus('node-b', { keepAlive: 10_000 }) // the old session must outlive the outage
    const src = new Machine(ss, { id: 'survivor' })
    await a.expose(src, { tags: ['t'] })
    const remote = await b.machine('survivor', { schema: ss })
    expect(await remote.add('Start')).toBe(Result.Executed)

    await server.kill()
    await Promise.all([a.connection.when('Disconnected', { timeout: 5000 }), b.connection.when('Disconnected', { timeout: 5000 })])
    await server.restart()
    await Promise.all([a.connection.when('Connected', { timeout: 10_000 }), b.connection.when('Connected', { timeout: 10_000 })])
    expect(a.connection.tick('Reconnected')).toBeGreaterThan(0)
    expect(a.reconnects).toBe(1)

    // discovery: the source's bus answers again once its subscriptions are back on the server (both buses race to
    // re-subscribe, so this takes a moment after Connected); a new mirror works
    let fresh: Awaited<ReturnType<typeof b.machine<typeof ss>>> | null = null
    await eventually(async () => {
      fresh = await b.machine('survivor', { schema: ss }).catch(() => null)
      return fresh !== null
    })
    expect(fresh!.is('Start')).toBe(true)
    await fresh!.close()
    // the old mirror's session goes on: mutations and pushes both ways
    expect(await remote.add('Ready')).toBe(Result.Executed)
    expect(src.is('Ready')).toBe(true)
    const job = remote.whenTicks('Job', 1, { timeout: 5000 })
    src.add('Job')
    await job
    expect(remote.client.is('Ready')).toBe(true)
    // a machine exposed after the restart is listed
    await a.expose(new Machine(ss, { id: 'late' }), { tags: ['t'] })
    await eventually(async () => (await b.list({ tag: 't' })).map((i) => i.id).join() === 'late,survivor')

    // listing does not leave consumers behind on the presence stream
    for (let i = 0; i < 5; i++) await b.list()
    const jsm = await jetstreamManager(b.nc)
    await eventually(async () => (await jsm.streams.info('KV_pm_presence')).state.consumer_count === 0, 8000)
  })
})
