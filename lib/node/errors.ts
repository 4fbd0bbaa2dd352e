/**
 * Errors of the worker-process layer. Each is a `PolymachineError` with a stable `ERR_NODE_*` code, so callers
 * `switch (err.code)`: a job's worker died (`ERR_NODE_WORKER_LOST`, retry it elsewhere), the job itself threw
 * (`ERR_NODE_JOB`), the pool gave up (`ERR_NODE_POOL`)…
 */
import { PolymachineError } from '../machine/index.js'
import { safeGet } from '../machine/internals.js'

/** The codes of this layer's errors. */
export type NodeErrorCode =
  /** A worker failed to start: bad entry file, exit or crash before it was ready, no `ready` in time. */
  | 'ERR_NODE_SPAWN'
  /** A ready worker exited without being asked to (any exit code, 0 included, or a signal). */
  | 'ERR_NODE_EXIT'
  /** A worker missed its health checks and was killed. */
  | 'ERR_NODE_HEALTH'
  /** The worker running a job died (or its connection closed) before the job's result arrived. */
  | 'ERR_NODE_WORKER_LOST'
  /** The job's function threw or rejected in the worker (`remoteName` and `message` are the worker's error). */
  | 'ERR_NODE_JOB'
  /** The pool gave up: too many worker failures within the period, or spawn retries exhausted (`ErrPool`). */
  | 'ERR_NODE_POOL'
  /** A job's input or result could not be sent over the worker's channel (a value it cannot serialize). */
  | 'ERR_NODE_SEND'
  /** The pool or client is closing or closed. */
  | 'ERR_NODE_CLOSED'
  /** The pool's queue of waiting jobs is full (`maxQueue`). */
  | 'ERR_NODE_QUEUE_FULL'

/** Where a failure happened: the worker, its process and how it ended. Only the known fields are set. */
export interface NodeErrorInfo {
  workerId?: string
  pid?: number
  /** The process's exit code (null when a signal ended it). */
  exitCode?: number | null
  /** The signal that ended the process, e.g. `'SIGKILL'` (null when it exited). */
  signal?: NodeJS.Signals | null
  /** The name of the error the job threw in the worker (`ERR_NODE_JOB`). */
  remoteName?: string
  cause?: unknown
}

/**
 * Every failure of `polymachine/node`: a code from {@link NodeErrorCode} and what is known about the worker.
 *
 * ```ts
 * try {
 *   await pool.run({ n: 40 })
 * } catch (err) {
 *   if (err instanceof NodeError && err.code === 'ERR_NODE_WORKER_LOST') await pool.run({ n: 40 }) // another worker
 * }
 * ```
 */
export class NodeError extends PolymachineError {
  override readonly name = 'NodeError'
  declare readonly code: NodeErrorCode
  readonly workerId: string | undefined
  readonly pid: number | undefined
  readonly exitCode: number | null | undefined
  readonly signal: NodeJS.Signals | null | undefined
  readonly remoteName: string | undefined

  constructor(code: NodeErrorCode, message: string, info: NodeErrorInfo = {}) {
    super(code, message, info.cause !== undefined ? { cause: info.cause } : undefined)
    this.workerId = info.workerId
    this.pid = info.pid
    this.exitCode = info.exitCode
    this.signal = info.signal
    this.remoteName = info.remoteName
  }
}

/** `code 1`, `signal SIGKILL`: how a process ended, for messages. */
export function howItEnded(exitCode: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `code ${String(exitCode)}`
}

/** A job's error as the worker described it (`{ name, message, code }`, read under guards): `ERR_NODE_JOB`. */
export function jobFailed(workerId: string, job: number, e: unknown): NodeError {
  const name = safeGet(e, 'name')
  const message = safeGet(e, 'message')
  const code = safeGet(e, 'code')
  const remoteName = typeof name === 'string' ? name : 'Error'
  const text = typeof message === 'string' ? message : 'unknown error'
  return new NodeError('ERR_NODE_JOB', `job ${job} failed in worker ${workerId}: ${remoteName}: ${text}` +
    (typeof code === 'string' ? ` (${code})` : ''), { workerId, remoteName })
}
