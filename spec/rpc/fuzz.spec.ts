import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Result } from '../../lib/index.js'
import {
  connect, encode, FrameReader, Msg, PROTOCOL_VERSION, serve, toWire, type RemoteMachine, type RpcServer,
} from '../../lib/rpc/index.js'
import { newSource, RawPeer, type SourceNames } from './support.js'

function framed(body: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + body.length)
  b.writeUInt32BE(body.length, 0)
  b.set(body, 4)
  return b
}

function safeEncode(v: unknown): Buffer {
  try {
    return encode(v)
  } catch {
    return Buffer.from([0xc0])
  }
}

const hello = framed(encode(toWire({ type: Msg.Hello, version: PROTOCOL_VERSION, clientId: 'fuzz', token: null,
  schemaHash: null, wantSchema: true })))

/** One hostile write: random bytes, random msgpack, message-shaped junk, truncated or oversized frames. */
const chunk: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ minLength: 1, maxLength: 48 }).map(framed),
  fc.anything({ maxDepth: 3 }).map((v) => framed(safeEncode(v))),
  fc.tuple(fc.nat(14), fc.array(fc.oneof(fc.nat(300), fc.string(), fc.constant(null), fc.array(fc.nat(20))), { maxLength: 6 }))
    .map(([t, rest]) => framed(encode([t, ...rest]))),
  fc.nat(64).map((n) => framed(Buffer.alloc(40, n)).subarray(0, 4 + (n % 40))), // truncated frame
  fc.constantFrom(0xffffffff, 0x7fffffff, 1024 * 1024 + 1, 0).map((len) => {
    const b = Buffer.alloc(8)
    b.writeUInt32BE(len, 0)
    return b
  }),
)

describe('rpc fuzz: hostile frames at the server', () => {
  let server: RpcServer
  let good: RemoteMachine<SourceNames>
  const src = newSource()
  const lines: string[] = []

  beforeAll(async () => {
    server = await serve(src, { url: 'tcp://127.0.0.1:0', handshakeTimeout: 200, logLevel: 1,
      logger: (_, l) => void lines.push(l) })
    good = await connect(server.url!, { schema: src.schema })
  })
  afterAll(async () => {
    await good.close()
    await server.close()
  })

  it('never affects the good client, the source or the server process', async () => {
    let n = 0
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.array(chunk, { minLength: 1, maxLength: 6 }), async (withHello, chunks) => {
      const peer = await RawPeer.open(server.url!)
      if (withHello) peer.write(hello)
      for (const ch of chunks) peer.write(ch)
      await peer.until(() => false, 15).catch(() => undefined)
      await peer.close()
      // the good client keeps working: a round trip, and its mirror equals the source
      expect(await good.toggle('Job')).toBe(Result.Executed)
      expect(good.time()).toEqual(src.time())
      expect(good.connected).toBe(true)
      n++
    }), { numRuns: 150 })
    expect(n).toBe(150)
    // every hostile connection is gone; only the good client remains
    const end = Date.now() + 2000
    while (server.clients !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    expect(server.clients).toBe(1)
    expect(server.machine.is('Ready')).toBe(true)
    expect(lines.some((l) => l.includes('ERR_RPC_PROTOCOL'))).toBe(true)
  })

  it('WebSocket: random binary and text messages never affect the good client', async () => {
    const wsServer = await serve(src, { url: 'ws://127.0.0.1:0/rpc', handshakeTimeout: 200, maxFrame: 4096 })
    try {
      const body: fc.Arbitrary<Buffer | string> = fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        fc.anything({ maxDepth: 3 }).map(safeEncode),
        fc.string({ maxLength: 30 }),
        fc.constant(Buffer.alloc(5000)), // over maxFrame
      )
      await fc.assert(fc.asyncProperty(fc.boolean(), fc.array(body, { minLength: 1, maxLength: 5 }), async (withHello, bodies) => {
        const ws = new WebSocket(wsServer.url!)
        ws.on('error', () => undefined)
        await new Promise((r) => ws.once('open', r))
        const closed = new Promise((r) => ws.once('close', r))
        if (withHello) ws.send(hello.subarray(4))
        for (const b of bodies) ws.send(b)
        await Promise.race([closed, new Promise((r) => setTimeout(r, 15))])
        ws.terminate()
        await closed
        expect(await good.toggle('Job')).toBe(Result.Executed)
        expect(good.time()).toEqual(src.time())
      }), { numRuns: 60 })
    } finally {
      await wsServer.close()
    }
    expect(wsServer.clients).toBe(0)
  })

  it('FrameReader reassembles any chunking of valid frames', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 30 }), { maxLength: 10 }),
      fc.array(fc.nat(50), { maxLength: 10 }), (bodies, cuts) => {
        const stream = Buffer.concat(bodies.map(framed))
        const r = new FrameReader(64)
        const out: Buffer[] = []
        let off = 0
        for (const c of cuts) {
          out.push(...r.push(stream.subarray(off, Math.min(stream.length, off + c))))
          off = Math.min(stream.length, off + c)
        }
        out.push(...r.push(stream.subarray(off)))
        expect(out.map((b) => [...b])).toEqual(bodies.map((b) => [...b]))
        expect(r.pending).toBe(0)
      }), { numRuns: 300 })
  })
})
