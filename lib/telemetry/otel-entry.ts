/**
 * polymachine/otel: OpenTelemetry spans for machines (`traceMachine`), and `otelTraceContext` to carry a trace across
 * RPC. Its own entry point because its types come from `@opentelemetry/api`, an optional peer: importing
 * `polymachine/telemetry` never needs it installed.
 * @module polymachine/otel
 */
export { OtelAttr, traceMachine, type MachineTracing, type TraceMachineOptions } from './otel.js'
export { otelTraceContext, traceContextOfSpan } from './otel-remote.js'
