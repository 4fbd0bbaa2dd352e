import { afterEach, describe, expect, it } from 'vitest'
import { Machine, schema, type StateDef } from '../../lib/index.js'
import { Msg, PROTOCOL_VERSION, serve, connect } from '../../lib/rpc/index.js'
import { Cleanup, newSource, RawPeer, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const hello = { type: Msg.Hello, version: PROTOCOL_VERSION, clientId: 'raw', token: null, schemaHash: null,
  wantSchema: false } as const

describe('rpc server: one bad connection at a time', () => {
  it('answers a bad request with ERROR + id and keeps the connection', async () => {
    const src = newSource()
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    const peer = c.add(await RawPeer.open(server.url!))
    peer.send(hello)
    peer.send({ type: Msg.Mutate, id: 5, kind: 0, states: [999], args: null, error: null })
    peer.send({ type: Msg.Mutate, id: 6, kind: 1, states: [], args: null, error: null })
    peer.send({ type: Msg.Mutate, id: 7, kind: 0, states: [0], args: { x: 1 }, error: null })
    await peer.until((m) => m.length >= 4)
    const [, e5, e6, r7] = peer.parsed()
    expect(e5).toMatchObject({ type: Msg.Error, code: 'ERR_RPC_REQUEST', id: 5 })
    expect(e6).toMatchObject({ type: Msg.Error, code: 'ERR_RPC_REQUEST', id: 6 })
    expect(r7).toMatchObject({ type: Msg.Reply, id: 7, result: 0, pairs: [0, 1] })
    expect(src.is('Start')).toBe(true)
    expect(peer.closed).toBe(false)
  })

  it('closes an oversized frame at its length prefix (ERR_RPC_FRAME_TOO_LARGE), logs it, adds ErrRpc', async () => {
    const lines: string[] = []
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0', maxFrame: 64, logLevel: 1,
      logger: (_, l) => void lines.push(l) }))
    const good = c.add(await connect<typeof SourceSchema>(server.url!))
    const peer = c.add(await RawPeer.open(server.url!))
    peer.write(Buffer.from([0, 0, 0, 65]))
    await peer.until(() => false, 1000).catch(() => undefined)
    expect(peer.closed).toBe(true)
    expect(peer.parsed()[0]).toMatchObject({ type: Msg.Error, code: 'ERR_RPC_FRAME_TOO_LARGE' })
    await server.machine.when('ErrRpc')
    expect(lines.some((l) => /ERR_RPC_FRAME_TOO_LARGE/.test(l))).toBe(true)
    expect(await good.add('Start')).toBe(0)
  })

  it('closes a client that stops reading (ERR_RPC_SLOW_CONSUMER); the others go on', async () => {
    // 2000 states, all flipped per mutation: each diff is ~8 KB, so the kernel buffers fill after ~1000 mutations
    const names = Array.from({ length: 2000 }, (_, i) => `S${i}`)
    const src = new Machine(schema(Object.fromEntries(names.map((n) => [n, {}])) as Record<string, StateDef>))
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', pushInterval: 0, maxBuffered: 64 * 1024 }))
    const peer = c.add(await RawPeer.open(server.url!))
    peer.send(hello)
    await peer.until((m) => m.length >= 1)
    peer.socket.pause()
    let n = 0
    while (!server.machine.is('ErrRpc') && n < 20_000) {
      for (let i = 0; i < 100; i++) src.set(n++ % 2 === 0 ? names : [])
      await new Promise((r) => setTimeout(r, 1))
    }
    expect(server.machine.err).toMatchObject({ code: 'ERR_RPC_SLOW_CONSUMER' })
    const good = c.add(await connect(server.url!))
    src.set(names.slice(0, 3))
    await good.ping()
    await good.when(['S0', 'S1', 'S2'])
    expect(good.time()).toEqual(src.time())
  })
})
