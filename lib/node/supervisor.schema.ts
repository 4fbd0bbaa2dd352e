/**
 * The contract of a `NodeSupervisor` (`pool.machine`): the pool's status, the events of its workers (multi states
 * with the worker in args) and its failures as error states.
 */
import { schema } from '../machine/index.js'

/**
 * Supervisor states.
 *
 * ```ts
 * const pool = new NodeSupervisor({ entry: './worker.js', min: 2 })
 * await pool.start() // PoolReady
 * pool.machine.bind({ ErrWorkerState: (e) => console.log(e.args.err) }) // a crash: exit code or signal
 * ```
 */
export const SupervisorSchema = schema({
  /** `start()` was called. */
  Start: { remove: ['Stopped'] },
  /** Fewer than `min` workers are ready (starting, or replacing lost ones). */
  PoolStarting: { require: ['Start'], remove: ['PoolReady'] },
  /** At least `min` workers are ready. */
  PoolReady: { require: ['Start'], remove: ['PoolStarting'] },
  /** Workers are being forked to reach the wanted size (`min`, load, `warm` spares, at most `max`). */
  NormalizingPool: { require: ['Start'] },
  /** A ready worker has room for a job (or a client). */
  WorkersAvailable: { require: ['PoolReady'] },
  /** A worker process is being forked (multi; args: `workerId`). */
  ForkWorker: { multi: true },
  /** A worker answered and is connected (multi; args: `workerId`, `pid`). */
  WorkerReady: { multi: true },
  /** A worker process ended, expected or not (multi; args: `workerId`, `pid`, `exitCode`, `signal`, `expected`). */
  WorkerGone: { multi: true },
  /** A worker is being killed or retired (multi; args: `workerId`, `reason`). */
  KillWorker: { multi: true },
  /** A health-check round started (multi). */
  Healthcheck: { multi: true },
  /** Served over RPC (`pool.serve()`): clients in other processes may ask for workers. */
  Serving: { require: ['Start'] },
  /**
   * A client in another process asks for a worker of its own (multi; args: `clientId`, its RPC client id). The
   * answer is a payload to that client: `WorkerGranted` (`workerId`, `pid`, `url`, `token`) or `WorkerRefused`
   * (`code`, `message`); `WorkerLost` (`workerId`, `exitCode`, `signal`, `message`) when the worker dies later.
   */
  ClientRequested: { multi: true, require: ['Serving'] },
  /** A client in another process gives its worker back (multi; args: `clientId`); also when it disconnects. */
  ClientReleased: { multi: true },
  /** `close()`: draining the workers, then killing what is left. */
  Stopping: { remove: ['PoolReady', 'PoolStarting', 'NormalizingPool', 'WorkersAvailable', 'Serving'] },
  Stopped: { remove: ['Start', 'Stopping', 'Serving', 'PoolReady', 'PoolStarting', 'NormalizingPool', 'WorkersAvailable'] },
  Exception: { multi: true },
  /**
   * A ready worker failed (multi; args: `workerId`, `err`: a `NodeError` `ERR_NODE_EXIT` with `exitCode` and
   * `signal`, or `ERR_NODE_HEALTH`). It is replaced after a backoff.
   */
  ErrWorker: { multi: true, require: ['Exception'] },
  /** A worker failed to start (multi; args: `workerId`, `err`: `ERR_NODE_SPAWN`). Retried with backoff, bounded. */
  ErrSpawn: { multi: true, require: ['Exception'] },
  /**
   * The pool gave up (`err`: `ERR_NODE_POOL`): more worker failures than `maxRestarts` within `period`, or
   * `spawnRetries` spawn failures in a row. Workers are killed, jobs rejected.
   */
  ErrPool: { require: ['Exception'], remove: ['PoolReady', 'PoolStarting', 'NormalizingPool', 'WorkersAvailable', 'Serving'] },
})

/** The state names of {@link SupervisorSchema}. */
export type SupervisorStateNames = (typeof SupervisorSchema.names)[number]
