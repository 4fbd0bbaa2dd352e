/**
 * The worker side: `runWorker(fn)` in the worker module turns the process into a `NodeWorker`. Its machine
 * ({@link WorkerSchema}) is served over the IPC channel to the supervisor and to each client it hands a connection
 * to; a job arrives as `WorkRequested` with args and its result leaves as a payload to the client that asked.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { InvalidArgumentError, InvalidOperationError, Machine, Result, type LogFn, type LogLevel } from '../machine/index.js'
import { safeGet, safeString, thenOf } from '../machine/internals.js'
import { serve, type RpcServer } from '../rpc/index.js'
import { IpcHub, type IpcEndpoint, type IpcJob } from './ipc.js'
import { plainProblem } from './plain.js'
import { PortEndpoint, THREAD_MARK, type PortLike } from './port-endpoint.js'
import { WAKE_KEY, WakeReceiver } from './thread-wake.js'
import { WorkerSchema, type WorkerStateNames } from './worker.schema.js'

/** What a job's function gets besides its input. */
export interface WorkContext {
  /** The job's number (unique per client connection). */
  readonly job: number
  /** The worker's id (given by the supervisor). */
  readonly workerId: string
  /** Aborted when the worker loses its supervisor (the process is about to exit). */
  readonly signal: AbortSignal
}

/** The job's function: takes plain data, returns plain data (or a promise of it). */
export type WorkFn<I = never, O = unknown> = (input: I, ctx: WorkContext) => O | Promise<O>

/** Options of {@link runWorker}. */
export interface RunWorkerOptions {
  /** Jobs run at once (default 1: a CPU-bound job blocks the process anyway); more are queued in order. */
  concurrency?: number
  logLevel?: LogLevel
  logger?: LogFn
}

/** Environment variable carrying the worker's id from the supervisor. */
export const WORKER_ID_ENV = 'POLYMACHINE_NODE_WORKER'

/** The error a job threw, as the client receives it. */
export interface WireJobError {
  name: string
  message: string
  code: string | null
}

interface Job {
  job: number
  input: unknown
  /** The RPC client that gets the result; null for a job of the supervisor's direct lane (`pool.run()`). */
  client: string | null
}

let running: NodeWorker | null = null

/** Parks per event-loop turn (each waits up to `PARK_MS`, or ends at a message), and ms from the first of them. */
const MAX_PARKS = 64
const PARK_BUDGET_MS = 10

/**
 * Makes this process a worker of a `NodeSupervisor`: call it once at the top of the worker module. Each job's
 * `input` is what `pool.run(input)` / `client.run(input)` was given; what `fn` returns (or resolves with) is the
 * result; a throw or rejection fails that job only (`ERR_NODE_JOB` on the client) and the worker goes on.
 *
 * ```ts
 * // worker.ts
 * import { runWorker } from 'polymachine/node'
 * runWorker((input: { n: number }) => fib(input.n))
 * ```
 */
export function runWorker<I = never, O = unknown>(fn: WorkFn<I, O>, opts: RunWorkerOptions = {}): NodeWorker {
  if (typeof fn !== 'function') throw new InvalidArgumentError('runWorker()', 'fn', 'a function', fn)
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('runWorker()', 'options', 'an options object', opts)
  if (running !== null) throw new InvalidOperationError('runWorker(): this process already runs a worker')
  let endpoint: IpcEndpoint
  let wake: WakeReceiver | null = null
  if (!isMainThread && parentPort !== null && safeGet(workerData, THREAD_MARK) === true) {
    const ep = new PortEndpoint(parentPort as unknown as PortLike, ['close'])
    wake = WakeReceiver.of(safeGet(workerData, WAKE_KEY), parentPort, (m) => ep.receive(m))
    endpoint = ep
  } else if (typeof process.send === 'function') {
    endpoint = process as unknown as IpcEndpoint
  } else {
    throw new InvalidOperationError('runWorker(): not a worker of a NodeSupervisor (no IPC channel, not its thread)')
  }
  running = new NodeWorker(fn as WorkFn<unknown, unknown>, opts, endpoint, wake)
  return running
}

