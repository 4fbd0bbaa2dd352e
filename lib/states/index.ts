/**
 * polymachine/states: reusable schemas (Basic, Connected, Disposed) with the Disposed handlers, and pipes that
 * mirror states of one machine into another.
 * @module polymachine/states
 */
export { BasicSchema, type BasicStateNames } from './basic.schema.js'
export { ConnectedGroup, ConnectedSchema, type ConnectedStateNames } from './connected.schema.js'
export { DisposedSchema, type DisposedStateNames } from './disposed.schema.js'
export {
  DisposedHandlers, dispose, registerDisposal, type DisposalFn, type DisposedArgs, type DisposedHandlersOptions,
} from './disposed.js'
export { PipeError } from './errors.js'
export * as pipe from './pipes.js'
export type { ConnectedTargets, Pipe, StateMap } from './pipes.js'
