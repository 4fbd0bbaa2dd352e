/**
 * The supervisor's record of one worker: its process, its connection (the supervisor's mirror of the worker's
 * machine and the jobs of `pool.run()` over it), who leases it, and its health.
 */
import { randomUUID } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import { safeString } from '../machine/internals.js'
import { connect, type RemoteMachine } from '../rpc/index.js'
import type { Granted } from './client.js'
import { howItEnded, NodeError } from './errors.js'
import { LaneJobs, type Jobs } from './lane.js'
import type { Exit, WorkerHandle } from './process.js'
import { WorkerSchema, type WorkerStateNames } from './worker.schema.js'

/** `spawning` (forked, not yet connected) → `ready` → `retiring` (draining) → `gone`. */
export type WorkerStatus = 'spawning' | 'ready' | 'retiring' | 'gone'

/** Where a worker serves TCP for clients in other processes, and the token they need. */
export interface TcpAddress {
  readonly url: string
  readonly token: string
}

/** A client waiting for a worker of its own. */
export interface LeaseWait {
  lease: Lease
  grant: (g: Granted) => void
  fail: (err: Error) => void
}

/** A client holding a worker for itself. */
export interface Lease {
  readonly clientId: string
  /** The worker died while leased. */
  lost(err: NodeError): void
}

/** What `pool.workers` shows of each worker. */
export interface WorkerInfo {
  readonly id: string
  /** Its process id (kind `'process'`). */
  readonly pid: number | undefined
  /** Its thread id (kind `'thread'`). */
  readonly threadId: number | undefined
  readonly status: WorkerStatus
  /** Jobs of `pool.run()` in flight on it. */
  readonly inFlight: number
  /** The id of the client leasing it, or null. */
  readonly leasedBy: string | null
}

export class PoolWorker {
  status: WorkerStatus = 'spawning'
  remote: RemoteMachine<WorkerStateNames> | null = null
  /** The jobs of `pool.run()` (the direct lane). */
  jobs: Jobs | null = null
  lease: Lease | null = null
  idleSince = Date.now()
  misses = 0
  checking = false
  /** Killed for missing health checks (its exit is reported as `ERR_NODE_HEALTH`). */
  unhealthy = false
  /** The supervisor asked it to end: its exit is not a failure. */
  expected = false
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  /** Its TCP address for clients in other processes, once asked (`listen()`). */
  #tcp: Promise<TcpAddress> | null = null
  /**
   * The token of its TCP server: one per worker, since the worker keeps serving with the token it was first given
   * (a listen that timed out here and is asked again must not hand clients a token the worker never heard of).
   */
  readonly #token = randomUUID()

  constructor(readonly id: string, readonly proc: WorkerHandle) {}

  get inFlight(): number {
    return this.jobs?.inFlight ?? 0
  }

  /** Ready, not leased, no job in flight. */
  get idle(): boolean {
    return this.status === 'ready' && this.lease === null && this.inFlight === 0
  }

  /**
   * The worker said `ready`: connects the supervisor's mirror and the job lane. Null when it is ready; else why not
   * (the process is then killed, and its exit is a spawn failure).
   */
  async connect(timeout: number): Promise<string | null> {
    if (this.status !== 'spawning') return 'not starting'
    try {
      const remote = await connect(this.proc.hub.open() as unknown as MessagePort,
        { schema: WorkerSchema, keepAlive: 0, id: `${this.id}-sup`, timeout })
      if (this.status !== 'spawning') {
        void remote.close()
        return 'ended meanwhile'
      }
      this.remote = remote
      this.jobs = new LaneJobs(this.proc.hub, this.id)
    } catch (err) {
      this.proc.kill()
      return safeString(err)
    }
    clearTimeout(this.timer)
    this.status = 'ready'
    this.idleSince = Date.now()
    return null
  }

