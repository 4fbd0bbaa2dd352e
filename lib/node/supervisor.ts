/**
 * `NodeSupervisor`: a pool of worker processes forked from one module. It keeps `min` workers ready and up to `max`
 * (scaling with the load, plus `warm` spares; idle extras are retired), health-checks them, replaces the ones that
 * die or hang (with the actor layer's backoff and restart intensity), treats a spawn failure as its own bounded
 * error, and hands work to them: `pool.run(input)` or a `NodeClient` holding a worker of its own.
 */
import { randomUUID } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import { InvalidArgumentError, Machine } from '../machine/index.js'
import { NodeClient, type ClientHost, type Granted } from './client.js'
import { howItEnded, NodeError } from './errors.js'
import { firstOf } from './first-of.js'
import { PoolFailures } from './pool-failures.js'
import type { LaneJobs } from './lane.js'
import { poolConfig, type NodeSupervisorOptions, type PoolConfig } from './options.js'
import { checkServeOptions, PoolServer, type PoolAddress, type PoolServeOptions } from './pool-server.js'
import { exitErrors, PoolWorker, type Lease, type LeaseWait, type WorkerInfo } from './pool-worker.js'
import { liveCount, pickWorker, showStatus, wantedSize } from './pool-size.js'
import { spawnError, WorkerProcess, type Exit, type WorkerHandle } from './process.js'
import { checkRunOptions, Run, RunQueue, type RunOptions } from './runs.js'
import { SupervisorSchema, type SupervisorStateNames } from './supervisor.schema.js'
import { WorkerThread } from './thread.js'

let pools = 0

/**
 * A supervisor of worker processes (a Machine: `pool.machine`, {@link SupervisorSchema}).
 *
 * ```ts
 * const pool = new NodeSupervisor({ entry: new URL('./worker.js', import.meta.url), min: 2, max: 4 })
 * await pool.start()
 * console.log(await pool.run({ n: 30 }))
 * await pool.close()
 * ```
 */
export class NodeSupervisor implements ClientHost {
  readonly machine: Machine<SupervisorStateNames>
  readonly #cfg: PoolConfig
  readonly #workers = new Map<string, PoolWorker>()
  readonly #queue = new RunQueue()
  readonly #leases: LeaseWait[] = []
  readonly #failures: PoolFailures
  #seq = 0
  #holdTimer: ReturnType<typeof setTimeout> | undefined = undefined
  #health: ReturnType<typeof setInterval> | undefined = undefined
  #idle: ReturnType<typeof setInterval> | undefined = undefined
  #failure: NodeError | null = null
  #closing: Promise<void> | null = null
  /** Started, not stopping, not failed: read on every run, so a field rather than three state checks. */
  #open = false
  #server: Promise<PoolServer> | null = null
  readonly #unqueue = (r: Run): void => this.#queue.remove(r)
  /** The pool's status as last applied to its states (`#status()`): bits ready ≥ min, spawning, available. */
  #lastStatus = -1

  constructor(opts: NodeSupervisorOptions) {
    this.#cfg = poolConfig(opts)
    this.#failures = new PoolFailures(this.#cfg)
    const id = opts.id ?? `node-${process.pid}-${++pools}`
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('new NodeSupervisor()', 'id', 'a non-empty string', id)
    this.machine = new Machine(SupervisorSchema, {
      id,
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    })
  }

  get id(): string {
    return this.machine.id
  }

