/**
 * polymachine/node: worker processes. A `NodeSupervisor` forks workers from a module that calls `runWorker(fn)`,
 * keeps a pool of them (min/max/warm, scaling, health checks, respawn with backoff and restart intensity) and hands
 * them work: `pool.run(input)`, or a `NodeClient` holding a worker of its own and mirroring its machine over RPC —
 * in this process (`pool.client()`) or in another one (`pool.serve()` here, `NodeClient.connect(url)` there).
 * Every component is a machine with an exported schema; every failure is a state and a `NodeError` with a code.
 * @module polymachine/node
 */
export { NodeSupervisor } from './supervisor.js'
export { SupervisorSchema, type SupervisorStateNames } from './supervisor.schema.js'
export { NodeClient } from './client.js'
export type { RemoteClientOptions } from './remote-pool.js'
export type { PoolAddress, PoolServeOptions } from './pool-server.js'
export { NodeClientSchema, type NodeClientStateNames } from './client.schema.js'
export { runWorker, NodeWorker, WORKER_ID_ENV, type RunWorkerOptions, type WorkContext, type WorkFn } from './worker.js'
export { WorkerSchema, type WorkerStateNames } from './worker.schema.js'
export type { HealthOptions, NodeSupervisorOptions } from './options.js'
export type { RunOptions } from './runs.js'
export type { WorkerInfo, WorkerStatus } from './pool-worker.js'
export { NodeError, type NodeErrorCode, type NodeErrorInfo } from './errors.js'
export { IpcHub, IpcPort, type IpcControl, type IpcEndpoint } from './ipc.js'
