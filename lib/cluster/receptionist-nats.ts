/**
 * The receptionist's registry over NATS: one KV bucket (`<prefix>_receptionist`) whose bucket TTL drops entries that
 * stop being refreshed (every heartbeat re-puts each registration), so a dead node's services disappear (nats-server
 * 2.9 ignores per-key TTLs). Key: `<service>.<node>.<actor>`, each token base64url.
 *
 * Watching uses no JetStream consumer: a core subscription on the bucket's subjects sees every put and delete as it
 * is stored, and a reconciliation (the stream's subject list, no consumer either) catches what a push cannot say —
 * TTL expiries, which leave no message — and what was missed while disconnected. It runs every heartbeat while
 * someone watches, and at once after each reconnection. So a server restart or a reconnect storm leaves no
 * ephemeral consumer behind (there is none to pile up), and the core subscription is re-made by the client itself.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import { encode } from '../rpc/index.js'
import { idToken } from './nats-port.js'
import { byNodeThenActor, entryOf, type Registry, type ServiceEntry } from './receptionist-registry.js'

/** What a watched service's subscribers share: its entries, one core subscription, one reconciliation at a time. */
interface Watched {
  readonly service: string
  readonly known: Map<string, ServiceEntry>
  readonly listeners: Set<(entries: readonly ServiceEntry[]) => void>
  readonly sub: Subscription
  /** Last time (ms) each key was confirmed (pushed or read): a reconciliation older than that does not drop it. */
  readonly seen: Map<string, number>
  reconciling: boolean
  /** A reconciliation was asked while one ran: run again after it. */
  again: boolean
  /** The first listing went out (later watchers get the current one at once). */
  emitted: boolean
}

const VALUE = encode({ v: 1 })

export class NatsRegistry implements Registry {
  readonly #own = new Map<string, ServiceEntry>()
  readonly #watched = new Map<string, Watched>()
  readonly #timer: NodeJS.Timeout
  readonly #status: AsyncIterable<{ type: string }> & { stop?: () => void }
  #beating = false
  #closed = false

  private constructor(private readonly nc: NatsConnection, private readonly kv: KV, private readonly jsm: JetStreamManager,
    private readonly bucket: string, heartbeat: number, private readonly onError: (err: unknown) => void) {
    this.#timer = setInterval(() => this.#tick(), heartbeat)
    this.#timer.unref()
    this.#status = nc.status() as unknown as AsyncIterable<{ type: string }> & { stop?: () => void }
    void this.#follow()
  }

  /** Opens (or creates) the bucket `bucket` with a TTL of `ttl` ms; refreshes and reconciles every `heartbeat` ms. */
  static async open(nc: NatsConnection, bucket: string, ttl: number, heartbeat: number,
    onError: (err: unknown) => void): Promise<NatsRegistry> {
    const kvm = new Kvm(nc)
    const kv = await kvm.create(bucket, { ttl, history: 1 }).catch(() => kvm.open(bucket))
    return new NatsRegistry(nc, kv, await jetstreamManager(nc), bucket, heartbeat, onError)
  }

  async add(entry: ServiceEntry): Promise<void> {
    const key = kvKey(entry)
    this.#own.set(key, entry)
    await this.kv.put(key, VALUE)
  }

