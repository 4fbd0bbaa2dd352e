import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  checksum, connect, encodeFrame, Msg, PROTOCOL_VERSION, schemaHash, schemaToWire, serve, toWire, type Message,
} from '../../lib/rpc/index.js'
import { Cleanup, newSource, RawPeer, rawServer, SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

/** A fake server speaking the protocol by hand: the test decides every byte it sends. */
async function fakeServer(): Promise<{ url: string; peer: Promise<RawPeer> }> {
  let give: (p: RawPeer) => void = () => undefined
  const peer = new Promise<RawPeer>((r) => (give = r))
  const srv = c.add(await rawServer((s: Socket) => give(RawPeer.wrap(s))))
  return { url: srv.url, peer }
}

const n = SourceSchema.names.length
const I = (name: (typeof SourceSchema.names)[number]): number => SourceSchema.names.indexOf(name)

describe('rpc clock sync', () => {
  it('applies diffs whose checksum matches; on a mismatch drops it and resyncs from a full CLOCK', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url)
    const peer = await fake.peer
    await peer.until((m) => m.length >= 1)
    const hello = peer.parsed()[0] as Extract<Message, { type: 1 }>
    expect(hello).toMatchObject({ type: Msg.Hello, version: PROTOCOL_VERSION, token: null, wantSchema: true })
    const time = new Array<number>(n).fill(0)
    peer.send({ type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: 'fake', sourceId: 'fake-src',
      schemaHash: schemaHash(SourceSchema), schema: schemaToWire(SourceSchema), time, queueTick: 1 })
    const remote = c.add(await remoteP)
    expect(remote.id).toBe('fake-src')

    // a good diff: Start → 1
    const t1 = time.slice()
    t1[I('Start')] = 1
    peer.send({ type: Msg.Diff, pairs: [I('Start'), 1], queueTick: 2, checksum: checksum(t1, 2) })
    await remote.when('Start')
    expect(remote.queueTick).toBe(2)

    // a bad diff (wrong checksum): not applied, SYNC requested, further diffs dropped until CLOCK
    const waiter = remote.when('Busy')
    peer.send({ type: Msg.Diff, pairs: [I('Ready'), 1], queueTick: 3, checksum: 12345 })
    await peer.until((m) => m.length >= 2)
    expect(peer.parsed()[1]).toEqual({ type: Msg.Sync })
    expect(remote.client.is('Resyncing')).toBe(true)
    expect(remote.is('Ready')).toBe(false)
    const t2 = t1.slice()
    t2[I('Job')] = 4
    peer.send({ type: Msg.Diff, pairs: [I('Job'), 4], queueTick: 3, checksum: checksum(t2, 3) })

    const full = t1.slice()
    full[I('Ready')] = 1
    full[I('Busy')] = 3
    peer.send({ type: Msg.Clock, time: full, queueTick: 9 })
    await waiter
    expect(remote.time()).toEqual(full)
    expect(remote.queueTick).toBe(9)
    expect(remote.resyncs).toBe(1)
    expect(remote.client.is('Resyncing')).toBe(false)

    // a diff for an index out of range is a mismatch too
    peer.send({ type: Msg.Diff, pairs: [n + 5, 1], queueTick: 9, checksum: 0 })
    await peer.until((m) => m.length >= 3)
    expect(peer.parsed()[2]).toEqual({ type: Msg.Sync })
    expect(remote.resyncs).toBe(2)
  })

  it('a malformed server message fails the client (ErrRpc, Disconnected) and rejects pending calls', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url, { timeout: 2000 })
    const peer = await fake.peer
    await peer.until((m) => m.length >= 1)
    peer.send({ type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: 'fake', sourceId: 'fake-src',
      schemaHash: schemaHash(SourceSchema), schema: schemaToWire(SourceSchema), time: new Array<number>(n).fill(0),
      queueTick: 1 })
    const remote = c.add(await remoteP)
    const call = remote.add('Start')
    peer.write(Buffer.from([0, 0, 0, 1, 0xc1])) // 0xc1: never used in msgpack
    await expect(call).rejects.toMatchObject({ code: 'ERR_RPC_OUTCOME_UNKNOWN' }) // it may have run
    expect(remote.client.is(['Disconnected', 'ErrRpc'])).toBe(true)
    expect(remote.client.err).toMatchObject({ code: 'ERR_RPC_PROTOCOL' })
  })

  it('rejects a transferred schema that does not match its hash, or a bad schema', async () => {
    for (const [hash, wire] of [
      ['0000000000000000', schemaToWire(SourceSchema)],
      ['x', [['A', 0, [7], [], [], []]]],
    ] as const) {
      const fake = await fakeServer()
      const remoteP = connect(fake.url).catch((e: unknown) => e)
      const peer = await fake.peer
      await peer.until((m) => m.length >= 1)
      peer.send({ type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: 'f', sourceId: 'f', schemaHash: hash,
        schema: wire as never, time: [], queueTick: 1 })
      expect(await remoteP).toMatchObject({ code: 'ERR_RPC_SCHEMA' })
    }
  })
})

describe('rpc keep-alive', () => {
  it('pings a quiet server and fails the link (ErrNetwork) when nothing comes back', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url, { keepAlive: 40 })
    const peer = await fake.peer
    await peer.until((m) => m.length >= 1)
    peer.send({ type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: 'fake', sourceId: 'fake-src',
      schemaHash: schemaHash(SourceSchema), schema: schemaToWire(SourceSchema), time: new Array<number>(n).fill(0),
      queueTick: 1 })
    const remote = c.add(await remoteP)
    // answer the first ping, then go silent
    await peer.until((m) => m.some((x) => (x as unknown[])[0] === Msg.Ping))
    const ping = peer.parsed().find((m) => m?.type === Msg.Ping) as { n: number }
    peer.send({ type: Msg.Pong, n: ping.n })
    const t0 = Date.now()
    await remote.client.when('ErrNetwork', { timeout: 2000 })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40)
    expect(remote.client.is('Disconnected')).toBe(true)
    expect(remote.client.err).toMatchObject({ code: 'ERR_RPC_NETWORK' })
    expect(String((remote.client.err as Error).message)).toContain('keep-alive')
  })

  it('a live server keeps the link up', async () => {
    const src = newSource()
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    const remote = c.add(await connect(server.url!, { keepAlive: 50 }))
    await new Promise((r) => setTimeout(r, 300))
    expect(remote.connected).toBe(true)
    expect(remote.client.is('Ready')).toBe(true)
  })
})

describe('rpc handshake framing', () => {
  it('a DIFF in the same TCP read as the WELCOME is applied, not lost or taken for a protocol error', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url)
    const peer = await fake.peer
    await peer.until((m) => m.length >= 1)
    const time = new Array<number>(n).fill(0)
    const t1 = time.slice()
    t1[I('Start')] = 1
    peer.write(Buffer.concat([
      encodeFrame(toWire({ type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: 'fake', sourceId: 'fake-src',
        schemaHash: schemaHash(SourceSchema), schema: schemaToWire(SourceSchema), time, queueTick: 1 })),
      encodeFrame(toWire({ type: Msg.Diff, pairs: [I('Start'), 1], queueTick: 2, checksum: checksum(t1, 2) })),
    ]))
    const remote = c.add(await remoteP)
    expect(remote.is('Start')).toBe(true)
    expect(remote.connected).toBe(true)
    expect(remote.resyncs).toBe(0)
  })
})
