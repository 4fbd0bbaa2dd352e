/**
 * `MemoryStore`: the `Store` contract in a Map, for tests and single-process caches. Values are kept encoded (as the
 * SQLite store keeps them), so what `get` returns is always a fresh copy and behaves exactly like a stored value.
 */
import { InvalidArgumentError } from '../machine/index.js'
import { readExpected, readList } from './check.js'
import { StoreClosedError, StoreConflictError } from './errors.js'
import type { DeleteOptions, ListOptions, PutOptions, Store, StoreEntry } from './types.js'
import { checkKey, compareKeys, copyValue, decodeValue, encodeValue, type StoreValue } from './value.js'

interface Cell {
  bytes: Buffer
  revision: number
}

export interface MemoryStoreOptions {
  /** Names the store in error messages (default `'memory'`). */
  name?: string
}

/**
 * A `Store` in memory.
 *
 * ```ts
 * import { MemoryStore } from 'polymachine/store'
 *
 * const store = new MemoryStore()
 * await store.put('carts/7', { items: ['apple'] })
 * console.log(await store.list({ prefix: 'carts/' })) // [{ key: 'carts/7', value: { items: ['apple'] }, revision: 1 }]
 * ```
 */
export class MemoryStore implements Store {
  readonly name: string
  private readonly cells = new Map<string, Cell>()
  private revision = 0
  private closed = false

  constructor(options: MemoryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('new MemoryStore()', 'options', 'an options object', options)
    const name = options.name ?? 'memory'
    if (typeof name !== 'string') throw new InvalidArgumentError('new MemoryStore()', 'options.name', 'a string', name)
    this.name = name
  }

  /** Keys stored now. */
  get size(): number {
    return this.cells.size
  }

  get(key: string): Promise<StoreEntry | undefined> {
    checkKey(this.where('get'), 'key', key)
    if (this.closed) return Promise.reject(new StoreClosedError(this.name, 'get'))
    const cell = this.cells.get(key)
    return Promise.resolve(cell && { key, value: decodeValue(cell.bytes), revision: cell.revision })
  }

  put(key: string, value: StoreValue, options?: PutOptions): Promise<number> {
    const where = this.where('put')
    checkKey(where, 'key', key)
    const bytes = encodeValue(copyValue(where, 'value', value))
    const expected = readExpected(where, options)
    if (this.closed) return Promise.reject(new StoreClosedError(this.name, 'put'))
    const cell = this.cells.get(key)
    const actual = cell?.revision ?? 0
    if (expected !== undefined && expected !== actual) {
      return Promise.reject(new StoreConflictError(this.name, key, expected, actual))
    }
    const revision = ++this.revision
    this.cells.set(key, { bytes, revision })
    return Promise.resolve(revision)
  }

  delete(key: string, options?: DeleteOptions): Promise<boolean> {
    const where = this.where('delete')
    checkKey(where, 'key', key)
    const expected = readExpected(where, options)
    if (this.closed) return Promise.reject(new StoreClosedError(this.name, 'delete'))
    const actual = this.cells.get(key)?.revision ?? 0
    if (expected !== undefined && expected !== actual) {
      return Promise.reject(new StoreConflictError(this.name, key, expected, actual))
    }
    return Promise.resolve(this.cells.delete(key))
  }

  list(options?: ListOptions): Promise<StoreEntry[]> {
    const { prefix, after, limit } = readList(this.where('list'), options)
    if (this.closed) return Promise.reject(new StoreClosedError(this.name, 'list'))
    const keys: string[] = []
    for (const k of this.cells.keys()) {
      if (k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0)) keys.push(k)
    }
    keys.sort(compareKeys)
    const out: StoreEntry[] = []
    for (const key of keys.slice(0, limit)) {
      const cell = this.cells.get(key) as Cell
      out.push({ key, value: decodeValue(cell.bytes), revision: cell.revision })
    }
    return Promise.resolve(out)
  }

  close(): Promise<void> {
    this.closed = true
    this.cells.clear()
    return Promise.resolve()
  }

  private where(method: string): string {
    return `store ${this.name}: ${method}()`
  }
}
