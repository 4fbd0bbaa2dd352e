/**
 * Errors of the store layer. Each is a `PolymachineError` with a stable `code` (bad arguments use the core's
 * `InvalidArgumentError` / `OutOfRangeError`).
 */
import { PolymachineError } from '../machine/index.js'

/** The codes of the store's own errors. */
export type StoreErrorCode =
  | 'ERR_STORE_CONFLICT'
  | 'ERR_STORE_CORRUPT'
  | 'ERR_STORE_CLOSED'
  | 'ERR_STORE_DRIVER'
  | 'ERR_STORE_IO'
  | 'ERR_STORE_TIMEOUT'

/** The base class of the store's errors: `code` says which. */
export class StoreError extends PolymachineError {
  override readonly name: string = 'StoreError'
  declare readonly code: StoreErrorCode

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * A compare-and-set failed: the key's revision was not the expected one (someone else wrote or deleted it).
 * `actual` is the revision found (0: the key is absent). Nothing was written.
 */
export class StoreConflictError extends StoreError {
  override readonly name = 'StoreConflictError'
  constructor(
    readonly storeName: string,
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super('ERR_STORE_CONFLICT', `store ${storeName}: '${key}' is at revision ${actual}${actual === 0 ? ' (absent)' : ''
    }, expected ${expected}${expected === 0 ? ' (absent)' : ''}: nothing written`)
  }
}

/** A stored value could not be decoded (a damaged file, or bytes written by something else). */
export class StoreCorruptError extends StoreError {
  override readonly name = 'StoreCorruptError'
  constructor(readonly storeName: string, readonly key: string, options?: { cause?: unknown }) {
    super('ERR_STORE_CORRUPT', `store ${storeName}: the value of '${key}' cannot be decoded`, options)
  }
}

/** The store was closed before the operation. */
export class StoreClosedError extends StoreError {
  override readonly name = 'StoreClosedError'
  constructor(readonly storeName: string, what: string) {
    super('ERR_STORE_CLOSED', `store ${storeName} is closed: cannot ${what}`)
  }
}

/** The storage driver is missing or failed to load (e.g. the optional peer dependency `better-sqlite3`). */
export class StoreDriverError extends StoreError {
  override readonly name = 'StoreDriverError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_DRIVER', message, options)
  }
}

/** The storage failed (disk full, locked past the busy timeout, I/O error); the `cause` is the driver's error. */
export class StoreIoError extends StoreError {
  override readonly name = 'StoreIoError'
  constructor(readonly storeName: string, what: string, options?: { cause?: unknown }) {
    super('ERR_STORE_IO', `store ${storeName}: ${what} failed`, options)
  }
}

/**
 * A store call did not answer within its timeout (a hung disk, a lost connection, a store that never settles). Its
 * outcome is unknown: a `put` or `delete` may still land later, which is why every write that must not overwrite
 * another is a compare-and-set. `call` names it (e.g. `put('accounts/state/42')`).
 */
export class StoreTimeoutError extends StoreError {
  override readonly name = 'StoreTimeoutError'
  constructor(readonly call: string, readonly timeout: number) {
    super('ERR_STORE_TIMEOUT', `store call ${call} did not answer within ${timeout} ms (its outcome is unknown)`)
  }
}

/**
 * True for a store error (`code` given: with that code). Checks the code, not the class, so it also recognises
 * errors of another copy of this module (ESM and CJS builds loaded side by side).
 */
export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  if (!(err instanceof PolymachineError)) return false
  return code === undefined ? err.code.startsWith('ERR_STORE_') : err.code === code
}
