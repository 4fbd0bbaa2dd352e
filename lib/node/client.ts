/**
 * `NodeClient`: a client of a `NodeSupervisor` that holds a worker of its own. It asks the supervisor for one (an
 * idle worker is leased to it, forked if needed), connects to it directly (its own RPC connection over the
 * worker's IPC channel; `client.worker` is the mirror), delegates jobs as `WorkRequested` with args and receives
 * the results as payloads. When its worker dies the jobs in flight fail with `ERR_NODE_WORKER_LOST` and the next
 * `run()` asks for another worker.
 */
import type { MessagePort } from 'node:worker_threads'
import { InvalidArgumentError, Machine } from '../machine/index.js'
import { connect, type RemoteMachine } from '../rpc/index.js'
import { NodeClientSchema, type NodeClientStateNames } from './client.schema.js'
import { NodeError } from './errors.js'
import { JobChannel } from './jobs.js'
import { RemotePool, type RemoteClientOptions } from './remote-pool.js'
import type { Lease, TcpAddress } from './pool-worker.js'
import type { Exit } from './process.js'
import { checkRunOptions, Run, type RunOptions } from './runs.js'
import { WorkerSchema, type WorkerStateNames } from './worker.schema.js'

/** A worker granted to a client: how to connect to it and how to learn that it ended. */
export interface Granted {
  readonly workerId: string
  readonly pid: number | undefined
  readonly exited: Promise<Exit>
  /** Where to connect: a new port on the worker's channel (same process), or its TCP url and token. */
  dial(): Promise<{ target: MessagePort | string; token?: string }>
  /** (in the supervisor) Has the worker serve TCP, for a client in another process. */
  listen?(): Promise<TcpAddress>
}

/** What a client needs from its supervisor: in this process (`NodeSupervisor`) or over RPC (`RemotePool`). */
export interface ClientHost {
  readonly id: string
  lease(lease: Lease): Promise<Granted>
  release(lease: Lease): void
  /** The client is closed (a remote pool closes its connection to the supervisor). */
  detach?(lease: Lease): Promise<void>
}

let clients = 0

/** A client with a worker of its own; make it with `pool.client()`. */
export class NodeClient {
  /** The client's machine ({@link NodeClientSchema}). */
  readonly machine: Machine<NodeClientStateNames>
  #worker: RemoteMachine<WorkerStateNames> | null = null
  #jobs: JobChannel | null = null
  #workerId: string | null = null
  #pid: number | undefined = undefined
  #starting: Promise<JobChannel> | null = null
  readonly #lease: Lease

  /** @internal Made by `pool.client()`. */
  constructor(private readonly host: ClientHost, opts: { id?: string }) {
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('pool.client()', 'options', 'an options object', opts)
    const id = opts.id ?? `${host.id}-c${++clients}`
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('pool.client()', 'id', 'a non-empty string', id)
    this.machine = new Machine(NodeClientSchema, { id })
    this.#lease = { clientId: id, lost: (err) => this.#lostWorker(err) }
  }

  /**
   * A client of a pool served by another process (`pool.serve()`): it asks that supervisor for a worker over RPC and
   * talks to the worker directly over TCP; otherwise it is like `pool.client()`. Its worker dying fails the jobs in
   * flight with `ERR_NODE_WORKER_LOST` (with the exit code or signal); the next `run()` asks for another.
   *
   * ```ts
   * const client = NodeClient.connect(url, { token }) // from `await pool.serve()` in the other process
   * console.log(await client.run({ n: 30 }))
   * await client.close()
   * ```
   */
  static connect(url: string, opts: RemoteClientOptions = {}): NodeClient {
    const W = 'NodeClient.connect()'
    if (typeof url !== 'string' || !/^(tcp|ws):\/\//.test(url)) throw new InvalidArgumentError(W, 'url', 'a tcp:// or ws:// url', url)
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(W, 'options', 'an options object', opts)
    const { token, id, timeout = 5000 } = opts
    if (token !== undefined && typeof token !== 'string') throw new InvalidArgumentError(W, 'token', 'a string', token)
    if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 0x7fffffff) {
      throw new InvalidArgumentError(W, 'timeout', 'a number of ms > 0', timeout)
    }
    const host = new RemotePool(url, { timeout, ...(token !== undefined ? { token } : {}) })
    return new NodeClient(host, id !== undefined ? { id } : {})
  }

  get id(): string {
    return this.machine.id
  }

  /** The mirror of its worker's machine ({@link WorkerSchema}); null until it has one. */
  get worker(): RemoteMachine<WorkerStateNames> | null {
    return this.#worker
  }

