/**
 * `NatsKvStore`: the `Store` contract over a NATS KV bucket (JetStream). A key's revision is the bucket stream's
 * sequence of its last write, so revisions grow across keys and never come back after a delete; compare-and-set is
 * the server's expected-last-subject-sequence check (atomic on the server, whatever the number of writers).
 */
import type * as JetStreamModule from '@nats-io/jetstream'
import type { JetStreamManager } from '@nats-io/jetstream'
import type * as KvModule from '@nats-io/kv'
import type { KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { Packr } from 'msgpackr'
import { InvalidArgumentError } from '../machine/index.js'
import {
  checkKey, compareKeys, copyValue, readExpected, readList, StoreClosedError, StoreConflictError, StoreCorruptError, StoreDriverError, StoreIoError,
  type DeleteOptions, type ListOptions, type PutOptions, type Store, type StoreEntry, type StoreValue,
} from '../store/index.js'

/** Options of {@link NatsKvStore.open}. */
export interface NatsKvStoreOptions {
  /** The bucket (created when missing): letters, digits, `-` and `_`. */
  bucket: string
}

/** Same msgpack settings as the other stores: plain data only, no records. */
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false, structuredClone: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'number' })

/** Gets `list()` has in flight at once. */
const READ_BATCH = 64

/** JetStream's "wrong last sequence" API errors: a compare-and-set lost. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164])

/**
 * A `Store` in a NATS KV bucket, shared by every process connected to the server. It uses a connection it does not
 * own (a `NatsBus`'s, or your own): `close()` stops the store, not the connection.
 *
 * ```ts
 * const bus = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222' })
 * const store = await NatsKvStore.open(bus, { bucket: 'accounts' })
 * const rev = await store.put('accounts/42', { balance: 5 }, { expected: 0 }) // create, only if absent
 * await store.put('accounts/42', { balance: 7 }, { expected: rev })           // update, only if unchanged
 * ```
 *
 * Keys are escaped into NATS subject characters (`a-z A-Z 0-9 - _ /` stay as they are, other characters become
 * `=XX` per UTF-8 byte). `list()` reads every key name of the bucket and sorts them here: meant for thousands of
 * keys, not millions.
 */
export class NatsKvStore implements Store {
  #closed = false

  private constructor(private readonly kv: KV, private readonly jsm: JetStreamManager, readonly name: string,
    private readonly bucket: string) {}

  /**
   * Opens (or creates) the bucket. `conn`: a `NatsBus` or a `NatsConnection`. Rejects with `StoreDriverError` when
   * `@nats-io/kv` is not installed, `StoreIoError` when the bucket cannot be opened (no JetStream?).
   */
  static async open(conn: { nc: NatsConnection } | NatsConnection, options: NatsKvStoreOptions): Promise<NatsKvStore> {
    const where = 'NatsKvStore.open()'
    if (typeof conn !== 'object' || conn === null) throw new InvalidArgumentError(where, 'conn', 'a NatsBus or a NatsConnection', conn)
    const nc = 'nc' in conn ? conn.nc : conn
    if (typeof nc !== 'object' || nc === null || typeof (nc as Partial<NatsConnection>).request !== 'function') {
      throw new InvalidArgumentError(where, 'conn', 'a NatsBus or a NatsConnection', conn)
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(where, 'options', 'an object', options)
    const bucket = options.bucket
    if (typeof bucket !== 'string' || !/^[A-Za-z0-9_-]+$/.test(bucket)) {
      throw new InvalidArgumentError(where, 'options.bucket', 'letters, digits, - and _', bucket)
    }
    let mods: [typeof KvModule, typeof JetStreamModule]
    try {
      mods = await Promise.all([import('@nats-io/kv'), import('@nats-io/jetstream')])
    } catch (err) {
      throw new StoreDriverError('NatsKvStore needs the optional peer dependencies @nats-io/kv and @nats-io/jetstream '
        + `(npm install @nats-io/kv@3 @nats-io/jetstream@3): ${String(err)}`, { cause: err })
    }
    const kvm = new mods[0].Kvm(nc)
    const name = `nats-kv:${bucket}`
    try {
      const kv = await kvm.create(bucket, { history: 1 }).catch(() => kvm.open(bucket))
      return new NatsKvStore(kv, await mods[1].jetstreamManager(nc), name, bucket)
    } catch (err) {
      throw new StoreIoError(name, 'opening the bucket (is JetStream enabled?)', { cause: err })
    }
  }

  get(key: string): Promise<StoreEntry | undefined> {
    checkKey(this.#where('get'), 'key', key)
    return this.#run('get', () => this.#read(key))
  }

  put(key: string, value: StoreValue, options?: PutOptions): Promise<number> {
    const where = this.#where('put')
    checkKey(where, 'key', key)
    const bytes = packr.pack(copyValue(where, 'value', value))
    const expected = readExpected(where, options)
    return this.#run('put', async () => {
      const k = encodeKey(key)
      if (expected === undefined) return await this.kv.put(k, bytes)
      // One read gives both the live revision and the subject's last sequence (a deleted key keeps a delete marker,
      // which a re-create must name). Two reads let a racer see the winner's write as "the marker" and win too.
      const last = await this.kv.get(k)
      const actual = last !== null && last.operation === 'PUT' ? last.revision : 0
      if (actual !== expected) throw new StoreConflictError(this.name, key, expected, actual)
      const previous = last === null ? 0 : last.revision
      return await this.#cas(key, expected, () => this.kv.put(k, bytes, { previousSeq: previous }))
    })
  }

