/**
 * `serveMux(opts)`: many machines on one address. The mux owns the listener and reads each connection's `HELLO`;
 * its `machine` field picks the server (by the source machine's id) the connection is handed to. Each machine keeps
 * its own server, with its own options (token, `authenticate`, access lists, push interval).
 */
import { InvalidArgumentError, Machine, type LogFn, type LogLevel } from '../machine/index.js'
import { RpcError } from './errors.js'
import type { Link, LinkOptions } from './link.js'
import { listen, type Listener } from './listeners.js'
import { MuxSchema, type MuxStateNames } from './mux.schema.js'
import { linkOptionsOf, machineOptionsOf, numberOpt, readAll } from './options.js'
import { Msg } from './protocol.js'
import { serve, type RpcServer, type ServeOptions } from './server.js'
import { parseUrl } from './url.js'

/** Options of {@link serveMux}. */
export interface MuxOptions extends LinkOptions {
  /** `tcp://`, `tls://`, `ws://…/path` or `wss://…/path` to listen on (port 0 = any free port). */
  url: string
  /** Milliseconds a new connection has to send `HELLO` (default 5000). */
  handshakeTimeout?: number
  /** Id of the mux machine (default `rmux-<random>`). */
  id?: string
  logLevel?: LogLevel
  logger?: LogFn
}

/**
 * Serves several machines on one address; clients choose one with `connect(url, { machine: id })`.
 *
 * ```ts
 * const mux = await serveMux({ url: 'tcp://127.0.0.1:0' })
 * await mux.serve(orders); await mux.serve(billing, { token: 's3cret' })
 * const remote = await connect(mux.url, { machine: 'billing', token: 's3cret' })
 * ```
 */
export async function serveMux(opts: MuxOptions): Promise<RpcMux> {
  const mux = new RpcMux(opts)
  await mux.listen()
  return mux
}

/** A running mux; make it with {@link serveMux}. */
export class RpcMux {
  /** The mux's own machine ({@link MuxSchema}). */
  readonly machine: Machine<MuxStateNames>
  readonly #servers = new Map<string, RpcServer>()
  readonly #url: string
  readonly #linkOpts: LinkOptions
  readonly #handshakeTimeout: number
  /** Connections whose `HELLO` has not arrived yet. */
  readonly #pending = new Set<Link>()
  #listener: Listener | null = null
  #closing: Promise<void> | null = null

  constructor(options: MuxOptions) {
    const where = 'serveMux()'
    const opts = readAll(options, where, ['url', 'handshakeTimeout', 'id', 'logLevel', 'logger', 'maxFrame', 'maxBuffered', 'tls'])
    if (opts.url === undefined) throw new InvalidArgumentError(where, 'url', 'a url', undefined)
    parseUrl(opts.url, where)
    this.#url = opts.url
    this.#handshakeTimeout = numberOpt(opts.handshakeTimeout, 5000, where, 'handshakeTimeout', { min: 1 })
    this.#linkOpts = linkOptionsOf(opts, where)
    this.machine = new Machine(MuxSchema, machineOptionsOf(opts, where, `rmux-${Math.random().toString(16).slice(2, 10)}`))
    this.machine.add('Start')
  }

  /** The bound address (port filled in). */
  get url(): string {
    return this.#listener?.url ?? this.#url
  }

  /** The ids of the machines served. */
  get ids(): string[] {
    return [...this.#servers.keys()]
  }

  /** @internal */
  async listen(): Promise<void> {
    this.#listener = await listen(this.#url, this.#linkOpts, (l) => this.#accept(l),
      (err) => this.machine.addErrState('ErrNetwork', err))
    this.machine.add(['Listening', 'Ready'])
  }

  /**
   * Serves `machine` under its id (a server without a url of its own; `opts` as for `serve()`). Throws
   * `InvalidArgumentError` when a machine with that id is already served.
   */
  async serve<N extends string>(machine: Machine<N>, opts: Omit<ServeOptions<N>, 'url'> = {}): Promise<RpcServer> {
    if (this.#closing) throw new RpcError('ERR_RPC_CLOSED', `mux ${this.machine.id} is closed`)
    if (!(machine instanceof Machine)) throw new InvalidArgumentError('mux.serve()', 'machine', 'a Machine', machine)
    if (this.#servers.has(machine.id)) {
      throw new InvalidArgumentError('mux.serve()', 'machine', `a machine whose id is not served yet (${machine.id} is)`, machine.id)
    }
    const { url: _ignored, ...rest } = opts as ServeOptions<N>
    const server = await serve(machine, rest)
    this.#servers.set(machine.id, server)
    this.machine.add('MachineAdded', { machine: machine.id })
    return server
  }

  /** Stops serving machine `id`: its server closes (bye to its clients). */
  async remove(id: string): Promise<void> {
    if (typeof id !== 'string') throw new InvalidArgumentError('mux.remove()', 'id', 'a machine id', id)
    const s = this.#servers.get(id)
    if (!s) return
    this.#servers.delete(id)
    this.machine.add('MachineRemoved', { machine: id })
    await s.close()
  }

  #accept(link: Link): void {
    if (this.#closing) return link.bye('server closing')
    const timer = setTimeout(() => link.fail(new RpcError('ERR_RPC_HANDSHAKE_TIMEOUT',
      `no HELLO within ${this.#handshakeTimeout} ms`)), this.#handshakeTimeout)
    timer.unref?.()
    this.#pending.add(link)
    link.onClose = (err) => {
      clearTimeout(timer)
      this.#pending.delete(link)
      if (err === null || err.code === 'ERR_RPC_CLOSED') return
      this.machine.log(`a connection closed before its HELLO was handed over: ${err.code} ${err.message}`)
      this.machine.addErrState(err.code === 'ERR_RPC_NETWORK' ? 'ErrNetwork' : 'ErrRpc', err)
    }
    link.onMessage = (m) => {
      if (m.type === Msg.Ping) return link.send({ type: Msg.Pong, n: m.n })
      if (m.type === Msg.Bye) return link.bye('bye')
      if (m.type !== Msg.Hello) throw new RpcError('ERR_RPC_PROTOCOL', `message type ${m.type} before HELLO`)
      clearTimeout(timer)
      this.#pending.delete(link)
      const id = m.machine ?? (this.#servers.size === 1 ? [...this.#servers.keys()][0] as string : null)
      const server = id === null ? undefined : this.#servers.get(id)
      if (!server) {
        const why = id === null ? `HELLO names no machine and ${this.#servers.size} are served` : `no machine '${id}' here`
        return link.fail(new RpcError('ERR_RPC_NO_MACHINE', `client ${m.clientId}: ${why}`))
      }
      this.machine.add('ClientRouted', { clientId: m.clientId, machine: id })
      server.adopt(link, m)
    }
  }

  /** Closes the listener and every server it made. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const pending = [...this.#pending]
      for (const l of pending) l.bye('server closing')
      await Promise.all(pending.map((l) => l.done))
      await Promise.all([this.#listener?.close(), ...[...this.#servers.values()].map((s) => s.close())])
      this.#servers.clear()
      this.machine.add('Closed')
    })()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
