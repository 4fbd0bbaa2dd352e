/**
 * Where a cluster receptionist keeps its registrations: the `Registry` interface (one per receptionist) and its
 * in-process implementation (one table per `InProcessBus`, shared by every receptionist opened on that bus). The
 * NATS one is receptionist-nats.ts. A registry stores plain entries; refs are made by the receptionist.
 */

/** One registration: service `service` is offered by actor `actor` on node `node`, served under the actor name `name`. */
export interface ServiceEntry {
  readonly service: string
  readonly node: string
  readonly actor: string
  /** The name it is exposed under (`bus.exposeActor(name, ref)`), derived from the three above. */
  readonly name: string
}

/** A receptionist's storage of registrations. Listings are sorted by node, then actor. */
export interface Registry {
  /** Announces `entry` (until `remove` or `close`; over NATS, refreshed by heartbeats). */
  add(entry: ServiceEntry): Promise<void>
  remove(entry: ServiceEntry): Promise<void>
  /** The live entries of `service` now. */
  read(service: string): Promise<ServiceEntry[]>
  /** Calls `onChange` with the entries of `service` now, then after every change; returns the unsubscribe. */
  watch(service: string, onChange: (entries: readonly ServiceEntry[]) => void): () => void
  /** Removes this registry's entries and stops its watchers. */
  close(): Promise<void>
}

/** The actor name a registration is served under: unique per service, node and actor. */
export function entryName(service: string, node: string, actor: string): string {
  return `pm-receptionist/${JSON.stringify([service, node, actor])}`
}

export function entryOf(service: string, node: string, actor: string): ServiceEntry {
  return { service, node, actor, name: entryName(service, node, actor) }
}

/** Node, then actor: the order of every listing. */
export function byNodeThenActor(a: ServiceEntry, b: ServiceEntry): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0
}

/** The registrations of every receptionist on one `InProcessBus`. */
class Table {
  readonly services = new Map<string, Map<string, ServiceEntry>>()
  readonly watchers = new Map<string, Set<(entries: readonly ServiceEntry[]) => void>>()

  list(service: string): ServiceEntry[] {
    return [...this.services.get(service)?.values() ?? []].sort(byNodeThenActor)
  }

  changed(service: string): void {
    const watchers = this.watchers.get(service)
    if (!watchers || watchers.size === 0) return
    const entries = Object.freeze(this.list(service))
    for (const w of [...watchers]) w(entries)
  }
}

const tables = new WeakMap<object, Table>()

/** A registry over the table of `bus` (an `InProcessBus`): receptionists on the same bus see each other. */
export class InProcessRegistry implements Registry {
  readonly #table: Table
  readonly #own = new Set<ServiceEntry>()
  readonly #unwatch = new Set<() => void>()

  constructor(bus: object) {
    let t = tables.get(bus)
    if (!t) tables.set(bus, t = new Table())
    this.#table = t
  }

  async add(entry: ServiceEntry): Promise<void> {
    let m = this.#table.services.get(entry.service)
    if (!m) this.#table.services.set(entry.service, m = new Map())
    m.set(entry.name, entry)
    this.#own.add(entry)
    this.#table.changed(entry.service)
  }

  async remove(entry: ServiceEntry): Promise<void> {
    this.#own.delete(entry)
    const m = this.#table.services.get(entry.service)
    if (m?.get(entry.name) !== entry) return
    m.delete(entry.name)
    if (m.size === 0) this.#table.services.delete(entry.service)
    this.#table.changed(entry.service)
  }

  async read(service: string): Promise<ServiceEntry[]> {
    return this.#table.list(service)
  }

  watch(service: string, onChange: (entries: readonly ServiceEntry[]) => void): () => void {
    let set = this.#table.watchers.get(service)
    if (!set) this.#table.watchers.set(service, set = new Set())
    const w = (entries: readonly ServiceEntry[]): void => onChange(entries)
    set.add(w)
    const off = (): void => {
      this.#unwatch.delete(off)
      set.delete(w)
      if (set.size === 0 && this.#table.watchers.get(service) === set) this.#table.watchers.delete(service)
    }
    this.#unwatch.add(off)
    onChange(Object.freeze(this.#table.list(service)))
    return off
  }

  async close(): Promise<void> {
    for (const off of [...this.#unwatch]) off()
    await Promise.all([...this.#own].map((e) => this.remove(e)))
  }
}