  delete(key: string, options?: DeleteOptions): Promise<boolean> {
    const where = this.#where('delete')
    checkKey(where, 'key', key)
    const expected = readExpected(where, options)
    return this.#run('delete', async () => {
      const cur = await this.#read(key)
      const actual = cur?.revision ?? 0
      if (expected !== undefined && actual !== expected) throw new StoreConflictError(this.name, key, expected, actual)
      if (cur === undefined) return false
      // always conditional on what was read, so "was it there" is answered for the write that happened
      await this.#cas(key, actual, () => this.kv.delete(encodeKey(key), { previousSeq: actual }))
      return true
    })
  }

  list(options?: ListOptions): Promise<StoreEntry[]> {
    const { prefix, after, limit } = readList(this.#where('list'), options)
    return this.#run('list', async () => {
      const keys = (await this.#keys()).filter((k) => k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0))
        .sort(compareKeys)
      const out: StoreEntry[] = []
      // keys of deleted entries are listed too: read in batches until `limit` live ones are found
      for (let i = 0; i < keys.length && out.length < limit; i += READ_BATCH) {
        const batch = await Promise.all(keys.slice(i, i + READ_BATCH).map((k) => this.#read(k)))
        for (const e of batch) if (e !== undefined && out.length < limit) out.push(e)
      }
      return out
    })
  }

  /** Stops the store (the connection stays open); later calls reject with `StoreClosedError`. Idempotent. */
  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  async #read(key: string): Promise<StoreEntry | undefined> {
    const e = await this.kv.get(encodeKey(key))
    if (e === null || e.operation !== 'PUT') return undefined
    let value: StoreValue
    try {
      value = copyValue('NatsKvStore', 'value', packr.unpack(e.value)) // a checked, plain copy (Buffers → Uint8Array)
    } catch (err) {
      throw new StoreCorruptError(this.name, key, { cause: err })
    }
    return { key, value, revision: e.revision }
  }

  /** Runs a conditional write; a lost race becomes a `StoreConflictError` with the revision found after it. */
  async #cas(key: string, expected: number, write: () => Promise<number | void>): Promise<number> {
    try {
      return (await write()) ?? 0
    } catch (err) {
      if (!WRONG_LAST_SEQUENCE.has((err as { code?: unknown }).code as number)) throw err
      const now = await this.#read(key)
      throw new StoreConflictError(this.name, key, expected, now?.revision ?? 0)
    }
  }

  /**
   * The key names in the bucket, from the stream's per-subject counts: no consumer is made (`kv.keys()` makes one
   * per call). Names that are not ours (not decodable) are skipped.
   */
  async #keys(): Promise<string[]> {
    const subjectPrefix = `$KV.${this.bucket}.`
    const si = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${subjectPrefix}>` })
    const out: string[] = []
    for (const s of Object.keys(si.state.subjects ?? {})) {
      const k = decodeKey(s.slice(subjectPrefix.length))
      if (k !== undefined) out.push(k)
    }
    return out
  }

  /** Rejects when closed; wraps failures of the server or connection into `StoreIoError`. */
  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreClosedError(this.name, what)
    try {
      return await fn()
    } catch (err) {
      if (err instanceof StoreConflictError || err instanceof StoreCorruptError) throw err
      throw new StoreIoError(this.name, what, { cause: err })
    }
  }

  #where(method: string): string {
    return `NatsKvStore(${this.bucket}).${method}()`
  }
}

const SAFE = /^[A-Za-z0-9/_-]$/

/** A store key as a NATS KV key: safe characters kept, the rest `=XX` per UTF-8 byte. */
export function encodeKey(key: string): string {
  let out = ''
  for (const ch of key) {
    if (SAFE.test(ch)) out += ch
    else for (const b of Buffer.from(ch, 'utf8')) out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The store key of a NATS KV key, or undefined when it is not one `encodeKey` makes. */
export function decodeKey(k: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < k.length; i++) {
    const c = k[i] as string
    if (c !== '=') {
      if (!SAFE.test(c)) return undefined
      bytes.push(c.charCodeAt(0))
      continue
    }
    const hex = k.slice(i + 1, i + 3)
    if (!/^[0-9A-F]{2}$/.test(hex)) return undefined
    bytes.push(parseInt(hex, 16))
    i += 2
  }
  const key = Buffer.from(bytes).toString('utf8')
  return encodeKey(key) === k ? key : undefined
}
