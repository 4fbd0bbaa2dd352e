/**
 * The direct job lane of `pool.run()`, supervisor side: a job is one IPC message down and one back, beside the RPC
 * connections on the same channel (in order with them). The worker still records each job as its `WorkRequested`
 * state with args; what the lane saves is the RPC request, reply and payload framing per job. `NodeClient`s use RPC
 * (`JobChannel`); both give the same results and errors.
 */
import { InvalidArgumentError } from '../machine/index.js'
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

export class LaneJobs implements Jobs {
  readonly #pending = new Map<number, JobCallback>()
  #next = 1
  #lost: NodeError | null = null

  constructor(private readonly hub: IpcHub, readonly workerId: string) {
    hub.onJob = (m) => this.#answer(m)
  }

  get inFlight(): number {
    return this.#pending.size
  }

  get lost(): NodeError | null {
    return this.#lost
  }

  send(input: unknown, cb: JobCallback): void {
    if (this.#lost !== null) return cb(this.#lost, undefined)
    const why = plainProblem(input)
    if (why !== null) return cb(new InvalidArgumentError('pool.run()', 'input', `plain data (${why})`, input), undefined)
    const j = this.#next++
    this.#pending.set(j, cb)
    // a closed channel means the process is ending: its exit fails this job with the exit status
    this.hub.lane({ pm: 'job', j, i: input ?? null })
  }

  fail(err: NodeError): void {
    if (this.#lost !== null) return
    this.#lost = err
    const cbs = [...this.#pending.values()]
    this.#pending.clear()
    for (const cb of cbs) cb(err, undefined)
  }

  #answer(m: IpcJob): void {
    const cb = this.#pending.get(m.j)
    if (cb === undefined || m.pm === 'job') return
    this.#pending.delete(m.j)
    if (m.pm === 'done') return cb(null, m.v)
    if (m.refused) {
      return cb(new NodeError('ERR_NODE_WORKER_LOST', `worker ${this.workerId} refused job ${m.j}: it is draining`,
        { workerId: this.workerId }), undefined)
    }
    cb(jobFailed(this.workerId, m.j, m.e), undefined)
  }
}
