/**
 * The contract of a worker process (`NodeWorker.machine`, mirrored by the supervisor and by clients): its statuses,
 * the work it is asked for (a multi state with args) and its failures.
 */
import { schema } from '../machine/index.js'

/**
 * Worker states.
 *
 * ```ts
 * const client = pool.client()
 * await client.start()
 * await client.worker!.when('Idle') // the worker's own state, mirrored over RPC
 * ```
 */
export const WorkerSchema = schema({
  /** `runWorker()` was called. */
  Start: {},
  /** Served to the supervisor and accepting work. */
  Ready: { require: ['Start'] },
  /** No job is queued or running. */
  Idle: { remove: ['Working'] },
  /** A job is running (more may be queued). */
  Working: { remove: ['Idle'] },
  /**
   * A client delegates a job (multi; args: `job` a number, `input` plain data, `client` the id whose RPC session gets
   * the result). Refused (`Canceled`) unless `Ready`.
   */
  WorkRequested: { multi: true, require: ['Ready'] },
  /** A job finished (multi; args: `job`, `client`). Its value goes to the client as a `WorkReady` payload. */
  WorkReady: { multi: true },
  /** The supervisor's health check: a round trip through the worker's queue (multi). */
  Healthcheck: { multi: true },
  /** Finishing the queued jobs, accepting no new ones; the supervisor ends the process once drained. */
  Draining: { require: ['Start'], remove: ['Ready'] },
  Exception: { multi: true },
  /**
   * A job threw or rejected (multi; args: `job`, `client`, `err`). Sent to the client as an `ErrWork` payload; the
   * worker then clears `Exception` and goes on with the next job.
   */
  ErrWork: { multi: true, require: ['Exception'] },
})

/** The state names of {@link WorkerSchema}. */
export type WorkerStateNames = (typeof WorkerSchema.names)[number]
