/**
 * `serve(machine, opts)`: exposes a machine to RPC clients over TCP and MessagePorts. The server observes the source
 * only through its public API (`transitions$`, `time()`, mutations) and pushes coalesced clock diffs to every
 * client.
 */
import type { MessagePort } from 'node:worker_threads'
import type { Subscription } from 'rxjs'
import { InvalidArgumentError, Machine, type LogFn, type LogLevel } from '../machine/index.js'
import { dropQueued } from '../machine/internals.js'
import { Access, type AccessOptions } from './access.js'
import { RpcError } from './errors.js'
import { safePlainData } from './wire-values.js'
import { rateLimitOf, type RateLimit } from './rate.js'
import { PortLink, type Link, type LinkOptions } from './link.js'
import { listen, type Listener } from './listeners.js'
import { linkOptionsOf, machineOptionsOf, numberOpt, readAll, stringOpt } from './options.js'
import { parseUrl } from './url.js'
import type { Hello, WireState } from './protocol.js'
import { hashWire, schemaToWire } from './schema-wire.js'
import { ServerSchema, type ServerStateNames } from './server.schema.js'
import { Session, type SessionHost } from './session.js'

/** Options of {@link serve}. */
export interface ServeOptions<S extends string = string> extends LinkOptions, AccessOptions<S> {
  /**
   * `tcp://host:port` or `ws://host:port/path` to listen on (port 0 = any free port). Without it, only
   * `accept(port)` serves clients.
   */
  url?: string
  /** Shared secret every client's `HELLO` must carry. */
  token?: string
  /** Milliseconds to coalesce a burst of source transitions into one diff (default 2); 0 pushes per transition. */
  pushInterval?: number
  /**
   * Per-client rate limit (off by default): a client may send `perSecond` messages a second on average, `burst` at
   * once; mutations and watches above it are refused with `ERR_RPC_RATE_LIMIT` (the source never sees them), other
   * messages dropped. The connection stays.
   */
  rateLimit?: RateLimit
  /** Milliseconds a new connection has to send `HELLO` (default 5000). */
  handshakeTimeout?: number
  /** Id of the server machine (default `rs-<source id>`). */
  id?: string
  logLevel?: LogLevel
  logger?: LogFn
}

/**
 * Serves `source` to RPC clients. Resolves once listening.
 *
 * ```ts
 * const server = await serve(source, { url: 'tcp://127.0.0.1:0', token: 'secret' })
 * const remote = await connect(server.url!, { token: 'secret' })
 * await server.close()
 * ```
 */
export async function serve<N extends string>(source: Machine<N>, opts: ServeOptions<N> = {}): Promise<RpcServer> {
  if (!(source instanceof Machine)) throw new InvalidArgumentError('serve()', 'machine', 'a Machine', source)
  const server = new RpcServer(source as unknown as Machine<string>, opts as ServeOptions)
  const url = readAll(opts, 'serve()', ['url']).url
  if (url !== undefined) await server.listen(url)
  server.machine.add('Ready')
  return server
}

/** A running RPC server; make it with {@link serve}. */
export class RpcServer implements SessionHost {
  /** The server's own machine ({@link ServerSchema}). */
  readonly machine: Machine<ServerStateNames>
  readonly wire: readonly WireState[]
  readonly hash: string
  readonly token: string | undefined
  readonly handshakeTimeout: number
  readonly pushInterval: number
  readonly exception: number
  readonly access: Access
  readonly rateLimit: { perSecond: number; burst: number } | null
  #listener: Listener | null = null
  readonly #sessions = new Set<Session>()
  readonly #linkOpts: LinkOptions
  readonly #sub: Subscription
  #timer: ReturnType<typeof setTimeout> | null = null
  #closing: Promise<void> | null = null

