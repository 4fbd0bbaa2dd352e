/**
 * The direct job lane of `pool.run()`, supervisor side: a job is one IPC message down and one back, beside the RPC
 * connections on the same channel (in order with them). The worker still records each job as its `WorkRequested`
 * state with args; what the lane saves is the RPC request, reply and payload framing per job. `NodeClient`s use RPC
 * (`JobChannel`); both give the same results and errors.
 */
import { InvalidArgumentError } from '../machine/index.js'
import { safeGet, safeString } from '../machine/internals.js'
import { jobFailed, NodeError } from './errors.js'
import type { IpcHub, IpcJob } from './ipc.js'
import type { JobCallback } from './jobs.js'
import { plainProblem } from './plain.js'

/** What the pool needs of a worker's jobs, over the lane or over RPC. */
export interface Jobs {
  readonly inFlight: number
  readonly lost: NodeError | null
  send(input: unknown, cb: JobCallback): void
  fail(err: NodeError): void
}

/** What the lane and `JobChannel` share: the callbacks of the jobs in flight by number, and the loss. */
export abstract class PendingJobs implements Jobs {
  readonly #pending = new Map<number, JobCallback>()
  #next = 1
  #lost: NodeError | null = null

  /** Jobs sent and not settled. */
  get inFlight(): number {
    return this.#pending.size
  }

  /** The error of the lost worker or connection; null until then. */
  get lost(): NodeError | null {
    return this.#lost
  }

  abstract send(input: unknown, cb: JobCallback): void

  /** Fails every job in flight with `err`; later jobs fail at once with it. Idempotent. */
  fail(err: NodeError): void {
    if (this.#lost !== null) return
    this.#lost = err
    const cbs = [...this.#pending.values()]
    this.#pending.clear()
    for (const cb of cbs) cb(err, undefined)
  }

  /** Numbers a new job and keeps its callback. */
  protected track(cb: JobCallback): number {
    const job = this.#next++
    this.#pending.set(job, cb)
    return job
  }

  /** Whether `job` is in flight. */
  protected has(job: number): boolean {
    return this.#pending.has(job)
  }

  /** Calls `job`'s callback once; nothing if it already settled. */
  protected settle(job: number, err: Error | null, value: unknown): void {
    const cb = this.#pending.get(job)
    if (cb === undefined) return
    this.#pending.delete(job)
    cb(err, value)
  }
}

export class LaneJobs extends PendingJobs {
  constructor(private readonly hub: IpcHub, readonly workerId: string) {
    super()
    hub.onJob = (m) => this.#answer(m)
    hub.onSendError = (err, m) => this.#unsent(err, m)
  }

  send(input: unknown, cb: JobCallback): void {
    if (this.lost !== null) return cb(this.lost, undefined)
    const why = plainProblem(input)
    if (why !== null) return cb(new InvalidArgumentError('pool.run()', 'input', `plain data (${why})`, input), undefined)
    const j = this.track(cb)
    // a closed channel means the process is ending: its exit fails this job with the exit status
    this.hub.lane({ pm: 'job', j, i: input ?? null })
  }

  /** A job whose input the channel could not serialize fails alone (the worker never saw it). */
  #unsent(err: Error, m: unknown): void {
    const j = safeGet(m, 'j')
    if (safeGet(m, 'pm') !== 'job' || typeof j !== 'number') return
    this.settle(j, new NodeError('ERR_NODE_SEND', `job ${j}: its input could not be sent to worker ${this.workerId}: ` +
      safeString(err), { workerId: this.workerId, cause: err }), undefined)
  }

  #answer(m: IpcJob): void {
    if (m.pm === 'job') return
    if (m.pm === 'done') return this.settle(m.j, null, m.v)
    if (m.refused) {
      return this.settle(m.j, new NodeError('ERR_NODE_WORKER_LOST',
        `worker ${this.workerId} refused job ${m.j}: it is draining`, { workerId: this.workerId }), undefined)
    }
    this.settle(m.j, jobFailed(this.workerId, m.j, m.e), undefined)
  }
}
