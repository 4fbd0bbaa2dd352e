/**
 * Shared by the rpc scenario and its heap child: the raw baselines (a bare msgpack echo over TCP, WebSocket and
 * MessagePort, with the same framing as polymachine/rpc but none of its code), a byte-counting TCP proxy, and the
 * heap child runner. Everything binds 127.0.0.1 on port 0.
 */
import { execFile } from 'node:child_process'
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { Packr } from 'msgpackr'
import { WebSocket, WebSocketServer } from 'ws'
import { schema } from '../../lib/machine/index.js'

/** The served schema: A is added and removed by the round trips, B and C toggled by the throughput runs. */
export const RPC_SCHEMA = schema({ A: {}, B: {}, C: {}, Job: { multi: true } })

export type Transport = 'tcp' | 'ws' | 'port'
export const TRANSPORTS: readonly Transport[] = ['tcp', 'ws', 'port']

/** msgpackr with the options lib/rpc/codec.ts uses (plain msgpack: no records, no extensions). */
export const packr = new Packr({
  useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false, mapsAsObjects: true,
  variableMapSize: true, encodeUndefinedAsNil: true, int64AsType: 'number',
})

/**
 * One message as an exact-size copy. A Buffer from msgpackr or `Buffer.from` is a view into a larger shared
 * ArrayBuffer, and postMessage clones the whole ArrayBuffer (an 8 KB pool slab: ~10× slower per message).
 */
export function bytes(msg: unknown): Uint8Array {
  return new Uint8Array(packr.pack(msg))
}

function frame(msg: unknown): Buffer {
  const body = packr.pack(msg)
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}

/** Splits a TCP byte stream on 4-byte big-endian lengths. */
function framer(onBody: (b: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0)
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    let off = 0
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off)
      if (buf.length - off - 4 < len) break
      onBody(buf.subarray(off + 4, off + 4 + len))
      off += 4 + len
    }
    buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off)
  }
}

/** A raw echo client: every message is decoded by the server, encoded again and sent back. */
export interface RawEcho {
  readonly transport: Transport
  /** One round trip; resolves with the decoded echo. */
  rt(msg: unknown): Promise<unknown>
  /** Sends `n` messages `[type, i, …]` without waiting, resolves when all `n` echoes arrived; returns how many carried their `i`. */
  pipeline(n: number, msg: (i: number) => unknown[]): Promise<number>
  /** Echoes received in total. */
  readonly received: number
  /** Closes client and server; resolves once both ends are released. */
  close(): Promise<void>
  /** Open connections on the server side (TCP / ws) or ports not yet closed. */
  open(): number
}

/** FIFO of pending replies, shared by the three transports. */
class Pending {
  readonly #q: Array<(v: unknown) => void> = []
  #head = 0
  received = 0
  push(resolve: (v: unknown) => void): void {
    this.#q.push(resolve)
  }
  deliver(bytes: Uint8Array): void {
    this.received++
    const r = this.#q[this.#head]
    if (!r) return
    this.#q[this.#head++] = undefined as unknown as (v: unknown) => void
    if (this.#head > 1024 && this.#head * 2 > this.#q.length) {
      this.#q.splice(0, this.#head)
      this.#head = 0
    }
    r(packr.unpack(bytes))
  }
}

function client(transport: Transport, send: (msg: unknown) => void, pending: Pending, close: () => Promise<void>,
  open: () => number): RawEcho {
  return {
    transport,
    rt: (msg) => new Promise((resolve) => {
      pending.push(resolve)
      send(msg)
    }),
    async pipeline(n, msg) {
      const all: Array<Promise<unknown>> = []
      for (let i = 0; i < n; i++) {
        const m = msg(i)
        all.push(new Promise((resolve) => pending.push(resolve)))
        send(m)
      }
      const got = await Promise.all(all)
      let same = 0
      for (let i = 0; i < n; i++) if ((got[i] as unknown[])[1] === i) same++
      return same
    },
    get received() {
      return pending.received
    },
    close,
    open,
  }
}

const closed = (s: Socket): Promise<void> => (s.destroyed && s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r())))

/** Raw TCP echo: 4-byte length prefix, msgpack body, Nagle off on both ends (as SocketLink does). */
export async function tcpEcho(): Promise<RawEcho> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.setNoDelay(true)
    s.on('data', framer((b) => s.write(frame(packr.unpack(b)))))
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const sock = netConnect({ host: '127.0.0.1', port })
  await new Promise<void>((r, j) => {
    sock.once('connect', r)
    sock.once('error', j)
  })
  sock.setNoDelay(true)
  const pending = new Pending()
  sock.on('data', framer((b) => pending.deliver(b)))
  return client('tcp', (m) => sock.write(frame(m)), pending, async () => {
    const ends = [closed(sock), ...[...sockets].map(closed)]
    sock.end()
    await Promise.all(ends)
    await new Promise<void>((r) => server.close(() => r()))
  }, () => sockets.size + (sock.closed ? 0 : 1))
}

