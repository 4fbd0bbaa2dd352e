/**
 * polymachine core: schemas, machines, handlers, waiters and streams.
 * @module polymachine
 */
export { Machine } from './machine.js'
export { schema, extend, isSchema, type SchemaMulti, type SchemaNames } from './schema.js'
export {
  Result, isQueued, resultName, LogLevel,
  type Args, type CheckHandlers, type Event, type ExceptionArgs, type FinalName, type HandlerShaped, type Handlers,
  type LogArgs, type LogFn, type MachineConstructor, type MachineOptions, type MutationInfo, type MutationType, type NegotiationName,
  type Schema, type Snapshot, type StateDef, type StateNames, type MultiStateNames, type States, type Tracer, type TransitionInfo,
} from './types.js'
export {
  DisposedError, HandlerError, HandlerNameError, InvalidArgumentError, InvalidOperationError, LoopError,
  OutOfRangeError, PolymachineError, SchemaError, TimeoutError, UnknownStateError, isPolymachineError, type CoreErrorCode,
} from './errors.js'
export { argsMapper } from './log.js'
export type { WaitOptions } from './waiters.js'
