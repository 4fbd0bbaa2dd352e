/**
 * polymachine/prometheus: Prometheus metrics for machines and actors (`machineMetrics`, `actorMetrics`). Its own
 * entry point because its types come from `prom-client`, an optional peer: importing `polymachine/telemetry` never
 * needs it installed.
 * @module polymachine/prometheus
 */
export { machineMetrics, type MachineMetrics, type MachineMetricsOptions } from './prometheus.js'
export type { MetricsRegistry } from './prom-metric.js'
export { actorMetrics, type ActorMetrics, type ActorMetricsOptions, type MeasuredActor } from './actor-metrics.js'