  constructor(readonly source: Machine<string>, options: ServeOptions) {
    const where = 'serve()'
    const opts = readAll(options, where, SERVE_KEYS)
    this.pushInterval = numberOpt(opts.pushInterval, 2, where, 'pushInterval')
    this.handshakeTimeout = numberOpt(opts.handshakeTimeout, 5000, where, 'handshakeTimeout', { min: 1 })
    this.token = stringOpt(opts.token, where, 'token')
    if (opts.url !== undefined) parseUrl(opts.url, where)
    this.#linkOpts = linkOptionsOf(opts, where)
    this.machine = new Machine(ServerSchema, machineOptionsOf(opts, where, `rs-${source.id}`))
    this.machine.add('Start')
    this.wire = schemaToWire(source.schema)
    this.hash = hashWire(this.wire)
    this.exception = source.names.indexOf('Exception')
    this.access = new Access(source.names, opts as AccessOptions, this.machine.id)
    this.rateLimit = rateLimitOf(opts.rateLimit)
    this.#sub = source.transitions$.subscribe((tx) => {
      this.#changed()
      for (const s of this.#sessions) s.transition(tx)
    })
  }

  get serverId(): string {
    return this.machine.id
  }

  /** The bound `tcp://host:port` or `ws://host:port/path` (port filled in); undefined without a listener. */
  get url(): string | undefined {
    return this.#listener?.url
  }

  /** Clients that completed the handshake and are still connected. */
  get clients(): number {
    let n = 0
    for (const s of this.#sessions) if (s.ready) n++
    return n
  }

  /** @internal Binds the listener (called by `serve`). */
  async listen(url: string): Promise<void> {
    try {
      this.#listener = await listen(url, this.#linkOpts, (l) => this.#accept(l),
        (err) => this.machine.addErrState('ErrNetwork', err))
    } catch (err) {
      this.machine.addErrState('ErrNetwork', err)
      this.#sub.unsubscribe()
      throw err
    }
    this.machine.add('Listening')
  }

  /**
   * Serves one client on a worker_threads `MessagePort` (the other end goes to `connect(port)`).
   *
   * ```ts
   * const { port1, port2 } = new MessageChannel()
   * server.accept(port1); worker.postMessage(port2, [port2])
   * ```
   */
  accept(port: MessagePort): void {
    if (this.#closing) throw new RpcError('ERR_RPC_CLOSED', `server ${this.serverId} is closed`)
    if (typeof port !== 'object' || port === null || typeof (port as Partial<MessagePort>).postMessage !== 'function') {
      throw new InvalidArgumentError('accept()', 'port', 'a MessagePort', port)
    }
    this.#accept(new PortLink(port, this.#linkOpts))
  }

  #accept(link: Link): Session | null {
    if (this.#closing) {
      link.bye('server closing')
      return null
    }
    const s = new Session(this, link)
    this.#sessions.add(s)
    return s
  }

  /** @internal A mux hands over a connection whose `HELLO` it read (and chose this server for). */
  adopt(link: Link, hello: Hello): void {
    this.#accept(link)?.receive(hello)
  }

  /**
   * Sends `data` (plain msgpack data, as args) named `name` to every connected client, or to the one with
   * `clientId`; returns how many it went to. Clients receive it on `remote.payloads$`.
   *
   * ```ts
   * source.bind({ ReportState: () => server.send('report', { rows: 3 }) })
   * ```
   */
  send(name: string, data: unknown, opts: { clientId?: string } = {}): number {
    if (typeof name !== 'string' || name.length > 4096) {
      throw new InvalidArgumentError('send()', 'name', 'a string of at most 4096 chars', name)
    }
    const why = safePlainData(data)
    if (why !== null) throw new InvalidArgumentError('send()', 'data', `plain data (${why})`, data)
    const to = stringOpt(readAll(opts, 'send()', ['clientId']).clientId, 'send()', 'opts.clientId')
    let n = 0
    for (const s of this.#sessions) if ((to === undefined || s.clientId === to) && s.payload(name, data ?? null)) n++
    return n
  }

  /** `whenArgs` watches held for clients (each released by a match, `UNWATCH`/`CANCEL`, or the client leaving). */
  get watches(): number {
    let n = 0
    for (const s of this.#sessions) n += s.watches
    return n
  }

  /** Clients' mutations waiting in the source's queue (a `CANCEL` drops them). */
  get queued(): number {
    let n = 0
    for (const s of this.#sessions) n += s.queued
    return n
  }

  log(line: string): void {
    this.machine.log(line)
  }

  dropQueued(queueTick: number): boolean {
    return dropQueued(this.source, queueTick)
  }

  ready(s: Session): void {
    this.machine.log(`client ${s.clientId} connected`)
    this.machine.add('ClientConnected', { clientId: s.clientId })
  }

  ended(s: Session, err: RpcError | null, wasReady: boolean): void {
    this.#sessions.delete(s)
    if (!wasReady && err === null) return
    const who = s.clientId === '' ? 'a connection' : `client ${s.clientId}`
    if (err && err.code !== 'ERR_RPC_CLOSED') {
      this.machine.log(`${who} closed: ${err.code} ${err.message}`)
      const state = err.code === 'ERR_RPC_AUTH' || err.code === 'ERR_RPC_VERSION' || err.code === 'ERR_RPC_SCHEMA'
        ? 'ErrAuth' : err.code === 'ERR_RPC_NETWORK' ? 'ErrNetwork' : 'ErrRpc'
      this.machine.addErrState(state, err, { clientId: s.clientId })
    } else {
      this.machine.log(`${who} disconnected`)
    }
    this.machine.add('ClientDisconnected', { clientId: s.clientId })
  }

  #changed(): void {
    if (this.pushInterval === 0) return this.#flush()
    if (this.#timer === null) this.#timer = setTimeout(() => this.#flush(), this.pushInterval)
  }

  #flush(): void {
    this.#timer = null
    if (this.#sessions.size === 0) return
    const time = this.source.time()
    const queueTick = this.source.queueTick
    for (const s of this.#sessions) s.push(time, queueTick)
  }

  /** Says bye to every client, stops listening and stops observing the source. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#sub.unsubscribe()
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const sessions = [...this.#sessions]
    for (const s of sessions) s.link.bye('server closing')
    await Promise.all([this.#listener?.close(), ...sessions.map((s) => s.link.done)])
    this.machine.add('Closed')
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Every option `serve()` reads. */
const SERVE_KEYS = ['url', 'token', 'pushInterval', 'rateLimit', 'handshakeTimeout', 'id', 'logLevel', 'logger', 'maxFrame',
  'maxBuffered', 'tls', 'authenticate', 'mutable', 'argsKeys'] as const satisfies readonly (keyof ServeOptions)[]
