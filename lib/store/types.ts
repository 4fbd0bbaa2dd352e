/**
 * The `Store` contract: a key-value map with a revision per key for compare-and-set. Every implementation passes
 * the same contract tests (spec/store/contract.spec.ts).
 */
import type { StoreValue } from './value.js'

/** One stored key. */
export interface StoreEntry<V extends StoreValue = StoreValue> {
  readonly key: string
  /** A fresh copy of the stored value. */
  readonly value: V
  /**
   * Changes at every write of the key. Revisions come from one counter per store, so they only grow and a key that
   * is deleted and written again never gets an old revision back.
   */
  readonly revision: number
}

export interface PutOptions {
  /**
   * Compare-and-set: write only if the key is at this revision now (`0`: only if the key is absent); otherwise
   * nothing is written and the promise rejects with `StoreConflictError` (`ERR_STORE_CONFLICT`). Omitted: write
   * whatever the key holds.
   */
  expected?: number
}

export interface DeleteOptions {
  /** Compare-and-delete: as `PutOptions.expected` (`0` conflicts unless the key is absent). */
  expected?: number
}

export interface ListOptions {
  /** Only keys that start with it (default `''`: all). Use a separator in keys (`'accounts/'`) to namespace them. */
  prefix?: string
  /** Only keys after this one, for paging: pass the last key of the previous page. */
  after?: string
  /** At most this many entries (default 1000; an integer ≥ 1). */
  limit?: number
}

/**
 * A key-value store with compare-and-set by revision. Keys are strings (see `checkKey`), values plain data
 * (`StoreValue`). Methods validate their arguments synchronously (throwing `InvalidArgumentError` /
 * `OutOfRangeError`) and report storage failures as rejections with a `StoreError` code.
 *
 * ```ts
 * import { MemoryStore } from 'polymachine/store'
 *
 * const store = new MemoryStore()
 * const rev = await store.put('accounts/42', { balance: 5 }, { expected: 0 }) // create, only if absent
 * await store.put('accounts/42', { balance: 7 }, { expected: rev })           // update, only if unchanged
 * console.log((await store.get('accounts/42'))?.value) // { balance: 7 }
 * ```
 */
export interface Store {
  /** The key's value and revision, or `undefined` when absent. */
  get(key: string): Promise<StoreEntry | undefined>
  /** Writes `value` (checked and copied now) and resolves to the key's new revision. */
  put(key: string, value: StoreValue, options?: PutOptions): Promise<number>
  /** Removes the key; resolves to false when it was absent (and no `expected` revision was given). */
  delete(key: string, options?: DeleteOptions): Promise<boolean>
  /** Entries in key order (Unicode code point order), filtered by `prefix`, after `after`, at most `limit`. */
  list(options?: ListOptions): Promise<StoreEntry[]>
  /** Releases the store's resources; later calls reject with `StoreClosedError`. Idempotent. */
  close(): Promise<void>
}
