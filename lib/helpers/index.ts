/**
 * polymachine/helpers: waiting for several machines, mutations that wait, retrying mutations, a loop guard,
 * composable conditions and schema contract checks.
 * @module polymachine/helpers
 */
export { waitForAll, waitForAny, waitForErrAll, waitForErrAny, type Waiter } from './wait-for.js'
export { addAsync, addSync, removeSync } from './sync.js'
export { MutationRequest, mutationRequest, type MutationKind, type MutationRequestConfig } from './mutation-request.js'
export { StateLoop, stateLoop, type StateLoopOptions } from './state-loop.js'
export * as cond from './cond.js'
export type { Cond, CondSpec } from './cond.js'
export { assertImplements, schemaImplements } from './schema-implements.js'
export { ContractError, InExceptionError, StateLoopError, type ContractMismatch } from './errors.js'
export type { HelperOptions } from './guard.js'
