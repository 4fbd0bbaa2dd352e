/**
 * Prometheus metrics of machines: `machineMetrics(machine, { registry })` registers, in the user's prom-client
 * `Registry`, per-machine counters, gauges and a histogram labelled `machine`. Only types are imported from
 * `prom-client` (an optional peer): the metrics are objects of our own that a registry formats like its own (`get()`
 * returns prom-client's metric shape), so this file loads without prom-client and reads gauges at scrape time.
 */
import { InvalidArgumentError, OutOfRangeError, type Machine, type Tracer, type TransitionInfo }
  from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { checkLabels, checkPrefix, checkRegistry, promMetric, registerAll, type MetricsRegistry, type PromMetric,
  type PromValue } from './prom-metric.js'

/** Options of {@link machineMetrics}. */
export interface MachineMetricsOptions {
  /** Where the metrics are registered: `new Registry()` or `register` from prom-client. */
  registry: MetricsRegistry
  /** Prefix of every metric name. Default `polymachine_`. */
  prefix?: string
  /** Constant labels added to this machine's series (e.g. `{ service: 'api' }`); `machine` is always set. */
  labels?: Readonly<Record<string, string>>
  /**
   * Upper bounds (seconds) of the transition duration histogram's buckets. Default 0.0001 … 1. The first call for a
   * registry and prefix decides them.
   */
  buckets?: readonly number[]
  /** Also count machines created later with this one as `parent` (labelled by their own id). Default true. */
  children?: boolean
}

/** What {@link machineMetrics} returns. */
export interface MachineMetrics {
  /** Removes the series of the machine (and of its counted children) and leaves them. Idempotent. */
  detach(): void
  readonly detached: boolean
}

const DEFAULT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]
const WHERE = 'machineMetrics()'

/** One machine's series. */
interface Series {
  readonly mach: Machine<string>
  readonly labels: Readonly<Record<string, string>>
  executed: number
  canceled: number
  exceptions: number
  /** Per bucket (not cumulative); the last is +Inf. */
  readonly buckets: number[]
  sum: number
  count: number
  /** The transition running now and when it started (a machine runs one at a time; dry runs are not counted). */
  current: TransitionInfo | null
  startedAt: number
  readonly offDispose: () => void
  readonly owner: MetricsTracer
}

/** The metrics of one registry and prefix, shared by every machine counted in them. */
class Collector {
  readonly series = new Map<Machine<string>, Series>()
  readonly bounds: readonly number[]
  /** The first metric: while the registry still holds it, this collector is the one registered. */
  readonly head: PromMetric

  constructor(registry: MetricsRegistry, prefix: string, bounds: readonly number[]) {
    this.bounds = bounds
    const all = (fn: (s: Series) => PromValue[]): PromValue[] => [...this.series.values()].flatMap(fn)
    const metric = (name: string, help: string, type: PromMetric['type'], values: () => PromValue[]): PromMetric =>
      promMetric(prefix + name, help, type, values, () => this.reset())
    const metrics = [
      metric('transitions_total', 'Transitions that ended, by result (executed, canceled).', 'counter', () =>
        all((s) => [{ value: s.executed, labels: { ...s.labels, result: 'executed' } },
          { value: s.canceled, labels: { ...s.labels, result: 'canceled' } }])),
      metric('exceptions_total', 'Activations of the Exception state.', 'counter', () =>
        all((s) => [{ value: s.exceptions, labels: s.labels }])),
      metric('queue_length', 'Mutations waiting in the queue.', 'gauge', () =>
        all((s) => [{ value: s.mach.disposed ? 0 : s.mach.queueLen, labels: s.labels }])),
      metric('active_states', 'States active now.', 'gauge', () =>
        all((s) => [{ value: s.mach.activeStates.length, labels: s.labels }])),
      metric('transition_duration_seconds', 'Time from a transition’s start to its end.', 'histogram', () =>
        all((s) => this.histogram(s, prefix + 'transition_duration_seconds'))),
    ]
    this.head = registerAll(WHERE, registry, prefix, metrics)
  }

  histogram(s: Series, name: string): PromValue[] {
    const out: PromValue[] = []
    let acc = 0
    this.bounds.forEach((le, i) => {
      acc += s.buckets[i] ?? 0
      out.push({ metricName: `${name}_bucket`, value: acc, labels: { ...s.labels, le } })
    })
    out.push({ metricName: `${name}_bucket`, value: s.count, labels: { ...s.labels, le: '+Inf' } })
    out.push({ metricName: `${name}_sum`, value: s.sum, labels: s.labels })
    out.push({ metricName: `${name}_count`, value: s.count, labels: s.labels })
    return out
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.executed = s.canceled = s.exceptions = s.sum = s.count = 0
      s.buckets.fill(0)
    }
  }
}

const collectors = new WeakMap<MetricsRegistry, Map<string, Collector>>()