  /** Its worker's id and pid; null without one. */
  get workerInfo(): { id: string; pid: number | undefined } | null {
    return this.#workerId === null ? null : { id: this.#workerId, pid: this.#pid }
  }

  /**
   * Asks the supervisor for a worker and connects to it; resolves once `WorkerReady` (at once if it has one).
   * Rejects with `NodeError` `ERR_NODE_POOL` / `ERR_NODE_CLOSED` when the supervisor refuses.
   */
  async start(): Promise<void> {
    await this.#channel()
  }

  /**
   * Runs one job on its worker (asking for one first if it has none); resolves with the result. Rejects with
   * `NodeError` `ERR_NODE_JOB` (the function threw), `ERR_NODE_WORKER_LOST` (the worker died: run it again to use
   * another), `ERR_NODE_CLOSED`; or `TimeoutError` / the signal's reason.
   *
   * ```ts
   * try {
   *   await client.run({ n: 1 })
   * } catch (err) {
   *   if (err instanceof NodeError && err.code === 'ERR_NODE_WORKER_LOST') await client.run({ n: 1 })
   * }
   * ```
   */
  run<T = unknown>(input: unknown, opts: RunOptions = {}): Promise<T> {
    try {
      checkRunOptions('client.run()', opts, false)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<T>((resolve, reject) => {
      const run = new Run(input, 0, resolve as (v: unknown) => void, reject, () => undefined)
      run.arm(opts, 'client.run()', this.id)
      if (run.done) return
      this.#channel().then((jobs) => {
        if (!run.done) jobs.send(input, (err, value) => run.settle(err, value))
      }, (err: unknown) => run.settle(err, undefined))
    })
  }

  /** Closes its connection and gives the worker back to the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.machine.is('Closed')) return
    this.machine.add('Closed')
    this.host.release(this.#lease)
    const w = this.#worker
    this.#drop(new NodeError('ERR_NODE_CLOSED', `client ${this.id} is closed`))
    await Promise.all([w?.close(), this.host.detach?.(this.#lease)])
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #channel(): Promise<JobChannel> {
    if (this.machine.is('Closed')) return Promise.reject(new NodeError('ERR_NODE_CLOSED', `client ${this.id} is closed`))
    if (this.#jobs !== null && this.#jobs.lost === null) return Promise.resolve(this.#jobs)
    this.#starting ??= this.#acquire().finally(() => {
      this.#starting = null
    })
    return this.#starting
  }

  async #acquire(): Promise<JobChannel> {
    this.machine.add(['Start', 'WorkerRequested'])
    let g: Granted
    try {
      g = await this.host.lease(this.#lease)
    } catch (err) {
      // closed while waiting: no supervisor error
      if (this.machine.not('Closed')) this.machine.addErrState('ErrSupervisor', err)
      throw err
    }
    let remote: RemoteMachine<WorkerStateNames>
    try {
      const { target, token } = await g.dial()
      remote = await connect(target, { schema: WorkerSchema, keepAlive: 0, id: this.id,
        ...(token !== undefined ? { token } : {}) })
    } catch (err) {
      this.host.release(this.#lease)
      const e = new NodeError('ERR_NODE_WORKER_LOST', `client ${this.id}: connecting to worker ${g.workerId} failed`,
        { workerId: g.workerId, cause: err })
      this.machine.addErrState('ErrWorker', e)
      throw e
    }
    if (this.machine.is('Closed')) {
      void remote.close()
      throw new NodeError('ERR_NODE_CLOSED', `client ${this.id} is closed`)
    }
    const jobs = new JobChannel(remote, g.workerId, g.pid, g.exited)
    jobs.onLost = (err) => this.#lostWorker(err)
    this.#worker = remote
    this.#jobs = jobs
    this.#workerId = g.workerId
    this.#pid = g.pid
    this.machine.add('WorkerReady', { workerId: g.workerId, pid: g.pid })
    return jobs
  }

  /** Its worker died (told by the supervisor or seen on the connection): fail the jobs, forget the worker. */
  #lostWorker(err: NodeError): void {
    if (this.#jobs === null || this.machine.is('Closed')) return
    const w = this.#worker
    this.#drop(err)
    void w?.close()
    this.host.release(this.#lease)
    this.machine.addErrState('ErrWorker', err)
  }

  #drop(err: NodeError): void {
    const jobs = this.#jobs
    this.#jobs = null
    this.#worker = null
    this.#workerId = null
    this.#pid = undefined
    jobs?.fail(err)
  }
}
