/**
 * Prometheus metrics of actors: `actorMetrics(ref, { registry })` exposes an actor's mailbox depth, messages in flight
 * and its message counters (`ref.stats`), read at scrape time, labelled `actor`. Only types come from `prom-client`.
 */
import type { ActorStats } from '../actor/index.js'
import { InvalidArgumentError, type Machine } from '../machine/index.js'
import { checkLabels, checkPrefix, checkRegistry, promMetric, registerAll, type MetricsRegistry, type PromMetric,
  type PromValue } from './prom-metric.js'

/** What `actorMetrics` reads: an `ActorRef` (what `system.spawn` returns) or a supervised child's ref. */
export interface MeasuredActor {
  readonly id: string
  readonly stats: ActorStats
  readonly machine: Machine<string>
}

/** Options of {@link actorMetrics}. */
export interface ActorMetricsOptions {
  /** Where the metrics are registered: `new Registry()` or `register` from prom-client. */
  registry: MetricsRegistry
  /** Prefix of every metric name. Default `polymachine_`. */
  prefix?: string
  /** Constant labels added to this actor's series; `actor` is always set. */
  labels?: Readonly<Record<string, string>>
}

/** What {@link actorMetrics} returns. */
export interface ActorMetrics {
  /** Removes the actor's series. Idempotent. */
  detach(): void
  readonly detached: boolean
}

const WHERE = 'actorMetrics()'

interface Entry {
  readonly ref: MeasuredActor
  readonly labels: Readonly<Record<string, string>>
}

/** The actor metrics of one registry and prefix, shared by every actor measured in them. */
class ActorCollector {
  readonly entries = new Set<Entry>()
  readonly head: PromMetric

  constructor(registry: MetricsRegistry, prefix: string) {
    const all = (fn: (s: ActorStats) => number): PromValue[] => {
      const out: PromValue[] = []
      for (const e of this.entries) {
        try {
          out.push({ value: fn(e.ref.stats), labels: e.labels })
        } catch {
          // an actor whose stats cannot be read has no sample this scrape; the scrape goes on
        }
      }
      return out
    }
    // counters read from the actor: they are only ever reset by the actor itself, never by resetMetrics
    const metric = (name: string, help: string, type: PromMetric['type'], fn: (s: ActorStats) => number): PromMetric =>
      promMetric(prefix + name, help, type, () => all(fn), () => undefined)
    this.head = registerAll(WHERE, registry, prefix, [
      metric('actor_mailbox_depth', 'Messages waiting in the mailbox.', 'gauge', (s) => s.queued),
      metric('actor_in_flight', 'Messages being handled now.', 'gauge', (s) => s.inFlight),
      metric('actor_received_total', 'Messages the mailbox took (queued or shed).', 'counter', (s) => s.received),
      metric('actor_processed_total', 'Messages whose handling completed.', 'counter', (s) => s.processed),
      metric('actor_failed_total', 'Messages whose handling failed.', 'counter', (s) => s.failed),
      metric('actor_dropped_total', 'Messages shed by the mailbox policy.', 'counter', (s) => s.dropped),
    ])
  }
}

const collectors = new WeakMap<MetricsRegistry, Map<string, ActorCollector>>()

/**
 * Exposes an actor's mailbox in Prometheus metrics (default prefix `polymachine_`), labelled `actor="<id>"` plus
 * `opts.labels`: the gauges `actor_mailbox_depth` and `actor_in_flight`, and the counters `actor_received_total`,
 * `actor_processed_total`, `actor_failed_total` and `actor_dropped_total` (mailbox policy drops), all read from
 * `ref.stats` at scrape time, so it costs the actor nothing. The series go when the actor's machine is disposed (the
 * actor stopped) or on `detach()`. For its transitions, pass `ref.machine` to `machineMetrics` too. Throws
 * `InvalidArgumentError` for bad options, an actor id already measured there, or a name already taken.
 *
 * ```ts
 * const ref = system.spawn(ss, new Worker(), { id: 'worker' })
 * actorMetrics(ref, { registry })
 * ```
 */
export function actorMetrics(ref: MeasuredActor, opts: ActorMetricsOptions): ActorMetrics {
  if (typeof ref !== 'object' || ref === null || typeof ref.id !== 'string' || typeof ref.machine !== 'object') {
    throw new InvalidArgumentError(WHERE, 'ref', 'an actor ref', ref)
  }
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(WHERE, 'opts', 'an object', opts)
  const registry = checkRegistry(WHERE, opts.registry)
  const prefix = checkPrefix(WHERE, opts.prefix)
  const labels = checkLabels(WHERE, opts.labels, ['actor'])
  let byPrefix = collectors.get(registry)
  if (!byPrefix) collectors.set(registry, (byPrefix = new Map()))
  let collector = byPrefix.get(prefix)
  // a registry cleared since (registry.clear()) gets the metrics again
  if (!collector || registry.getSingleMetric(collector.head.name) !== (collector.head as unknown)) {
    collector = new ActorCollector(registry, prefix)
    byPrefix.set(prefix, collector)
  }
  for (const e of collector.entries) {
    if (e.ref.id === ref.id) throw new InvalidArgumentError(WHERE, 'ref', `an actor not measured yet in ${prefix}*`, ref.id)
  }
  const entry: Entry = { ref, labels: { ...labels, actor: ref.id } }
  const owner = collector
  let detached = false
  let off = (): void => undefined
  const remove = (): void => {
    detached = true
    owner.entries.delete(entry)
  }
  const handle: ActorMetrics = {
    detach() {
      if (detached) return
      remove()
      off()
    },
    get detached() {
      return detached
    },
  }
  if (ref.machine.disposed) {
    remove()
    return handle
  }
  owner.entries.add(entry)
  // on dispose, no unregistering: doing it while the machine runs its callbacks would skip the next one
  off = ref.machine.onDispose(remove)
  return handle
}