  /** Every worker process the pool has now (spawning, ready or retiring). */
  get workers(): WorkerInfo[] {
    return [...this.#workers.values()].map((w) => w.info())
  }

  /** Runs waiting for a worker. */
  get queued(): number {
    return this.#queue.length
  }

  /**
   * Starts the pool; resolves once `min` workers are ready (`PoolReady`), rejects with the `ERR_NODE_POOL` error if
   * the pool gives up first (`ErrPool`) or with `ERR_NODE_CLOSED` after `close()`.
   */
  start(): Promise<void> {
    if (this.machine.not(['Start']) && this.machine.not('Stopped') && this.#closing === null) {
      this.machine.add(['Start', 'PoolStarting'])
      this.#open = this.machine.is('Start')
      const h = this.#cfg.health
      if (h.interval > 0) this.#health = setInterval(() => this.#checkHealth(), h.interval)
      this.#idle = setInterval(() => this.#retireIdle(), Math.max(20, Math.min(1000, this.#cfg.idleTimeout / 2)))
      this.#health?.unref()
      this.#idle.unref()
      this.#normalize()
    }
    return firstOf(this.machine, {
      PoolReady: () => null,
      ErrPool: () => this.#failure,
      Stopping: () => this.#closed(),
      Stopped: () => this.#closed(),
    })
  }

  /**
   * Runs one job on the least busy worker; resolves with what the worker's function returned. Rejects with
   * `NodeError`: `ERR_NODE_JOB` (the function threw), `ERR_NODE_WORKER_LOST` (its worker died; sent again to
   * another worker `retries` times first), `ERR_NODE_POOL`, `ERR_NODE_CLOSED`, `ERR_NODE_QUEUE_FULL`; or with
   * `TimeoutError` / the signal's reason. `input` must be plain data (`InvalidArgumentError` otherwise).
   *
   * ```ts
   * const squares = await Promise.all([1, 2, 3].map((n) => pool.run({ n }, { retries: 1 })))
   * ```
   */
  run<T = unknown>(input: unknown, opts: RunOptions = {}): Promise<T> {
    let retries: number
    try {
      retries = checkRunOptions('pool.run()', opts, true)
    } catch (err) {
      return Promise.reject(err)
    }
    if (!this.#active) return Promise.reject(this.#failure ?? this.#closed())
    if (this.#queue.length >= this.#cfg.maxQueue) {
      return Promise.reject(new NodeError('ERR_NODE_QUEUE_FULL', `pool ${this.id}: ${this.#queue.length} jobs are waiting`))
    }
    return new Promise<T>((resolve, reject) => {
      const run = new Run(input, retries, resolve as (v: unknown) => void, reject, this.#unqueue)
      this.#queue.push(run)
      run.arm(opts, 'pool.run()', this.id)
      this.#dispatch()
    })
  }

  /**
   * A client of this pool: it asks for a worker of its own and talks to it through a mirror (`client.worker`).
   *
   * ```ts
   * const client = pool.client()
   * await client.start()
   * await client.run({ n: 1 })
   * ```
   */
  client(opts: { id?: string } = {}): NodeClient {
    return new NodeClient(this, opts)
  }

  /**
   * Serves the pool over RPC (`Serving`; TCP on 127.0.0.1 and a random token by default), so clients in other
   * processes can ask it for workers: `NodeClient.connect(url, { token })`. Resolves with the url and token. Call it
   * after `start()` (later calls resolve with the same address); `close()` stops serving. Rejects with
   * `ERR_NODE_CLOSED` / `ERR_NODE_POOL` when the pool is not running, or with the RPC layer's error (port taken).
   */
  serve(opts: PoolServeOptions = {}): Promise<PoolAddress> {
    let checked: PoolServeOptions
    try {
      checked = checkServeOptions(opts)
    } catch (err) {
      return Promise.reject(err)
    }
    if (!this.#active) return Promise.reject(this.#failure ?? this.#closed())
    const server = this.#server ??= PoolServer.start(this.machine, this, checked, checked.token ?? randomUUID())
    server.catch(() => {
      if (this.#server === server) this.#server = null // e.g. the port is taken: a later call may try again
    })
    return server.then((s) => {
      if (this.#active && this.machine.not('Serving')) this.machine.add('Serving')
      return s.address
    })
  }

  /**
   * Stops the pool: queued runs and waiting clients are rejected (`ERR_NODE_CLOSED`), workers finish the jobs they
   * have within `timeout` ms (default `drainTimeout`) and exit; what is left is killed. Resolves when every worker
   * process has ended (`Stopped`). Idempotent.
   */
  close(opts: { timeout?: number } = {}): Promise<void> {
    const timeout = opts.timeout ?? this.#cfg.drainTimeout
    if (typeof timeout !== 'number' || !(timeout >= 0) || !Number.isFinite(timeout)) {
      throw new InvalidArgumentError('pool.close()', 'timeout', 'a finite number of ms ≥ 0', timeout)
    }
    this.#closing ??= this.#close(timeout)
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** @internal A client asks for a worker of its own. */
  lease(lease: Lease): Promise<Granted> {
    if (!this.#active) return Promise.reject(this.#failure ?? this.#closed())
    return new Promise((grant, fail) => {
      this.#leases.push({ lease, grant, fail })
      this.#dispatch()
    })
  }

  /** @internal A client gives up waiting (its `lease()` rejects with `ERR_NODE_CLOSED`), or is done with its worker. */
  release(lease: Lease): void {
    const i = this.#leases.findIndex((l) => l.lease === lease)
    if (i >= 0) {
      const [wait] = this.#leases.splice(i, 1)
      wait?.fail(new NodeError('ERR_NODE_CLOSED', `client ${lease.clientId} is closed`))
    }
    for (const w of this.#workers.values()) if (w.lease === lease) w.release()
    this.#dispatch()
  }

  get #active(): boolean {
    return this.#open
  }

  #closed(): NodeError {
    return new NodeError('ERR_NODE_CLOSED', `pool ${this.id} is ${this.machine.is('Start') ? 'closing' : 'not started or closed'}`)
  }

  #wanted(): number {
    return wantedSize(this.#workers.values(), this.#queue.length, this.#leases.length, this.#cfg)
  }

  /** Forks what is missing (unless a backoff holds), then updates the pool's states. */
  #normalize(): void {
    if (this.#active) {
      const missing = this.#wanted() - liveCount(this.#workers.values())
      const wait = this.#failures.holdUntil - Date.now()
      if (missing > 0 && wait > 0) {
        this.#holdTimer ??= setTimeout(() => {
          this.#holdTimer = undefined
          this.#normalize()
        }, wait)
      } else {
        for (let i = 0; i < missing; i++) this.#fork()
      }
    }
    this.#status()
  }

  #status(): void {
    if (this.#active) this.#lastStatus = showStatus(this.machine, this.#workers.values(), this.#cfg, this.#lastStatus)
  }

  #retireIdle(): void {
    if (!this.#active) return
    let live = liveCount(this.#workers.values())
    const wanted = this.#wanted()
    const now = Date.now()
    for (const w of this.#workers.values()) {
      if (live <= wanted) break
      if (w.idle && now - w.idleSince >= this.#cfg.idleTimeout) {
        this.#retire(w, 'idle', this.#cfg.drainTimeout)
        live--
      }
    }
    this.#status()
  }

  // --- work --------------------------------------------------------------------------------------------------

  /** Hands waiting clients idle workers, then queued runs the least busy ones; asks for more workers if short. */
  #dispatch(): void {
    while (this.#leases.length > 0) {
      const w = this.#pick(true)
      if (w === null) break
      this.#grant(w, this.#leases.shift() as LeaseWait)
    }
    while (this.#queue.length > 0) {
      const w = this.#pick(false)
      if (w === null) break
      this.#send(w, this.#queue.shift() as Run)
    }
    this.#normalize()
  }

  #pick(forLease: boolean): PoolWorker | null {
    return pickWorker(this.#workers.values(), forLease, this.#cfg.tasksPerWorker)
  }

  #send(w: PoolWorker, run: Run): void {
    run.attempts++
    ;(w.jobs as LaneJobs).send(run.input, (err, value) => {
      if (w.inFlight === 0) w.idleSince = Date.now()
      const lost = err instanceof NodeError && err.code === 'ERR_NODE_WORKER_LOST'
      if (lost && !run.done && run.attempts <= run.retries && this.#active) this.#queue.unshift(run)
      else run.settle(err, value)
      this.#dispatch()
    })
  }

  #grant(w: PoolWorker, wait: LeaseWait): void {
    w.lease = wait.lease
    wait.grant({ workerId: w.id, pid: w.proc.pid, exited: w.proc.exited, listen: () => w.listen(this.#cfg.spawnTimeout),
      dial: () => Promise.resolve({ target: w.proc.hub.open() as unknown as MessagePort }) })
  }

  // --- processes ---------------------------------------------------------------------------------------------

  #fork(): void {
    const id = `${this.id}-w${++this.#seq}`
    this.machine.add('ForkWorker', { workerId: id })
    let proc: WorkerHandle
    try {
      proc = this.#cfg.kind === 'thread' ? new WorkerThread(id, this.#cfg) : new WorkerProcess(id, this.#cfg)
    } catch (err) {
      this.#spawnFailed(id, spawnError(id, `${this.#cfg.kind === 'thread' ? 'new Worker()' : 'fork()'} threw: ${String(err)}`,
        undefined, err))
      return
    }
    const w = new PoolWorker(id, proc)
    this.#workers.set(id, w)
    w.timer = setTimeout(() => proc.kill(), this.#cfg.spawnTimeout) // its exit is a spawn failure
    proc.onReady = () => void this.#connect(w)
    proc.onDrained = () => proc.disconnect()
    proc.onExit = (exit) => this.#exited(w, exit)
  }

  async #connect(w: PoolWorker): Promise<void> {
    const why = await w.connect(this.#cfg.spawnTimeout)
    if (why !== null) {
      this.machine.log(`worker ${w.id}: connecting failed: ${why}`)
      return
    }
    this.#failures.spawned()
    this.machine.add('WorkerReady', { workerId: w.id, pid: w.proc.pid })
    if (!this.#active) this.#retire(w, 'closing', this.#cfg.drainTimeout)
    this.#dispatch()
  }

  #exited(w: PoolWorker, exit: Exit): void {
    const was = w.status
    w.status = 'gone'
    clearTimeout(w.timer)
    this.#workers.delete(w.id)
    const pid = w.proc.pid
    const { info, lost, failure } = exitErrors(w, exit, this.#cfg.health.misses)
    w.jobs?.fail(lost)
    void w.remote?.close()
    const lease = w.lease
    w.lease = null
    lease?.lost(lost)
    this.machine.add('WorkerGone', { ...info, expected: w.expected })
    if (w.expected) {
      // asked to end
    } else if (was === 'spawning') {
      this.#spawnFailed(w.id, spawnError(w.id, `it exited with ${howItEnded(exit.exitCode, exit.signal)} before it ` +
        'was ready', pid, undefined, w.proc.stderrTail))
    } else {
      const err = failure
      this.machine.log(err.message)
      this.machine.addErrState('ErrWorker', err, info)
      const fatal = this.#active ? this.#failures.workerFailed(this.id, err) : null
      if (fatal !== null) this.#giveUp(fatal)
    }
    this.#dispatch()
  }

  #spawnFailed(id: string, err: NodeError): void {
    this.machine.log(err.message)
    this.machine.addErrState('ErrSpawn', err, { workerId: id })
    if (!this.#active) return
    const fatal = this.#failures.spawnFailed(this.id, err)
    if (fatal !== null) this.#giveUp(fatal)
  }

  #giveUp(err: NodeError): void {
    this.#failure = err
    this.#open = false
    this.machine.log(err.message)
    this.machine.addErrState('ErrPool', err)
    this.#stopTimers()
    this.#rejectWaiting(err)
    for (const w of this.#workers.values()) w.kill()
  }

  #checkHealth(): void {
    if (!this.#active) return
    this.machine.add('Healthcheck')
    const { timeout, misses } = this.#cfg.health
    for (const w of this.#workers.values()) {
      w.check(timeout, misses, () => this.machine.add('KillWorker', { workerId: w.id, reason: 'health' }))
    }
  }

  /** Asks a worker to finish its jobs and exit; kills it after `timeout` ms. */
  #retire(w: PoolWorker, reason: string, timeout: number): void {
    if (w.status === 'gone' || w.status === 'retiring') return
    this.machine.add('KillWorker', { workerId: w.id, reason })
    w.retire(timeout)
  }

  #rejectWaiting(err: NodeError): void {
    for (const r of this.#queue.drain()) r.settle(err, undefined)
    for (const l of this.#leases.splice(0)) l.fail(err)
  }

  #stopTimers(): void {
    clearInterval(this.#health)
    clearInterval(this.#idle)
    clearTimeout(this.#holdTimer)
    this.#holdTimer = undefined
  }

  async #close(timeout: number): Promise<void> {
    const started = this.machine.is('Start')
    this.#open = false
    this.machine.add('Stopping')
    this.#stopTimers()
    this.#rejectWaiting(this.#closed())
    const workers = [...this.#workers.values()]
    for (const w of workers) this.#retire(w, 'closing', timeout)
    await Promise.all(workers.map((w) => w.proc.exited))
    await this.#server?.then((s) => s.close(), () => undefined)
    if (started || this.machine.is('Stopping')) this.machine.add('Stopped')
  }
}