  async remove(entry: ServiceEntry): Promise<void> {
    const key = kvKey(entry)
    if (!this.#own.delete(key)) return
    await this.kv.delete(key) // watchers are told at once; the TTL would drop it anyway
  }

  async read(service: string): Promise<ServiceEntry[]> {
    const keys = await this.#keys(service)
    const live = await Promise.all(keys.map(async (k) => (await this.#live(k)) ? entryOfKey(k) : undefined))
    return live.filter((e): e is ServiceEntry => e !== undefined && e.service === service).sort(byNodeThenActor)
  }

  watch(service: string, onChange: (entries: readonly ServiceEntry[]) => void): () => void {
    let w = this.#watched.get(service)
    if (!w) {
      const filter = `$KV.${this.bucket}.${idToken(service)}.*.*`
      const made: Watched = {
        service, known: new Map(), listeners: new Set(), seen: new Map(), reconciling: false, again: false, emitted: false,
        sub: this.nc.subscribe(filter, { callback: (err, msg) => { if (!err) this.#pushed(made, msg.subject, msg.headers?.get('KV-Operation') || 'PUT') } }),
      }
      this.#watched.set(service, w = made)
      this.#reconcile(made)
    } else if (w.emitted) {
      onChange(listing(w))
    }
    const watched = w
    watched.listeners.add(onChange)
    return () => {
      watched.listeners.delete(onChange)
      if (watched.listeners.size > 0 || this.#watched.get(service) !== watched) return
      this.#watched.delete(service)
      watched.sub.unsubscribe()
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#status.stop?.()
    for (const w of this.#watched.values()) w.sub.unsubscribe()
    this.#watched.clear()
    const own = [...this.#own.values()]
    this.#own.clear()
    await Promise.all(own.map((e) => this.kv.delete(kvKey(e)).catch((err: unknown) => this.onError(err))))
  }

  /** A put or delete stored in the bucket, seen by the core subscription. */
  #pushed(w: Watched, subject: string, op: string): void {
    const key = subject.slice(`$KV.${this.bucket}.`.length)
    const entry = entryOfKey(key)
    if (entry === undefined || entry.service !== w.service) return
    w.seen.set(key, Date.now())
    if (op === 'PUT') {
      if (w.known.has(key)) return // a heartbeat
      w.known.set(key, entry)
    } else if (!w.known.delete(key)) return
    emit(w)
  }

  /** Reads the bucket's keys of `w.service` and brings `w.known` in line: expired entries go, missed ones come. */
  #reconcile(w: Watched): void {
    if (w.reconciling) {
      w.again = true
      return
    }
    w.reconciling = true
    const started = Date.now()
    void (async () => {
      const keys = await this.#keys(w.service)
      const present = new Set(keys)
      let changed = false
      for (const key of [...w.known.keys()]) {
        if (!present.has(key) && (w.seen.get(key) ?? 0) < started) {
          w.known.delete(key)
          w.seen.delete(key)
          changed = true
        }
      }
      // subjects still holding a delete marker are listed too: only keys whose last write is a put are live
      const unknown = keys.filter((k) => !w.known.has(k))
      const live = await Promise.all(unknown.map((k) => this.#live(k)))
      unknown.forEach((key, i) => {
        const entry = entryOfKey(key)
        if (!live[i] || entry === undefined || w.known.has(key) || (w.seen.get(key) ?? 0) > started) return
        w.known.set(key, entry)
        changed = true
      })
      // what was seen before this read and is gone now is settled: forget it, so `seen` stays as large as `known`
      for (const [key, at] of w.seen) if (at < started && !w.known.has(key)) w.seen.delete(key)
      if (changed || !w.emitted) emit(w)
    })().catch((err: unknown) => {
      this.onError(err)
      if (!w.emitted) emit(w) // first listing: what is known (nothing) rather than silence
    }).finally(() => {
      w.reconciling = false
      if (w.again && !this.#closed && this.#watched.get(w.service) === w) {
        w.again = false
        this.#reconcile(w)
      }
    })
  }

  /** Every heartbeat: refreshes this node's entries (one round at a time) and reconciles watched services. */
  #tick(force = false): void {
    if (this.#closed) return
    if (!this.#beating || force) {
      const puts = [...this.#own.keys()].map((k) => this.kv.put(k, VALUE).catch((err: unknown) => this.onError(err)))
      if (puts.length > 0) {
        this.#beating = true
        void Promise.all(puts).finally(() => { this.#beating = false })
      }
    }
    for (const w of this.#watched.values()) this.#reconcile(w)
  }

  /** After a reconnection: back in the bucket at once, and whatever happened meanwhile is read again. */
  async #follow(): Promise<void> {
    for await (const s of this.#status) {
      if (this.#closed) break
      if (s.type === 'reconnect') this.#tick(true)
    }
  }

  /** The bucket's keys under `service` (from the stream's per-subject counts: no consumer is made). */
  async #keys(service: string): Promise<string[]> {
    const prefix = `$KV.${this.bucket}.`
    const si = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}${idToken(service)}.>` })
    return Object.keys(si.state.subjects ?? {}).map((s) => s.slice(prefix.length))
  }

  async #live(key: string): Promise<boolean> {
    const e = await this.kv.get(key)
    return e !== null && e.operation === 'PUT'
  }
}

function emit(w: Watched): void {
  w.emitted = true
  const entries = listing(w)
  for (const l of [...w.listeners]) l(entries)
}

function listing(w: Watched): readonly ServiceEntry[] {
  return Object.freeze([...w.known.values()].sort(byNodeThenActor))
}

function kvKey(e: ServiceEntry): string {
  return `${idToken(e.service)}.${idToken(e.node)}.${idToken(e.actor)}`
}

/** The entry a key names, or undefined when it is not one of ours. */
function entryOfKey(key: string): ServiceEntry | undefined {
  const parts = key.split('.')
  if (parts.length !== 3) return undefined
  const [s, n, a] = parts.map(fromToken) as [string | undefined, string | undefined, string | undefined]
  return s === undefined || n === undefined || a === undefined ? undefined : entryOf(s, n, a)
}

function fromToken(t: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(t)) return undefined
  const v = Buffer.from(t, 'base64url').toString('utf8')
  return idToken(v) === t ? v : undefined
}
