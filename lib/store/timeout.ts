/**
 * Bounding store calls: a `Store` is user code (or a remote service) and may never answer. The callers that must
 * not hang on it (persistent actors, reminders) go through `callStore`, which rejects with `StoreTimeoutError` when
 * the call outlives its timeout and reports the call's late outcome, if it ever comes, to a callback.
 */
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'
import { StoreTimeoutError } from './errors.js'

/** The default store-call timeout of persistent keyed actors and reminders (ms). */
export const DEFAULT_STORE_TIMEOUT = 10_000

/** The longest finite timeout a Node timer can wait for (larger values would fire at once). */
const MAX_TIMEOUT = 2_147_483_647

/** What a store call that timed out came to, later. */
export type LateOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }

/**
 * A store-call timeout: undefined gives `DEFAULT_STORE_TIMEOUT`; otherwise a number of ms > 0 and at most
 * 2^31 − 1, or `Infinity` for none.
 * @throws InvalidArgumentError (not a number) / OutOfRangeError (out of range), naming `where` and `name`
 */
export function checkStoreTimeout(where: string, name: string, v: unknown): number {
  if (v === undefined) return DEFAULT_STORE_TIMEOUT
  const expected = `a number of ms > 0 and ≤ ${MAX_TIMEOUT}, or Infinity`
  if (typeof v !== 'number') throw new InvalidArgumentError(where, name, expected, v)
  if (!(v > 0 && (v <= MAX_TIMEOUT || v === Infinity))) throw new OutOfRangeError(where, name, expected, v)
  return v
}

/**
 * Runs `fn` (one store call, named `call` in errors) and settles as it does, or rejects with `StoreTimeoutError`
 * after `timeout` ms. A call that throws synchronously rejects; a non-promise answer resolves as is. When the call
 * settles after its timeout, `late` gets the outcome (a throw from `late` is ignored: it has nobody to report to).
 * The timer is cleared when the call answers in time and never keeps the process alive.
 */
export function callStore<T>(call: string, timeout: number, fn: () => Promise<T>, late?: (outcome: LateOutcome<T>) => void): Promise<T> {
  let answer: Promise<T>
  try {
    answer = Promise.resolve(fn())
  } catch (err) {
    return Promise.reject(err as Error)
  }
  if (timeout === Infinity) return answer
  return new Promise<T>((resolve, reject) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      reject(new StoreTimeoutError(call, timeout))
    }, timeout)
    ;(timer as { unref?: () => void }).unref?.()
    const settle = (outcome: LateOutcome<T>): void => {
      if (!timedOut) {
        clearTimeout(timer)
        if (outcome.ok) resolve(outcome.value)
        else reject(outcome.error as Error)
        return
      }
      try {
        late?.(outcome)
      } catch {
        // the caller's bookkeeping failed; the outcome was already reported as a timeout
      }
    }
    answer.then((value) => settle({ ok: true, value }), (error: unknown) => settle({ ok: false, error }))
  })
}
