/**
 * Requests waiting for an answer over a link (mutation replies, dry runs, pongs), each bounded by its deadline and
 * its abort signal. A request that timed out is forgotten (its `onGiveUp` runs: the caller tells the server) and its
 * late answer finds nothing to settle. When the link is lost, a request that is safe to send again (`retry`) can wait
 * for the next link and be re-sent with its id; the others end at once.
 */
import { TimeoutError } from '../machine/index.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import { waitOptionsOf } from './options.js'

/** Options of one remote call. */
export interface CallOptions {
  /** Milliseconds before the call rejects with `TimeoutError` (default: the client's `timeout`; `Infinity`: none). */
  timeout?: number
  signal?: AbortSignal
}

/** How one request is sent and what happens when it ends without an answer. */
export interface RequestSpec {
  /** Sends the request with `id` (again, after a reconnection, when `retry`). */
  send(id: number): void
  /** Safe to send twice: a read, a dry run, a wait. A mutation is not (it may have run). */
  readonly retry: boolean
  /** The caller stopped waiting (deadline, abort) before an answer: e.g. tell the server to cancel `id`. */
  onGiveUp?(id: number): void
}

interface Entry {
  readonly spec: RequestSpec
  settle(err: unknown, value: unknown): void
}

/** Pending requests by id. */
export class Requests {
  readonly #pending = new Map<number, Entry>()
  readonly #nextId: () => number

  /** `nextId` gives request ids (a shared counter keeps ids unique across several `Requests`). */
  constructor(readonly owner: string, readonly defaultTimeout: number, nextId?: () => number) {
    let n = 1
    this.#nextId = nextId ?? (() => n++)
  }

  get size(): number {
    return this.#pending.size
  }

  /**
   * Registers a request, sends it and returns the answer's promise. Rejects with `TimeoutError` at the deadline,
   * with the signal's reason on abort; both run `spec.onGiveUp`.
   */
  open<T>(what: string, opts: CallOptions | undefined, spec: RequestSpec): Promise<T> {
    const { timeout = this.defaultTimeout, signal } = waitOptionsOf(opts, () => `${this.owner}: ${what}`)
    if (signal?.aborted) return Promise.reject(signal.reason)
    const id = this.#nextId()
    return new Promise<T>((resolve, reject) => {
      const giveUp = (err: unknown): void => {
        if (!this.#pending.has(id)) return
        entry.settle(err, undefined)
        spec.onGiveUp?.(id)
      }
      const onAbort = (): void => giveUp(signal?.reason)
      const timer: Later = later(timeout, () => giveUp(new TimeoutError(this.owner, what, timeout)))
      const entry: Entry = {
        spec,
        settle: (err, value) => {
          if (!this.#pending.delete(id)) return
          cancelLater(timer)
          signal?.removeEventListener('abort', onAbort)
          if (err !== null) reject(err)
          else resolve(value as T)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, entry)
      spec.send(id)
    })
  }

  /** Settles request `id` (no-op when it is gone: timed out, aborted, unknown). */
  resolve(id: number, value: unknown): void {
    this.#pending.get(id)?.settle(null, value)
  }

  reject(id: number, err: unknown): void {
    this.#pending.get(id)?.settle(err, undefined)
  }

  /** Rejects every pending request with `err`. */
  rejectAll(err: unknown): void {
    for (const e of [...this.#pending.values()]) e.settle(err, undefined)
  }

  /**
   * The link is lost. Requests that may be retried keep waiting when `keep` (a reconnection is coming) and are
   * rejected with `closed` otherwise; the others are rejected with `unknown(id)` (their outcome on the server is
   * not known).
   */
  lost(keep: boolean, closed: unknown, unknown: (id: number) => unknown): void {
    for (const [id, e] of [...this.#pending]) {
      if (!e.spec.retry) e.settle(unknown(id), undefined)
      else if (!keep) e.settle(closed, undefined)
    }
  }

  /** Sends every pending request again, with its id (after a reconnection). */
  resend(): void {
    for (const [id, e] of [...this.#pending]) e.spec.send(id)
  }
}