/** A running worker; made by {@link runWorker}. */
export class NodeWorker {
  /** The worker's machine ({@link WorkerSchema}). */
  readonly machine: Machine<WorkerStateNames>
  /** Resolves once the worker told the supervisor it is ready. */
  readonly ready: Promise<void>
  readonly #hub: IpcHub
  readonly #fn: WorkFn<unknown, unknown>
  readonly #concurrency: number
  readonly #queue: Job[] = []
  readonly #lost = new AbortController()
  #server: RpcServer | null = null
  /** The TCP server for clients in other processes (`listen` from the supervisor); null until asked. */
  #tcp: Promise<RpcServer> | null = null
  #running = 0
  #drained = false
  /** The lane job being added as `WorkRequested` right now (the add is synchronous: the machine is idle then). */
  #lane: Job | null = null
  /** A thread's wait for its next message when idle (null for a process). */
  readonly #wake: WakeReceiver | null
  /** Parks since the event loop last turned, and when the first began: bounded, so jobs arriving back to back
   * cannot starve the worker's own timers and I/O. */
  #parks = 0
  #parkedSince = 0

  /** @internal Made by {@link runWorker}. */
  constructor(fn: WorkFn<unknown, unknown>, opts: RunWorkerOptions, endpoint: IpcEndpoint,
    wake: WakeReceiver | null = null) {
    this.#wake = wake
    const c = opts.concurrency ?? 1
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 1) {
      throw new InvalidArgumentError('runWorker()', 'concurrency', 'an integer ≥ 1', c)
    }
    this.#fn = fn
    this.#concurrency = c
    this.machine = new Machine(WorkerSchema, {
      id: process.env[WORKER_ID_ENV] ?? `nw-${process.pid}`,
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    })
    this.machine.bind({
      // client '' is the lane's: an RPC client may not claim it
      WorkRequestedEnter: (e: { args: Record<string, unknown> }) => jobOf(e.args) !== null &&
        (this.#lane !== null || safeGet(e.args, 'client') !== ''),
      WorkRequestedState: (e: { args: Record<string, unknown> }) => this.#enqueue(this.#lane ?? jobOf(e.args) as Job),
      DrainingState: () => this.#checkDrained(),
    })
    this.#hub = new IpcHub(endpoint)
    this.#hub.onJob = (m) => this.#laneJob(m)
    this.#hub.onOpen = (port) => this.#server?.accept(port as unknown as MessagePort)
    this.#hub.onSendError = (err, m) => this.#unsent(err, m)
    this.#hub.onControl = (m) => {
      if (m.pm === 'listen') this.#listen(m.t)
    }
    // the supervisor is gone (killed, or it ended the channel after draining): nothing may outlive it
    this.#hub.onEnd = () => {
      this.#lost.abort(new InvalidOperationError(`worker ${this.machine.id}: the supervisor is gone`))
      process.exit(0)
    }
    this.machine.add('Start')
    this.ready = serve(this.machine).then((server) => {
      this.#server = server
      this.machine.add(['Ready', 'Idle'])
      this.#hub.control({ pm: 'ready' })
    })
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.#queue.length + this.#running
  }

  /** A job of the direct lane: recorded as `WorkRequested` like any other, answered over the lane. */
  #laneJob(m: IpcJob): void {
    if (m.pm !== 'job') return
    const job: Job = { job: m.j, input: m.i, client: null }
    this.#lane = job
    let res
    try {
      res = this.machine.add('WorkRequested', { job: m.j, client: '' })
    } finally {
      this.#lane = null
    }
    if (res === Result.Canceled) this.#hub.lane({ pm: 'fail', j: m.j, e: null, refused: true })
  }

  #enqueue(job: Job): void {
    this.#queue.push(job)
    if (this.machine.not('Working')) this.machine.add('Working')
    // after the REPLY of this mutation is sent: the client learns it was accepted before it hears the result
    queueMicrotask(() => this.#pump())
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) this.#start(this.#queue.shift() as Job)
  }

  #start(j: Job): void {
    this.#running++
    const ctx: WorkContext = { job: j.job, workerId: this.machine.id, signal: this.#lost.signal }
    let out: unknown
    try {
      out = this.#fn(j.input as never, ctx)
    } catch (err) {
      this.#done(j, false, err)
      return
    }
    const { then, error } = thenOf(out)
    if (error !== undefined) this.#done(j, false, error)
    else if (then === undefined) this.#done(j, true, out)
    else then((v) => this.#done(j, true, v), (err) => this.#done(j, false, err))
  }

  #done(j: Job, ok: boolean, value: unknown): void {
    this.#running--
    const why = ok ? plainProblem(value) : null
    if (why !== null) {
      ok = false // a result that is not plain data fails the job
      value = new InvalidArgumentError(`worker ${this.machine.id}: job ${j.job}`, 'result', `plain data (${why})`, value)
    }
    if (j.client === null) {
      this.#hub.lane(ok ? { pm: 'done', j: j.job, v: value ?? null }
        : { pm: 'fail', j: j.job, e: wireError(value), refused: false })
    } else if (ok) {
      this.#reply('WorkReady', { job: j.job, value: value ?? null }, j.client)
    } else {
      this.#reply('ErrWork', { job: j.job, error: wireError(value) }, j.client)
    }
    const client = j.client ?? ''
    if (ok) {
      this.machine.add('WorkReady', { job: j.job, client })
    } else {
      this.machine.addErrState('ErrWork', value, { job: j.job, client })
      this.machine.remove('Exception') // recorded (ticks, err); the worker itself is fine
    }
    if (this.pending === 0) {
      this.machine.add('Idle')
      this.#checkDrained()
      // after the result's flush (queued above): wait for the next job without a trip through the event loop
      if (this.#wake !== null) queueMicrotask(() => this.#park())
    }
    this.#pump()
  }

  #park(): void {
    if (this.#wake === null || this.pending > 0 || this.#drained || this.machine.is('Draining')) return
    const now = performance.now()
    if (this.#parks++ === 0) {
      this.#parkedSince = now
      setImmediate(() => {
        this.#parks = 0
      })
    }
    if (this.#parks <= MAX_PARKS && now - this.#parkedSince < PARK_BUDGET_MS) this.#wake.park()
  }

  /**
   * A lane result the channel could not serialize (it passed the plain-data check, e.g. a `Uint8Array` over a
   * detached buffer): the job fails on the supervisor with the reason (`ERR_NODE_JOB`, remote code `ERR_NODE_SEND`).
   */
  #unsent(err: Error, m: unknown): void {
    const j = safeGet(m, 'j')
    if (safeGet(m, 'pm') !== 'done' || typeof j !== 'number') {
      this.machine.log(`worker ${this.machine.id}: a message could not be sent: ${safeString(err)}`)
      return
    }
    const e = { name: 'NodeError', message: `its result could not be sent: ${safeString(err)}`, code: 'ERR_NODE_SEND' }
    this.machine.addErrState('ErrWork', err, { job: j, client: '' })
    this.machine.remove('Exception')
    this.#hub.lane({ pm: 'fail', j, e, refused: false })
  }

  /** A job's result to the client that asked: over the supervisor's channel, or over TCP (another process). */
  #reply(name: 'WorkReady' | 'ErrWork', data: Record<string, unknown>, clientId: string): void {
    if ((this.#server?.send(name, data, { clientId }) ?? 0) > 0) return
    this.#tcp?.then((s) => s.send(name, data, { clientId })).catch((err: unknown) => {
      this.machine.log(`worker ${this.machine.id}: ${name} to ${clientId} not sent: ${safeString(err)}`)
    })
  }

  /**
   * Serves this worker's machine over TCP on 127.0.0.1 (once; a free port), for clients in other processes leased
   * it by the supervisor; they need `token`. They may only delegate work (`WorkRequested`). Answers `listening`.
   */
  #listen(token: string): void {
    this.#tcp ??= serve(this.machine, { url: 'tcp://127.0.0.1:0', token, mutable: { allow: ['WorkRequested'] } })
    const tcp = this.#tcp
    tcp.then((s) => this.#hub.control({ pm: 'listening', url: s.url ?? null, e: null }), (err: unknown) => {
      if (this.#tcp === tcp) this.#tcp = null
      this.#hub.control({ pm: 'listening', url: null, e: safeString(err) })
    })
  }

  #checkDrained(): void {
    if (this.#drained || this.pending > 0 || this.machine.not('Draining')) return
    this.#drained = true
    // after the transition, so the reply to the `Draining` mutation goes first
    queueMicrotask(() => this.#hub.control({ pm: 'drained' }))
  }
}

/** The job in `WorkRequested`'s args, or null when they are not one (the mutation is refused). */
function jobOf(args: Record<string, unknown>): Job | null {
  const job = safeGet(args, 'job')
  const client = safeGet(args, 'client')
  if (typeof job !== 'number' || typeof client !== 'string') return null
  return { job, client, input: safeGet(args, 'input', null) }
}

/** A thrown value as plain data: name, message and code, read under guards. */
export function wireError(err: unknown): WireJobError {
  const name = safeGet(err, 'name')
  const code = safeGet(err, 'code')
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: safeString(err),
    code: typeof code === 'string' ? code : null,
  }
}
