/**
 * The contract of a `NodeClient` (`client.machine`): asking the supervisor for a worker of its own, holding it, and
 * losing it.
 */
import { schema } from '../machine/index.js'

/**
 * Node client states.
 *
 * ```ts
 * const client = pool.client()
 * await client.start() // WorkerReady
 * client.machine.bind({ ErrWorkerState: (e) => console.log('lost', e.args.err) })
 * ```
 */
export const NodeClientSchema = schema({
  /** `start()` or `run()` was called. */
  Start: { remove: ['Closed'] },
  /** Waiting for the supervisor to grant a worker. */
  WorkerRequested: { require: ['Start'], remove: ['WorkerReady'] },
  /** Connected to its worker (`client.worker` mirrors it). */
  WorkerReady: { require: ['Start'], remove: ['WorkerRequested'] },
  /** `close()` ran: the worker went back to the pool. */
  Closed: { remove: ['Start', 'WorkerRequested', 'WorkerReady'] },
  Exception: { multi: true },
  /** Its worker died (args: `err`, `ERR_NODE_WORKER_LOST` with the exit code or signal); the next run asks again. */
  ErrWorker: { multi: true, require: ['Exception'], remove: ['WorkerReady'] },
  /** The supervisor refused (it failed or is closing; args: `err`). */
  ErrSupervisor: { multi: true, require: ['Exception'], remove: ['WorkerRequested'] },
})

/** The state names of {@link NodeClientSchema}. */
export type NodeClientStateNames = (typeof NodeClientSchema.names)[number]
