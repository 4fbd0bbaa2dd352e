/**
 * polymachine/telemetry: seeing machines. The debugger tracer: `attachDebugger(machine, { url })` (or
 * `attachDebuggerFromEnv(machine)` with `POLYMACHINE_DBG`) streams schemas and transitions to `polymachine-dbg` over
 * WebSocket as msgpack (docs/protocol-dbg.md); the Stately inspector bridge (`inspectMachine`); schema diagrams
 * (`toMermaid`, `toD2`). OpenTelemetry and Prometheus have their own entries, `polymachine/otel` and
 * `polymachine/prometheus`, so this one never needs their packages.
 * @module polymachine/telemetry
 */
export { attachDebugger, attachDebuggerFromEnv, DBG_ENV, DEFAULT_DBG_URL, type DebuggerHandle, type DebuggerOptions }
  from './attach.js'
export { DbgTracer, schemaOf, type DbgArgsMapper, type DbgSink } from './tracer.js'
export type { DbgLinkStats } from './link.js'
export { DbgLinkSchema, type DbgLinkStateNames } from './link.schema.js'
export {
  DBG_PROTOCOL_VERSION, DbgFlag, DbgMsg, DbgMutation, DbgResult, dbgToWire, parseDbgMessage,
  type DbgBatch, type DbgDispose, type DbgHello, type DbgMessage, type DbgMutationName, type DbgResultName,
  type DbgSchema, type DbgTx, type DbgWireState,
} from './protocol.js'
export { inspectMachine, type InspectMachineOptions, type StatelyBridge, type StatelyInspectorLike } from './stately.js'
export {
  STATELY_PROTOCOL_VERSION, parseStatelyFrame, statechartOf, type StatelyActorFrame, type StatelyActorRef,
  type StatelyEventFrame, type StatelyFrame, type StatelyFrameBase, type StatelyMachineConfig,
  type StatelyMutationEvent, type StatelyRegionConfig, type StatelySnapshot, type StatelySnapshotFrame,
  type StatelyStateValue, type StatelyStopEvent,
} from './stately-frames.js'
export { toD2, toMermaid, type DiagramOptions, type DiagramSchema } from './diagram.js'
