/**
 * `SqliteStore`: the `Store` contract in one SQLite file (better-sqlite3, an optional peer dependency loaded on
 * first use), in WAL mode, so a single process (or several on one machine) keeps its data across restarts. One
 * table `(key TEXT PRIMARY KEY, value BLOB, revision INTEGER)`; every write is an IMMEDIATE transaction, so a
 * compare-and-set holds between processes sharing the file too.
 */
import { InvalidArgumentError } from '../machine/index.js'
import { describe } from '../machine/internals.js'
import { readExpected, readList } from './check.js'
import { StoreClosedError, StoreConflictError, StoreCorruptError, StoreDriverError, StoreIoError } from './errors.js'
import type { DeleteOptions, ListOptions, PutOptions, Store, StoreEntry } from './types.js'
import { checkKey, copyValue, decodeValue, encodeValue, type StoreValue } from './value.js'
import type BetterSqlite3 from 'better-sqlite3'

type Db = BetterSqlite3.Database
type DriverCtor = new (path: string, options?: BetterSqlite3.Options) => Db

export interface SqliteStoreOptions {
  /** The table's name (default `'polymachine_store'`); letters, digits and `_`. Several stores may share a file. */
  table?: string
  /** How long a write waits for another process's lock before failing with `ERR_STORE_IO` (ms, default 5000). */
  busyTimeout?: number
  /**
   * `'normal'` (default): a committed write survives a crash of the process; `'full'`: also a power loss (an fsync
   * per write).
   */
  synchronous?: 'normal' | 'full'
}

interface Row {
  key: string
  value: unknown
  revision: number
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** The better-sqlite3 constructor, loaded once, lazily: a missing optional peer dependency is an `ERR_STORE_DRIVER`. */
let driver: Promise<DriverCtor> | undefined
function loadDriver(): Promise<DriverCtor> {
  driver ??= import('better-sqlite3').then(
    (mod: { default?: unknown }) => (mod.default ?? mod) as DriverCtor,
    (err: unknown) => {
      driver = undefined
      throw new StoreDriverError(
        'SqliteStore needs the optional peer dependency better-sqlite3 (npm install better-sqlite3@12), which could '
        + `not be loaded: ${err instanceof Error ? err.message : describe(err)}`, { cause: err })
    },
  )
  return driver
}

/**
 * A `Store` in a SQLite file.
 *
 * ```ts
 * import { SqliteStore } from 'polymachine/store'
 *
 * const store = await SqliteStore.open('./data.db')
 * await store.put('reminders/42', { at: Date.now() + 60_000 })
 * await store.close()
 * ```
 */
export class SqliteStore implements Store {
  private closed = false
  private readonly q: {
    get: BetterSqlite3.Statement<[string], Row>
    from: BetterSqlite3.Statement<[string], Row>
    after: BetterSqlite3.Statement<[string, string], Row>
    upsert: BetterSqlite3.Statement<[string, Buffer, number]>
    del: BetterSqlite3.Statement<[string]>
    next: BetterSqlite3.Statement<[], { value: number }>
  }
  private readonly putTx: (key: string, bytes: Buffer, expected: number | undefined) => number
  private readonly delTx: (key: string, expected: number | undefined) => boolean

  /**
   * Opens (creating if needed) the SQLite file at `path` and its table.
   * @throws StoreDriverError (`ERR_STORE_DRIVER`) when better-sqlite3 is not installed; `StoreIoError` when the
   * file cannot be opened.
   */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const where = 'SqliteStore.open()'
    if (typeof path !== 'string' || path === '' || path.includes('\0')) {
      throw new InvalidArgumentError(where, 'path', 'a file path', path)
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(where, 'options', 'an options object', options)
    const { table = 'polymachine_store', busyTimeout = 5000, synchronous = 'normal' } = { ...options }
    if (typeof table !== 'string' || !NAME.test(table)) throw new InvalidArgumentError(where, 'options.table', 'a table name (letters, digits, _)', table)
    if (typeof busyTimeout !== 'number' || !Number.isSafeInteger(busyTimeout) || busyTimeout < 0) {
      throw new InvalidArgumentError(where, 'options.busyTimeout', 'an integer number of ms ≥ 0', busyTimeout)
    }
    if (synchronous !== 'normal' && synchronous !== 'full') {
      throw new InvalidArgumentError(where, 'options.synchronous', "'normal' or 'full'", synchronous)
    }
    const Database = await loadDriver()
    let db: Db | undefined
    try {
      db = new Database(path, { timeout: busyTimeout })
      db.pragma('journal_mode = WAL')
      db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
      return new SqliteStore(db, table, path)
    } catch (err) {
      db?.close()
      throw new StoreIoError(path, 'open', { cause: err })
    }
  }

