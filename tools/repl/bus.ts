/**
 * polymachine-repl over the cluster bus: a `nats://` URL connects a {@link NatsBus} instead of one RPC machine.
 * `list` then shows every machine the bus lists (id, tags, parent, the node exposing it), and `use ID` (or
 * `--machine ID`) mirrors one with `bus.machine(id)`; the other commands work on that mirror as on any RPC one.
 */
import { ClusterError, NatsBus, type Bus, type MachineInfo } from '../../lib/cluster/index.js'
import type { RemoteMachine } from '../../lib/rpc/index.js'

/** A bus the REPL is connected to. */
export interface ReplBus {
  /** The URL it was given (shown by `list`). */
  readonly url: string
  readonly bus: Bus
  /** Names (in `Repl.machines`) of the mirrors made through it. */
  readonly mirrored: Set<string>
  /** Deadline of listing and mirroring, ms. */
  readonly timeout: number
}

/** True for a URL naming a NATS server rather than a served machine. */
export function isBusUrl(url: string): boolean {
  return /^nats:\/\//i.test(url)
}

/** Connects to the NATS server at `url` as a bus with subject prefix `prefix`; rejects with the bus's `ClusterError`. */
export async function connectBus(url: string, prefix: string, timeout: number): Promise<ReplBus> {
  const bus = await NatsBus.connect({ servers: url, prefix, timeout, id: `repl-${process.pid}-${Date.now().toString(36)}` })
  return { url, bus, mirrored: new Set(), timeout }
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClusterError('ERR_CLUSTER_NETWORK', `${what} took longer than ${ms} ms`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/**
 * The bus's listing as lines: `* id node:NODE tags:a,b parent:P (clock)`; `*` marks the current machine, a clock
 * shows a machine mirrored here.
 */
export async function listBus(b: ReplBus, machines: ReadonlyMap<string, RemoteMachine<string>>, current: string | null): Promise<string[]> {
  const infos: MachineInfo[] = await deadline(b.bus.list(), b.timeout, `listing ${b.url}`)
  infos.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
  const lines = infos.map((i) => {
    const m = b.mirrored.has(i.id) ? machines.get(i.id) : undefined
    return [i.id === current ? '*' : ' ', i.id, `node:${i.node}`, i.tags.length ? `tags:${i.tags.join(',')}` : '',
      i.parent !== null ? `parent:${i.parent}` : '', m ? m.toString() : ''].filter(Boolean).join(' ')
  })
  return [`${b.url}: ${infos.length} machine${infos.length === 1 ? '' : 's'}`, ...lines]
}

/**
 * Mirrors machine `id` from the first bus that serves it. Rejects with `ERR_CLUSTER_NOT_FOUND` when none does (the
 * last bus's error), or the mirror's connect error.
 */
export async function mirrorFromBus(buses: readonly ReplBus[], id: string): Promise<{ bus: ReplBus; machine: RemoteMachine<string> }> {
  let last: unknown = new Error(`no bus to find machine ${id} on`)
  for (const b of buses) {
    try {
      return { bus: b, machine: await b.bus.machine(id, { timeout: b.timeout }) }
    } catch (err) {
      last = err
      if ((err as { code?: unknown } | null)?.code !== 'ERR_CLUSTER_NOT_FOUND') throw err
    }
  }
  throw last
}