  /**
   * One health check: a `Healthcheck` round trip through the worker's queue within `timeout` ms. `misses` failed
   * checks in a row kill it (after `onKill`); its exit is then reported as `ERR_NODE_HEALTH`.
   */
  check(timeout: number, misses: number, onKill: () => void): void {
    // once killed, it stays `ready` until its exit is seen: no second kill (on a slow host the exit can take a while)
    if (this.status !== 'ready' || this.checking || this.remote === null || this.unhealthy) return
    this.checking = true
    this.remote.add('Healthcheck', undefined, { timeout }).then(() => {
      this.misses = 0
    }, () => {
      if (this.status !== 'ready' || ++this.misses < misses) return
      this.unhealthy = true
      onKill()
      this.proc.kill()
    }).finally(() => {
      this.checking = false
    })
  }

  /** Asks it to finish its jobs (`Draining`) and exit; kills it after `timeout` ms (at once if not ready yet). */
  retire(timeout: number): void {
    const wasReady = this.status === 'ready' && this.remote !== null
    this.expected = true
    this.status = 'retiring'
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.proc.kill(), timeout)
    if (!wasReady) return this.proc.kill()
    // a rejection after the worker drained (its channel ended) is no failure; before, the worker cannot drain
    this.remote?.add('Draining').catch(() => {
      if (!this.proc.hub.ended) this.proc.kill()
    })
  }

  /**
   * Has the worker serve its machine over TCP on 127.0.0.1 (once), for a client in another process; resolves with
   * its url and the token to connect with. Rejects (`ERR_NODE_WORKER_LOST`) if it cannot within `timeout` ms.
   */
  listen(timeout: number): Promise<TcpAddress> {
    if (this.#tcp !== null) return this.#tcp
    const token = this.#token
    const tcp = new Promise<TcpAddress>((resolve, reject) => {
      const done = (url: string | null, why: string | null): void => {
        clearTimeout(timer)
        this.proc.onListening = () => undefined
        if (url !== null) resolve({ url, token })
        else reject(new NodeError('ERR_NODE_WORKER_LOST', `worker ${this.id} could not serve TCP: ${why ?? 'no reason'}`,
          { workerId: this.id, ...(this.proc.pid !== undefined ? { pid: this.proc.pid } : {}) }))
      }
      const timer = setTimeout(() => done(null, `no answer within ${timeout} ms`), timeout)
      this.proc.onListening = done
      void this.proc.exited.then(() => done(null, 'it exited'))
      if (!this.proc.hub.control({ pm: 'listen', t: token })) done(null, 'its channel is closed')
    })
    this.#tcp = tcp
    tcp.catch(() => {
      if (this.#tcp === tcp) this.#tcp = null
    })
    return tcp
  }

  /** Its client is done with it: it goes back to the pool. */
  release(): void {
    this.lease = null
    this.idleSince = Date.now()
  }

  /** Killed on purpose (the pool gave up): its exit is not a failure. */
  kill(): void {
    this.expected = true
    this.proc.kill()
  }

  info(): WorkerInfo {
    return { id: this.id, pid: this.proc.pid, threadId: this.proc.threadId, status: this.status, inFlight: this.inFlight,
      leasedBy: this.lease?.clientId ?? null }
  }
}

/**
 * What a worker's exit means: `lost` fails its jobs in flight (`ERR_NODE_WORKER_LOST`); `failure` is the worker's
 * error state when the exit was not asked for (`ERR_NODE_HEALTH` after a health kill, else `ERR_NODE_EXIT`).
 */
export function exitErrors(w: PoolWorker, exit: Exit, misses: number): {
  info: { workerId: string; pid?: number; exitCode: number | null; signal: NodeJS.Signals | null }
  lost: NodeError
  failure: NodeError
} {
  const pid = w.proc.pid
  const how = howItEnded(exit.exitCode, exit.signal)
  const info = { workerId: w.id, ...(pid !== undefined ? { pid } : {}), exitCode: exit.exitCode, signal: exit.signal }
  const who = `worker ${w.id} (${w.proc.label})`
  return {
    info,
    lost: new NodeError('ERR_NODE_WORKER_LOST', `${who} was lost: it exited with ${how}`, info),
    failure: w.unhealthy
      ? new NodeError('ERR_NODE_HEALTH', `${who} missed ${misses} health checks and was killed`, info)
      : new NodeError('ERR_NODE_EXIT', `${who} exited unexpectedly with ${how}`, info),
  }
}
