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

type Timer = ReturnType<typeof setTimeout>

/**
 * The timeout timers of one owner's pending store calls. They keep the process alive while its owner runs (a
 * script awaiting a hung store gets its timeout, not a silent exit); `release()` (the owner stops) unrefs them, so
 * nothing a stopped owner left pending keeps the process alive, while each call still settles if the process lives.
 */
export class StoreCallTimers {
  private readonly live = new Set<Timer>()
  private released = false

  /** Timers of calls still pending. */
  get size(): number {
    return this.live.size
  }

  add(t: Timer): void {
    if (this.released) unref(t)
    else this.live.add(t)
  }

  delete(t: Timer): void {
    this.live.delete(t)
  }

  /** The owner stopped: its pending and later timers no longer keep the process alive. */
  release(): void {
    this.released = true
    for (const t of this.live) unref(t)
    this.live.clear()
  }
}

function unref(t: Timer): void {
  ;(t as { unref?: () => void }).unref?.()
}

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
 * The timer is cleared when the call answers in time; with `timers`, it is tracked there (see `StoreCallTimers`),
 * without, it never keeps the process alive.
 */
export function callStore<T>(
  call: string, timeout: number, fn: () => Promise<T>, late?: (outcome: LateOutcome<T>) => void, timers?: StoreCallTimers,
): Promise<T> {
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
      timers?.delete(timer)
      reject(new StoreTimeoutError(call, timeout))
    }, timeout)
    if (timers) timers.add(timer)
    else unref(timer)
    const settle = (outcome: LateOutcome<T>): void => {
      if (!timedOut) {
        clearTimeout(timer)
        timers?.delete(timer)
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
