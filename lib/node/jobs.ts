/**
 * Jobs over one RPC connection to a worker: each is a `WorkRequested` mutation with args `{ job, input, client }`,
 * and its result comes back as a `WorkReady` / `ErrWork` payload to this connection. When the connection is lost
 * every job in flight fails with `ERR_NODE_WORKER_LOST` (with the exit code or signal once the process ended).
 */
import type { Subscription } from 'rxjs'
import { Result } from '../machine/index.js'
import { MAX_DELAY, onActivity, safeGet } from '../machine/internals.js'
import type { RemoteMachine } from '../rpc/index.js'
import { howItEnded, jobFailed, NodeError } from './errors.js'
import { PendingJobs } from './lane.js'
import type { Exit } from './process.js'
import type { WorkerStateNames } from './worker.schema.js'

/** Called once per job: an error, or null and the result. */
export type JobCallback = (err: Error | null, value: unknown) => void

/** How long a lost connection waits for the process's exit status, to put it in the error. */
const EXIT_GRACE = 300

export class JobChannel extends PendingJobs {
  readonly #sub: Subscription
  readonly #stopWatch: () => void
  /** Called once when the connection is lost, after the jobs in flight were failed. */
  onLost: (err: NodeError) => void = () => undefined

  constructor(
    readonly remote: RemoteMachine<WorkerStateNames>,
    readonly workerId: string,
    readonly pid: number | undefined,
    private readonly exited: Promise<Exit>,
  ) {
    super()
    this.#sub = remote.payloads$.subscribe(({ name, data }) => this.#payload(name, data))
    this.#stopWatch = onActivity(remote.client, 'Disconnected', (down) => {
      if (down) this.#connectionLost()
    })
  }

  /** Sends one job; `cb` is called exactly once. Input that is not plain data fails at once (`ERR_INVALID_ARG`). */
  send(input: unknown, cb: JobCallback): void {
    if (this.lost !== null) return cb(this.lost, undefined)
    const job = this.track(cb)
    let reply: Promise<Result>
    try {
      // no deadline on the reply: a worker busy with a long synchronous job answers late, not never (health
      // checks and the connection's loss bound it)
      reply = this.remote.add('WorkRequested', { job, input: input ?? null, client: this.remote.client.id },
        { timeout: MAX_DELAY })
    } catch (err) {
      this.settle(job, err as Error, undefined)
      return
    }
    reply.then((r) => {
      if (r === Result.Canceled) {
        this.settle(job, new NodeError('ERR_NODE_WORKER_LOST',
          `worker ${this.workerId} refused job ${job}: it is draining`, this.#info()), undefined)
      }
    }, (err: unknown) => {
      // a closed connection is reported by #connectionLost, with the exit status
      if (!this.remote.connected) return
      this.settle(job, err instanceof Error ? err : new Error(String(err)), undefined)
    })
  }

  /** Fails every job in flight with `err` and stops listening (the owner closes the mirror). Idempotent. */
  override fail(err: NodeError): void {
    if (this.lost !== null) return
    this.#stopWatch()
    this.#sub.unsubscribe()
    super.fail(err)
    this.onLost(err)
  }

  #connectionLost(): void {
    if (this.lost !== null) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), EXIT_GRACE)
    })
    void Promise.race([this.exited, grace]).then((exit) => {
      clearTimeout(timer)
      const how = exit === null ? 'its connection closed' : `it exited with ${howItEnded(exit.exitCode, exit.signal)}`
      this.fail(new NodeError('ERR_NODE_WORKER_LOST',
        `worker ${this.workerId}${this.pid !== undefined ? ` (pid ${this.pid})` : ''} was lost: ${how}`,
        { ...this.#info(), ...(exit !== null ? { exitCode: exit.exitCode, signal: exit.signal } : {}) }))
    })
  }

  #payload(name: string, data: unknown): void {
    const job = safeGet(data, 'job')
    if (typeof job !== 'number' || !this.has(job)) return
    if (name === 'WorkReady') this.settle(job, null, safeGet(data, 'value', null))
    else if (name === 'ErrWork') this.settle(job, jobFailed(this.workerId, job, safeGet(data, 'error')), undefined)
  }

  #info(): { workerId: string; pid?: number } {
    return { workerId: this.workerId, ...(this.pid !== undefined ? { pid: this.pid } : {}) }
  }
}
