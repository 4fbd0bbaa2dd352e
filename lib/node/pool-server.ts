/**
 * A supervisor served over RPC (`pool.serve()`), so `NodeClient`s in other processes can ask it for workers. A
 * client adds `ClientRequested` (args `clientId`) on its mirror of the supervisor; the supervisor leases it a worker
 * as it would an in-process client, has the worker serve its own machine over TCP on 127.0.0.1, and sends the
 * address and a token to that client only (`WorkerGranted` payload). The client then talks to the worker directly.
 * A worker that dies is reported (`WorkerLost`); a client that disconnects from the supervisor gives its worker back.
 */
import { InvalidArgumentError, type Machine } from '../machine/index.js'
import { safeGet, safeString } from '../machine/internals.js'
import { serve, type RpcServer } from '../rpc/index.js'
import type { ClientHost } from './client.js'
import type { NodeError } from './errors.js'
import type { Lease } from './pool-worker.js'
import type { SupervisorStateNames } from './supervisor.schema.js'

/** Options of `pool.serve()`. */
export interface PoolServeOptions {
  /** Where to listen (default `tcp://127.0.0.1:0`: a free port on this host only). */
  url?: string
  /** The secret clients must give (default a random one, returned by `serve()`). */
  token?: string
}

/** Where a served pool is, and the token its clients need. */
export interface PoolAddress {
  readonly url: string
  readonly token: string
}

/** Checks `pool.serve()`'s options (read once each); throws `InvalidArgumentError`. */
export function checkServeOptions(opts: unknown): PoolServeOptions {
  const W = 'pool.serve()'
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(W, 'options', 'an options object', opts)
  const { url, token } = opts as PoolServeOptions
  if (url !== undefined && (typeof url !== 'string' || !/^(tcp|ws):\/\//.test(url))) {
    throw new InvalidArgumentError(W, 'url', 'a tcp:// or ws:// url', url)
  }
  if (token !== undefined && (typeof token !== 'string' || token === '')) {
    throw new InvalidArgumentError(W, 'token', 'a non-empty string', token)
  }
  return { ...(url !== undefined ? { url } : {}), ...(token !== undefined ? { token } : {}) }
}

export class PoolServer {
  readonly #leases = new Map<string, Lease>()
  readonly #unbind: () => void

  private constructor(readonly server: RpcServer, readonly address: PoolAddress,
    private readonly machine: Machine<SupervisorStateNames>, private readonly host: ClientHost) {
    const clientOf = (e: { args: Record<string, unknown> }): string | null => {
      const id = safeGet(e.args, 'clientId')
      return typeof id === 'string' && id !== '' ? id : null
    }
    const handlers = {
      ClientRequestedState: (e: { args: Record<string, unknown> }) => {
        const id = clientOf(e)
        if (id !== null) this.#request(id)
      },
      ClientReleasedState: (e: { args: Record<string, unknown> }) => {
        const id = clientOf(e)
        if (id !== null) this.#release(id)
      },
    }
    const bound = machine.bind(handlers)
    // a client that leaves (closed, crashed, its process killed) gives its worker back
    const serverHandlers = {
      ClientDisconnectedState: (e: { args: Record<string, unknown> }) => {
        const id = clientOf(e)
        if (id !== null) this.#release(id)
      },
    }
    const serverBound = server.machine.bind(serverHandlers)
    this.#unbind = () => {
      machine.unbind(bound)
      server.machine.unbind(serverBound)
    }
  }

  /** Serves `machine` (the supervisor's) to clients in other processes: they may only ask for and give back workers. */
  static async start(machine: Machine<SupervisorStateNames>, host: ClientHost, opts: PoolServeOptions,
    token: string): Promise<PoolServer> {
    const url = opts.url ?? 'tcp://127.0.0.1:0'
    const server = await serve(machine, { url, token, mutable: { allow: ['ClientRequested', 'ClientReleased'] } })
    return new PoolServer(server, { url: server.url ?? url, token }, machine, host)
  }

  /** Clients in other processes holding (or waiting for) a worker. */
  get leases(): number {
    return this.#leases.size
  }

  /** Gives every worker back and closes the server (its clients see the connection close). */
  async close(): Promise<void> {
    this.#unbind()
    for (const id of [...this.#leases.keys()]) this.#release(id)
    await this.server.close()
  }

  #send(name: string, data: Record<string, unknown>, clientId: string): void {
    try {
      this.server.send(name, data, { clientId })
    } catch (err) {
      this.machine.log(`pool server: sending ${name} to ${clientId} failed: ${safeString(err)}`)
    }
  }

  #request(clientId: string): void {
    this.#release(clientId) // asking again: the worker it had is gone, or it gave up waiting
    const lease: Lease = {
      clientId,
      lost: (err: NodeError) => {
        if (this.#leases.get(clientId) !== lease) return
        this.#leases.delete(clientId)
        this.#send('WorkerLost', { workerId: err.workerId ?? null, exitCode: err.exitCode ?? null,
          signal: err.signal ?? null, message: err.message }, clientId)
      },
    }
    this.#leases.set(clientId, lease)
    const mine = (): boolean => this.#leases.get(clientId) === lease
    void this.host.lease(lease).then(async (g) => {
      if (!mine()) return
      if (g.listen === undefined) throw new Error('this worker cannot serve TCP')
      const { url, token } = await g.listen()
      if (mine()) this.#send('WorkerGranted', { workerId: g.workerId, pid: g.pid ?? null, url, token }, clientId)
    }).catch((err: unknown) => {
      if (!mine()) return
      this.#release(clientId)
      const code = safeGet(err, 'code')
      this.#send('WorkerRefused', { code: typeof code === 'string' ? code : 'ERR_NODE_POOL', message: safeString(err) },
        clientId)
    })
  }

  #release(clientId: string): void {
    const lease = this.#leases.get(clientId)
    if (lease === undefined) return
    this.#leases.delete(clientId)
    this.host.release(lease)
  }
}
