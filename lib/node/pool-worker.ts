/**
 * The supervisor's record of one worker: its process, its connection (the supervisor's mirror of the worker's
 * machine and the jobs of `pool.run()` over it), who leases it, and its health.
 */
import type { RemoteMachine } from '../rpc/index.js'
import type { NodeError } from './errors.js'
import type { Jobs } from './lane.js'
import type { WorkerProcess } from './process.js'
import type { WorkerStateNames } from './worker.schema.js'

/** `spawning` (forked, not yet connected) → `ready` → `retiring` (draining) → `gone`. */
export type WorkerStatus = 'spawning' | 'ready' | 'retiring' | 'gone'

/** A client holding a worker for itself. */
export interface Lease {
  readonly clientId: string
  /** The worker died while leased. */
  lost(err: NodeError): void
}

/** What `pool.workers` shows of each worker. */
export interface WorkerInfo {
  readonly id: string
  readonly pid: number | undefined
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

  constructor(readonly id: string, readonly proc: WorkerProcess) {}

  get inFlight(): number {
    return this.jobs?.inFlight ?? 0
  }

  /** Ready, not leased, no job in flight. */
  get idle(): boolean {
    return this.status === 'ready' && this.lease === null && this.inFlight === 0
  }

  info(): WorkerInfo {
    return { id: this.id, pid: this.proc.pid, status: this.status, inFlight: this.inFlight,
      leasedBy: this.lease?.clientId ?? null }
  }
}
