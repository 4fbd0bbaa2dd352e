/**
 * Errors of persistent keyed actors and their reminders. Each is a `PolymachineError` with a stable `code`.
 */
import { PolymachineError } from '../machine/index.js'

/** The codes of persistence's own errors (store failures keep their `ERR_STORE_*` codes, as `cause`). */
export type PersistenceErrorCode = 'ERR_STATE_LOAD' | 'ERR_STATE_SAVE' | 'ERR_REMINDERS_STOPPED'

/**
 * A keyed actor's state could not be loaded (`ERR_STATE_LOAD`: the store failed, the stored record is not one this
 * code wrote, its version is newer than `state.version`, `migrate` failed) or saved (`ERR_STATE_SAVE`: the store
 * failed, a compare-and-set conflict with another writer, data that is not `StoreValue`). The store's or the user
 * code's error is the `cause`. Nothing is written over the stored state.
 */
export class ActorStateError extends PolymachineError {
  override readonly name = 'ActorStateError'
  declare readonly code: 'ERR_STATE_LOAD' | 'ERR_STATE_SAVE'

  constructor(
    code: 'ERR_STATE_LOAD' | 'ERR_STATE_SAVE',
    readonly keyedId: string,
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, `keyed ${keyedId}: ${code === 'ERR_STATE_LOAD' ? 'loading' : 'saving'} the state of '${key}' failed: ${detail}`, options)
  }
}

/** `reminders.set()`/`cancel()` after the keyed supervisor stopped. */
export class RemindersStoppedError extends PolymachineError {
  override readonly name = 'RemindersStoppedError'
  constructor(readonly keyedId: string, what: string) {
    super('ERR_REMINDERS_STOPPED', `keyed ${keyedId}: reminders are stopped: cannot ${what}`)
  }
}
