/**
 * Presence of exposed machines in a NATS KV bucket whose bucket TTL (max age) removes entries that stop being
 * refreshed: every heartbeat re-puts each entry, so a process that died leaves the listing within one TTL.
 * (nats-server 2.9 ignores per-key TTLs, hence one TTL for the whole bucket.)
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import type { KV } from '@nats-io/kv'
import { Kvm } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { decode, encode } from '../rpc/index.js'
import { matches, type ListFilter, type MachineInfo } from './bus.js'
import { idToken } from './nats-port.js'

export class Presence {
  readonly #entries = new Map<string, MachineInfo>()
  #timer: NodeJS.Timeout | null = null
  /** The beat whose puts are in flight (0: none). */
  #beating = 0
  #beats = 0

  private constructor(readonly kv: KV, private readonly jsm: JetStreamManager, private readonly bucket: string,
    private readonly onError: (err: unknown) => void) {}

  /** Opens (or creates) the bucket `name` with a TTL of `ttl` ms and starts beating every `heartbeat` ms. */
  static async open(nc: NatsConnection, name: string, ttl: number, heartbeat: number,
    onError: (err: unknown) => void): Promise<Presence> {
    const kvm = new Kvm(nc)
    let kv: KV
    try {
      kv = await kvm.create(name, { ttl, history: 1 })
    } catch {
      kv = await kvm.open(name) // made by another bus with other settings: use it as it is
    }
    const p = new Presence(kv, await jetstreamManager(nc), name, onError)
    p.#timer = setInterval(() => p.beat(), heartbeat)
    return p
  }

  /** Announces `info` now and at every heartbeat. */
  async add(info: MachineInfo): Promise<void> {
    this.#entries.set(info.id, info)
    await this.kv.put(idToken(info.id), encode(info))
  }

  /** Leaves the listing (best effort: the TTL removes it anyway). */
  async remove(id: string): Promise<void> {
    if (!this.#entries.delete(id)) return
    try {
      await this.kv.delete(idToken(id))
    } catch (err) {
      this.onError(err)
    }
  }

  /**
   * Re-puts every entry (a heartbeat, or right after a reconnection). Skipped while the last beat's puts are still
   * in flight (a slow or unreachable server): puts never pile up faster than the server answers. `force` (after a
   * reconnection) beats anyway: puts sent before the connection dropped may not be answered for a while.
   */
  beat(force = false): void {
    if (this.#beating !== 0 && !force) return
    const puts = [...this.#entries.values()].map((info) =>
      this.kv.put(idToken(info.id), encode(info)).catch((err: unknown) => this.onError(err)))
    if (puts.length === 0) return
    const beat = ++this.#beats
    this.#beating = beat
    void Promise.all(puts).finally(() => { if (this.#beating === beat) this.#beating = 0 })
  }

  /** The live entries matching `filter`. */
  async list(filter: ListFilter): Promise<MachineInfo[]> {
    const keys: string[] = []
    if (filter.id !== undefined) keys.push(idToken(filter.id))
    else keys.push(...await this.#keys())
    const found = await Promise.all(keys.map(async (k) => {
      const e = await this.kv.get(k)
      if (e === null || e.operation !== 'PUT' || e.value.length === 0) return null
      let info: MachineInfo | null
      try {
        info = infoFromWire(decode(e.value))
      } catch {
        return null // not msgpack: not an entry of ours
      }
      return info !== null && matches(info, filter) ? info : null
    }))
    return found.filter((i): i is MachineInfo => i !== null).sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  }

  /**
   * The keys in the bucket, from the stream's per-subject counts: no consumer is made (`kv.keys()` makes one per
   * call, and leaves it behind when the bucket is empty, so frequent listings would pile consumers up).
   */
  async #keys(): Promise<string[]> {
    const prefix = `$KV.${this.bucket}.`
    const si = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}>` })
    return Object.keys(si.state.subjects ?? {}).map((s) => s.slice(prefix.length))
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  /** Removes this process's entries (on close). */
  async clear(): Promise<void> {
    this.stop()
    await Promise.all([...this.#entries.keys()].map((id) => this.remove(id)))
  }
}

/** A listing entry read from the bucket, checked (another process wrote it). */
function infoFromWire(v: unknown): MachineInfo | null {
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  const tags = o.tags
  if (typeof o.id !== 'string' || typeof o.node !== 'string' || !Array.isArray(tags)
    || !tags.every((t) => typeof t === 'string') || (o.parent !== null && typeof o.parent !== 'string')) return null
  return { id: o.id, tags: tags as string[], parent: o.parent as string | null, node: o.node }
}
