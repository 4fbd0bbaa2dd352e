/**
 * polymachine/telemetry: the debugger tracer. `attachDebugger(machine, { url })` (or `attachDebuggerFromEnv(machine)`
 * with `POLYMACHINE_DBG`) streams schemas and transitions to `polymachine-dbg` over WebSocket as msgpack; the
 * protocol is documented in docs/protocol-dbg.md.
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
export { OtelAttr, traceMachine, type MachineTracing, type TraceMachineOptions } from './otel.js'
export { inspectMachine, type InspectMachineOptions, type StatelyBridge, type StatelyInspectorLike } from './stately.js'
export {
  STATELY_PROTOCOL_VERSION, parseStatelyFrame, statechartOf, type StatelyActorFrame, type StatelyActorRef,
  type StatelyEventFrame, type StatelyFrame, type StatelyFrameBase, type StatelyMachineConfig,
  type StatelyMutationEvent, type StatelyRegionConfig, type StatelySnapshot, type StatelySnapshotFrame,
  type StatelyStateValue, type StatelyStopEvent,
} from './stately-frames.js'
export { toD2, toMermaid, type DiagramOptions, type DiagramSchema } from './diagram.js'
export { machineMetrics, type MachineMetrics, type MachineMetricsOptions } from './prometheus.js'
export type { MetricsRegistry } from './prom-metric.js'
export { actorMetrics, type ActorMetrics, type ActorMetricsOptions, type MeasuredActor } from './actor-metrics.js'