/**
 * Counts a machine in Prometheus metrics (names below with the default prefix `polymachine_`), each series labelled
 * `machine="<id>"` plus `opts.labels`: `transitions_total{result="executed"|"canceled"}`, `exceptions_total`,
 * `queue_length` and `active_states` (gauges read at scrape time) and the `transition_duration_seconds` histogram. Dry
 * runs (`canAdd`) are not counted. The machine's series are removed when it is disposed or on `detach()`. Many
 * machines share the metrics of one registry and prefix; their ids must differ. Recording is a few additions, so it
 * never throws into the machine. Throws `InvalidArgumentError`/`OutOfRangeError` for bad options, a machine id already
 * counted there, or a name already taken by another metric.
 *
 * ```ts
 * const registry = new Registry()
 * const metrics = machineMetrics(mach, { registry, labels: { service: 'api' } })
 * const text = await registry.metrics() // serve it on /metrics
 * metrics.detach()
 * ```
 */
export function machineMetrics(machine: Machine<string>, opts: MachineMetricsOptions): MachineMetrics {
  if (!isMachine(machine)) throw new InvalidArgumentError(WHERE, 'machine', 'a Machine', machine)
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(WHERE, 'opts', 'an object', opts)
  const registry = checkRegistry(WHERE, opts.registry)
  const prefix = checkPrefix(WHERE, opts.prefix)
  const labels = checkLabels(WHERE, opts.labels, ['machine', 'result', 'le'])
  const bounds = checkBuckets(opts.buckets)
  let byPrefix = collectors.get(registry)
  if (!byPrefix) collectors.set(registry, (byPrefix = new Map()))
  let collector = byPrefix.get(prefix)
  // a registry cleared since (registry.clear()) gets the metrics again
  if (!collector || registry.getSingleMetric(prefix + 'transitions_total') !== (collector.head as unknown)) {
    collector = new Collector(registry, prefix, bounds)
    byPrefix.set(prefix, collector)
  }
  const tracer = new MetricsTracer(collector, labels, opts.children === undefined ? true : Boolean(opts.children))
  // a disposed machine has no series: the handle says so
  if (machine.disposed) tracer.detach()
  else if (!tracer.count(machine)) {
    throw new InvalidArgumentError(WHERE, 'machine', `a machine whose id is not counted yet in ${prefix}*`, machine.id)
  }
  return tracer
}

function checkBuckets(buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_BUCKETS
  if (!Array.isArray(buckets) || buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= buckets[i - 1]))) {
    throw new OutOfRangeError(WHERE, 'opts.buckets', 'increasing positive finite numbers', buckets)
  }
  return [...(buckets as number[])]
}

/** The machine `Tracer` behind `machineMetrics`: records into a collector's series. */
class MetricsTracer implements Tracer, MachineMetrics {
  readonly #collector: Collector
  readonly #labels: Readonly<Record<string, string>>
  readonly #children: boolean
  readonly #mine = new Set<Machine<string>>()
  #detached = false

  constructor(collector: Collector, labels: Readonly<Record<string, string>>, children: boolean) {
    this.#collector = collector
    this.#labels = labels
    this.#children = children
  }

  get detached(): boolean {
    return this.#detached
  }

  /** Starts counting a machine; false when its id is already counted in this collector. */
  count(mach: Machine<string>): boolean {
    if (this.#detached || mach.disposed) return true
    const series = this.#collector.series
    for (const s of series.values()) if (s.mach.id === mach.id) return s.mach === mach
    const s: Series = {
      mach, labels: { ...this.#labels, machine: mach.id }, executed: 0, canceled: 0, exceptions: 0,
      buckets: new Array<number>(this.#collector.bounds.length).fill(0), sum: 0, count: 0, current: null, startedAt: 0,
      offDispose: mach.onDispose(() => this.#drop(mach, true)), owner: this,
    }
    series.set(mach, s)
    this.#mine.add(mach)
    mach.bindTracer(this)
    return true
  }

  detach(): void {
    if (this.#detached) return
    this.#detached = true
    for (const m of [...this.#mine]) this.#drop(m)
  }

  newSubmachine(parent: Machine<string>, child: Machine<string>): void {
    if (this.#children && this.#mine.has(parent)) this.count(child)
  }

  transitionInit(tx: TransitionInfo): void {
    const s = this.#series(tx.machine)
    if (!s || tx.isCheck) return
    s.current = tx
    s.startedAt = performance.now()
  }

  transitionEnd(tx: TransitionInfo): void {
    const s = this.#series(tx.machine)
    if (!s || s.current !== tx) return
    s.current = null
    const t0 = s.startedAt
    const secs = (performance.now() - t0) / 1000
    if (tx.accepted) s.executed++
    else s.canceled++
    if (tx.accepted && tx.enters.includes('Exception')) s.exceptions++
    const bounds = this.#collector.bounds
    let i = 0
    while (i < bounds.length && secs > (bounds[i] as number)) i++
    if (i < bounds.length) s.buckets[i] = (s.buckets[i] ?? 0) + 1
    s.sum += secs
    s.count++
  }

  #series(mach: Machine<string>): Series | undefined {
    const s = this.#collector.series.get(mach)
    return s?.owner === this ? s : undefined
  }

  /** Removes a machine's series (its label values disappear from the next scrape) and leaves it. */
  #drop(mach: Machine<string>, disposing = false): void {
    this.#mine.delete(mach)
    const s = this.#collector.series.get(mach)
    if (s?.owner !== this) return
    this.#collector.series.delete(mach)
    // not from the dispose callback itself: unregistering while the machine runs them would skip the next one
    if (!disposing) s.offDispose()
    try {
      mach.detachTracer(this)
    } catch {
      // a disposed machine may refuse; it calls no more hooks anyway
    }
  }
}
