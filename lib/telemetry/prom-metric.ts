/**
 * The prom-client side shared by `machineMetrics` and `actorMetrics`: metric objects of our own that a prom-client
 * `Registry` formats like its own (their `get()` returns prom-client's metric shape), option checks, and registering a
 * set of metrics under one prefix. Only types come from `prom-client`, an optional peer.
 */
import type { Metric, Registry } from 'prom-client'
import { InvalidArgumentError } from '../machine/index.js'

/** The part of a prom-client `Registry` the adapters use (a `Registry`, or prom-client's global `register`). */
export type MetricsRegistry = Pick<Registry, 'registerMetric' | 'getSingleMetric'>

/** One sample: `metricName` for a histogram's `_bucket`, `_sum` and `_count`. */
export type PromValue = { value: number; labels: Record<string, string | number>; metricName?: string }

/** What a registry reads from a metric. */
export interface PromMetric {
  name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly aggregator: 'sum'
  get(): { name: string; help: string; type: string; aggregator: string; values: PromValue[] }
  reset(): void
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A metric whose samples are computed at scrape time by `values`. */
export function promMetric(name: string, help: string, type: PromMetric['type'], values: () => PromValue[],
  reset: () => void): PromMetric {
  return {
    name, help, type, aggregator: 'sum',
    // `this.name`: an OpenMetrics registry renames counters (drops `_total`, then adds it to each sample)
    get() {
      return { name: this.name, help, type, aggregator: 'sum', values: values() }
    },
    reset,
  }
}

/** Registers `metrics` (all names free, or nothing is registered); returns the first, the set's marker. */
export function registerAll(where: string, registry: MetricsRegistry, prefix: string,
  metrics: readonly PromMetric[]): PromMetric {
  for (const m of metrics) {
    if (registry.getSingleMetric(m.name) !== undefined) {
      throw new InvalidArgumentError(where, 'opts.prefix', `a prefix whose metric names are free (${m.name} is taken)`,
        prefix)
    }
  }
  for (const m of metrics) registry.registerMetric(m as unknown as Metric)
  const head = metrics[0] as PromMetric
  // read back: a registry that keeps none of them would leave the caller without metrics, silently
  if (registry.getSingleMetric(head.name) !== (head as unknown)) {
    throw new InvalidArgumentError(where, 'opts.registry', 'a prom-client Registry', registry)
  }
  return head
}

export function checkRegistry(where: string, registry: unknown): MetricsRegistry {
  const r = registry as Partial<MetricsRegistry> | null
  if (typeof r !== 'object' || r === null || typeof r.registerMetric !== 'function' ||
    typeof r.getSingleMetric !== 'function') {
    throw new InvalidArgumentError(where, 'opts.registry', 'a prom-client Registry', registry)
  }
  return r as MetricsRegistry
}

export function checkPrefix(where: string, prefix: unknown): string {
  if (prefix === undefined) return 'polymachine_'
  if (typeof prefix !== 'string' || (prefix !== '' && !NAME.test(prefix))) {
    throw new InvalidArgumentError(where, 'opts.prefix', 'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix)
  }
  return prefix
}

/** Constant labels: valid names, text values, none of the adapters' own (`reserved`). */
export function checkLabels(where: string, labels: unknown, reserved: readonly string[]): Record<string, string> {
  if (labels === undefined) return {}
  if (typeof labels !== 'object' || labels === null) {
    throw new InvalidArgumentError(where, 'opts.labels', 'an object of label → text', labels)
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL.test(k) || k.startsWith('__') || reserved.includes(k)) {
      throw new InvalidArgumentError(where, `opts.labels.${k}`, `a label name other than ${reserved.join(', ')}`, k)
    }
    if (typeof v !== 'string') throw new InvalidArgumentError(where, `opts.labels.${k}`, 'a string', v)
    out[k] = v
  }
  return out
}