/** Raw WebSocket echo (`ws`): one binary message per msgpack value, no compression (as WsLink / dial do). */
export async function wsEcho(): Promise<RawEcho> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/raw', perMessageDeflate: false })
  await new Promise<void>((r) => wss.once('listening', r))
  wss.on('connection', (ws) => {
    ws.binaryType = 'nodebuffer'
    ws.on('message', (data: Buffer) => ws.send(bytes(packr.unpack(data)), { binary: true }))
  })
  const port = (wss.address() as { port: number }).port
  const ws = new WebSocket(`ws://127.0.0.1:${port}/raw`, { perMessageDeflate: false })
  ws.binaryType = 'nodebuffer'
  await new Promise<void>((r, j) => {
    ws.once('open', () => r())
    ws.once('error', j)
  })
  const pending = new Pending()
  ws.on('message', (data: Buffer) => pending.deliver(data))
  return client('ws', (m) => ws.send(bytes(m), { binary: true }), pending, async () => {
    const done = new Promise<void>((r) => ws.once('close', () => r()))
    ws.close(1000)
    await done
    await new Promise<void>((r) => wss.close(() => r()))
  }, () => wss.clients.size + (ws.readyState === WebSocket.CLOSED ? 0 : 1))
}

/** Raw MessagePort echo: an in-process MessageChannel, one msgpack Uint8Array per postMessage (as PortLink does). */
export function portEcho(): Promise<RawEcho> {
  const { port1, port2 } = new MessageChannel()
  let open = 2
  for (const p of [port1, port2]) p.once('close', () => open--)
  port1.on('message', (data: Uint8Array) => port1.postMessage(bytes(packr.unpack(data))))
  const pending = new Pending()
  port2.on('message', (data: Uint8Array) => pending.deliver(data))
  return Promise.resolve(client('port', (m) => port2.postMessage(bytes(m)), pending, async () => {
    const done = new Promise<void>((r) => port2.once('close', () => r()))
    port2.close()
    port1.close()
    await done
  }, () => open))
}

export function rawEcho(t: Transport): Promise<RawEcho> {
  return t === 'tcp' ? tcpEcho() : t === 'ws' ? wsEcho() : portEcho()
}

/** A TCP proxy counting the bytes each way; `url` is what clients dial instead of `target`. */
export interface CountingProxy {
  readonly url: string
  /** Bytes client → server and server → client since the last reset. */
  readonly up: number
  readonly down: number
  reset(): void
  close(): Promise<void>
  open(): number
}

export async function countingProxy(targetPort: number): Promise<CountingProxy> {
  let up = 0
  let down = 0
  const sockets = new Set<Socket>()
  const track = (s: Socket): void => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
  }
  const server = createServer((c) => {
    track(c)
    c.setNoDelay(true)
    const s = netConnect({ host: '127.0.0.1', port: targetPort })
    track(s)
    s.setNoDelay(true)
    c.on('data', (b: Buffer) => {
      up += b.length
      s.write(b)
    })
    s.on('data', (b: Buffer) => {
      down += b.length
      c.write(b)
    })
    c.on('end', () => s.end())
    s.on('end', () => c.end())
    c.on('close', () => s.destroy())
    s.on('close', () => c.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    url: `tcp://127.0.0.1:${port}`,
    get up() {
      return up
    },
    get down() {
      return down
    },
    reset() {
      up = 0
      down = 0
    },
    async close() {
      await Promise.all([...sockets].map((s) => {
        const p = closed(s)
        s.destroy()
        return p
      }))
      await new Promise<void>((r) => server.close(() => r()))
    },
    open: () => sockets.size,
  }
}

/** What the heap child prints: retained bytes per connection and how many were live when measured. */
export interface RpcHeap {
  readonly bytes: number
  readonly live: number
  readonly count: number
}

/** `both`: server and its TCP clients in the child; `client`: the child's clients dial the parent's server. */
export type RpcHeapMode = 'both' | 'client'

const run = promisify(execFile)
const CHILD = fileURLToPath(new URL('./rpc-heap-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Retained heap per connected client, measured in a child process with --expose-gc. */
export async function rpcHeap(mode: RpcHeapMode, count: number, url = ''): Promise<RpcHeap> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, mode, String(count), url], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
    timeout: 120_000,
  })
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as RpcHeap
}

/** Resolves a MessagePort pair for one rpc client (the server end first). */
export function portPair(): { server: MessagePort; client: MessagePort } {
  const { port1, port2 } = new MessageChannel()
  return { server: port1, client: port2 }
}
