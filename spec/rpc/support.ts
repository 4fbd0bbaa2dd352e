/**
 * Shared fixtures of the RPC specs: a source schema, a served source with its cleanup, and a raw TCP peer that
 * speaks frames directly (for fake servers and hostile clients).
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net'
import { MessageChannel } from 'node:worker_threads'
import { Machine, schema, type Schema, type StateNames } from '../../lib/index.js'
import {
  connect, decode, encodeFrame, FrameReader, parseMessage, serve, toWire,
  type ConnectOptions, type Message, type RemoteMachine, type RpcServer, type ServeOptions,
} from '../../lib/rpc/index.js'

/** The transports every mirror test runs on. */
export const TRANSPORTS = ['tcp', 'ws', 'port'] as const
export type Transport = (typeof TRANSPORTS)[number]

/** Serves `src` and connects one client over `transport` (MessagePort: a channel in this thread). */
export async function pair<S extends Schema<string>>(c: Cleanup, src: Machine<StateNames<S>>, transport: Transport,
  sopts: Omit<ServeOptions, 'url'> = {}, copts: ConnectOptions<S> = {}): Promise<{ server: RpcServer; remote: RemoteMachine<StateNames<S>> }> {
  const url = transport === 'tcp' ? 'tcp://127.0.0.1:0' : transport === 'ws' ? 'ws://127.0.0.1:0/rpc' : undefined
  const server = c.add(await serve(src as unknown as Machine<string>, { ...sopts, ...(url ? { url } : {}) }))
  if (transport !== 'port') return { server, remote: c.add(await connect<S>(server.url!, copts)) }
  const { port1, port2 } = new MessageChannel()
  server.accept(port1)
  return { server, remote: c.add(await connect<S>(port2, copts)) }
}

export const SourceSchema = schema({
  Start: {},
  Ready: { require: ['Start'] },
  Busy: { remove: ['Idle'] },
  Idle: { remove: ['Busy'] },
  Job: { multi: true },
  Err: { require: ['Exception'] },
})
export type SourceNames = (typeof SourceSchema.names)[number]

export function newSource(id = 'src'): Machine<SourceNames> {
  return new Machine(SourceSchema, { id })
}

/** Things to close after a test, in reverse order. */
export class Cleanup {
  readonly #fns: (() => unknown)[] = []
  add<T extends { close(): unknown }>(x: T): T {
    this.#fns.push(() => x.close())
    return x
  }
  defer(fn: () => unknown): void {
    this.#fns.push(fn)
  }
  async run(): Promise<void> {
    for (const fn of this.#fns.reverse()) await fn()
    this.#fns.length = 0
  }
}

/** A raw framed TCP client: send any bytes, read parsed messages. */
export class RawPeer {
  readonly messages: unknown[] = []
  closed = false
  readonly #reader = new FrameReader(16 * 1024 * 1024)
  #waiters: (() => void)[] = []

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.#reader.push(chunk)) this.messages.push(decode(f))
      this.#wake()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.closed = true
      this.#wake()
    })
  }

  static open(url: string): Promise<RawPeer> {
    const u = new URL(url)
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: u.hostname, port: Number(u.port) }, () => resolve(new RawPeer(s)))
      s.once('error', reject)
    })
  }

  static wrap(socket: Socket): RawPeer {
    return new RawPeer(socket)
  }

  send(m: Message): void {
    this.socket.write(encodeFrame(toWire(m)))
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  /** Waits until `pred` holds over the received messages or the socket closed (bounded by `ms`). */
  async until(pred: (msgs: unknown[]) => boolean, ms = 2000): Promise<void> {
    const end = Date.now() + ms
    while (!pred(this.messages) && !this.closed) {
      if (Date.now() > end) throw new Error(`RawPeer.until timed out; got ${JSON.stringify(this.messages)}`)
      await new Promise<void>((r) => {
        this.#waiters.push(r)
        setTimeout(r, 20)
      })
    }
  }

  parsed(): (Message | null)[] {
    return this.messages.map((m) => parseMessage(m))
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((r) => {
      this.socket.once('close', () => r())
      this.socket.destroy()
    })
  }

  #wake(): void {
    const ws = this.#waiters
    this.#waiters = []
    for (const w of ws) w()
  }
}

/** A TCP server on 127.0.0.1:0 handing each socket to `onSocket`; `url` once listening. */
export async function rawServer(onSocket: (s: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const srv: Server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    onSocket(s)
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const addr = srv.address() as { port: number }
  return {
    url: `tcp://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy()
      srv.close(() => r())
    }),
  }
}
