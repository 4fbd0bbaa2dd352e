/**
 * polymachine/store: key-value stores with compare-and-set by revision, for persistent actor state and durable
 * reminders. `MemoryStore` for tests, `SqliteStore` (optional peer dependency better-sqlite3) for one process.
 * @module polymachine/store
 */
export type { DeleteOptions, ListOptions, PutOptions, Store, StoreEntry } from './types.js'
export { MemoryStore, type MemoryStoreOptions } from './memory.js'
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js'
export { checkKey, copyValue, compareKeys, MAX_DEPTH, MAX_KEY_LENGTH, type StoreValue } from './value.js'
export {
  StoreClosedError, StoreConflictError, StoreCorruptError, StoreDriverError, StoreError, StoreIoError, StoreTimeoutError,
  isStoreError, type StoreErrorCode,
} from './errors.js'
/** Option readers for Store implementations, so a new store refuses the same inputs with the same errors. */
export { readExpected, readList, type CheckedList } from './check.js'
/** Bounding calls to a store that may never answer (what persistent actors and reminders use). */
export { callStore, checkStoreTimeout, DEFAULT_STORE_TIMEOUT, StoreCallTimers, type LateOutcome } from './timeout.js'
