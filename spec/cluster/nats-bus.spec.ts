/**
 * NatsBus against a private nats-server (tools/nats-server.ts): the Bus contract with two connections, then
 * what only a real server shows: a source process killed with SIGKILL, and the server restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NatsBus } from '../../lib/cluster/index.js'
import { ActorSystem } from '../../lib/actor/index.js'
import { Machine, schema } from '../../lib/machine/index.js'
import { decode, encode } from '../../lib/rpc/index.js'
import { actorContract } from './actor-contract.js'
import { busContract, eventually, ss } from './contract.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'

let server: NatsServer
let prefixes = 0
const opts = (id: string, prefix: string) => ({ servers: server.url, id, prefix, heartbeat: 200, presenceTtl: 1000, keepAlive: 500 })

describe.skipIf(!hasNatsServer)('NatsBus', () => {
  beforeAll(async () => { server = await NatsServer.start() })
  afterAll(async () => { await server.stop() })

  busContract('NatsBus', async () => {
    const prefix = `c${++prefixes}` // a fresh subject space and bucket per test
    const a = await NatsBus.connect(opts('node-a', prefix))
    const b = await NatsBus.connect(opts('node-b', prefix))
    return { a, b, cleanup: async () => { await Promise.all([a.close(), b.close()]) } }
  })

  actorContract('NatsBus', async () => {
    const prefix = `ac${++prefixes}`
    const a = await NatsBus.connect(opts('node-a', prefix))
    const b = await NatsBus.connect(opts('node-b', prefix))
    return { a, b, cleanup: async () => { await Promise.all([a.close(), b.close()]) } }
  })

  it('a mirror whose connection died without a bye releases its session on the source', async () => {
    const a = await NatsBus.connect(opts('keep', 'dead-client'))
    const c = await NatsBus.connect(opts('dies', 'dead-client'))
    try {
      const exposed = await a.expose(new Machine(ss, { id: 'src' }))
      await c.machine('src', { schema: ss })
      expect(exposed.clients).toBe(1)
      await c.nc.close() // abrupt: the mirror never says bye
      await eventually(() => exposed.clients === 0, 5000)
    } finally {
      await Promise.all([a.close(), c.close()])
    }
  })

  it('a malformed actor request is answered with ERR_CLUSTER_PROTOCOL and the actor keeps serving', async () => {
    const a = await NatsBus.connect(opts('raw', 'raw'))
    const system = new ActorSystem({ id: 'raw' })
    try {
      const ref = system.spawn(schema({ Ping: { multi: true } }), { PingState: () => 'pong' }, { id: 'pinger' })
      await a.exposeActor('pinger', ref)
      const subject = `raw.a.${Buffer.from('pinger').toString('base64url')}`
      for (const body of [new Uint8Array([0xc1]), encode({ k: 'ask' }), encode('x')]) {
        const reply = decode((await a.nc.request(subject, body, { timeout: 2000 })).data)
        expect(reply).toMatchObject({ ok: false, c: 'ERR_CLUSTER_PROTOCOL' })
      }
      await expect(a.actor<'Ping'>('pinger').ask('Ping')).resolves.toBe('pong')
    } finally {
      await a.close()
      await system.shutdown({ timeout: 2000 })
    }
  })

  it('the connection is a machine: Connected, then Closed after close()', async () => {
    const bus = await NatsBus.connect(opts('conn', 'conn'))
    expect(bus.connection.is('Connected')).toBe(true)
    await bus.close()
    await bus.connection.when('Closed', { timeout: 5000 })
    expect(bus.connection.is('Connected')).toBe(false)
    await expect(bus.list()).rejects.toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
  })

  it('no server at the address: connect() rejects with ERR_CLUSTER_NETWORK', async () => {
    const dead = await NatsServer.start()
    const url = dead.url
    await dead.stop()
    await expect(NatsBus.connect({ servers: url, timeout: 2000 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_NETWORK' })
  })

  it('refuses bad options', async () => {
    await expect(NatsBus.connect({ servers: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(NatsBus.connect({ servers: server.url, prefix: 'a.b' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(NatsBus.connect({ servers: server.url, heartbeat: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })
})