  private constructor(private readonly db: Db, table: string, readonly name: string) {
    const t = `"${table}"`
    const meta = `"${table}_meta"`
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL, revision INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${meta} (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
      INSERT OR IGNORE INTO ${meta} (name, value) VALUES ('revision', 0);`)
    this.q = {
      get: db.prepare(`SELECT key, value, revision FROM ${t} WHERE key = ?`),
      from: db.prepare(`SELECT key, value, revision FROM ${t} WHERE key >= ? ORDER BY key`),
      after: db.prepare(`SELECT key, value, revision FROM ${t} WHERE key >= ? AND key > ? ORDER BY key`),
      upsert: db.prepare(`INSERT INTO ${t} (key, value, revision) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision`),
      del: db.prepare(`DELETE FROM ${t} WHERE key = ?`),
      next: db.prepare(`UPDATE ${meta} SET value = value + 1 WHERE name = 'revision' RETURNING value`),
    }
    const put = db.transaction((key: string, bytes: Buffer, expected: number | undefined): number => {
      this.check(key, expected)
      const revision = (this.q.next.get() as { value: number }).value
      this.q.upsert.run(key, bytes, revision)
      return revision
    })
    const del = db.transaction((key: string, expected: number | undefined): boolean => {
      this.check(key, expected)
      return this.q.del.run(key).changes > 0
    })
    // IMMEDIATE: take the write lock before reading the revision, so no other process writes in between
    this.putTx = (key, bytes, expected) => put.immediate(key, bytes, expected)
    this.delTx = (key, expected) => del.immediate(key, expected)
  }

  get(key: string): Promise<StoreEntry | undefined> {
    checkKey(this.where('get'), 'key', key)
    return this.run('get', () => {
      const row = this.q.get.get(key)
      return row && this.entry(row)
    })
  }

  put(key: string, value: StoreValue, options?: PutOptions): Promise<number> {
    const where = this.where('put')
    checkKey(where, 'key', key)
    const bytes = encodeValue(copyValue(where, 'value', value))
    const expected = readExpected(where, options)
    return this.run('put', () => this.putTx(key, bytes, expected))
  }

  delete(key: string, options?: DeleteOptions): Promise<boolean> {
    const where = this.where('delete')
    checkKey(where, 'key', key)
    const expected = readExpected(where, options)
    return this.run('delete', () => this.delTx(key, expected))
  }

  list(options?: ListOptions): Promise<StoreEntry[]> {
    const { prefix, after, limit } = readList(this.where('list'), options)
    return this.run('list', () => {
      const out: StoreEntry[] = []
      const rows = after === undefined ? this.q.from.iterate(prefix) : this.q.after.iterate(prefix, after)
      // keys with one prefix are contiguous in key order: stop at the first that does not start with it
      for (const row of rows) {
        if (!row.key.startsWith(prefix) || out.length >= limit) break
        out.push(this.entry(row))
      }
      return out
    })
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    try {
      this.db.close()
    } catch (err) {
      return Promise.reject(new StoreIoError(this.name, 'close', { cause: err }))
    }
    return Promise.resolve()
  }

  private check(key: string, expected: number | undefined): void {
    if (expected === undefined) return
    const actual = this.q.get.get(key)?.revision ?? 0
    if (actual !== expected) throw new StoreConflictError(this.name, key, expected, actual)
  }

  private entry(row: Row): StoreEntry {
    if (!(row.value instanceof Uint8Array) || typeof row.revision !== 'number') throw new StoreCorruptError(this.name, row.key)
    try {
      return { key: row.key, value: decodeValue(row.value), revision: row.revision }
    } catch (err) {
      throw new StoreCorruptError(this.name, row.key, { cause: err })
    }
  }

  /** Runs a synchronous driver call; its failures become rejections (`ERR_STORE_IO` unless already a store error). */
  private run<T>(what: string, fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError(this.name, what))
    try {
      return Promise.resolve(fn())
    } catch (err) {
      if (err instanceof StoreConflictError || err instanceof StoreCorruptError) return Promise.reject(err)
      return Promise.reject(new StoreIoError(this.name, what, { cause: err }))
    }
  }

  private where(method: string): string {
    return `store ${this.name}: ${method}()`
  }
}
