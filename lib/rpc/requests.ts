/**
 * Requests waiting for an answer over a link (mutation replies, dry runs, pongs), each bounded by its deadline and
 * its abort signal. A request that timed out or was aborted is forgotten (the `giveUp` hook runs: the caller tells the
 * server) and its late answer finds nothing to settle. When the link is lost, a request that is safe to send again
 * (`retry`) can wait for the next link and be re-sent with its id; the others end at once. One entry per call and no
 * closure beyond the caller's `send`: this is on every call's path.
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

/** One pending request. */
class Entry {
  timer: Later = undefined
  onAbort: (() => void) | null = null

  constructor(
    readonly id: number,
    /** Sends the request with its id (again, after a reconnection, when `retry`). */
    readonly send: (id: number) => void,
    /** Safe to send twice: a read, a dry run, a wait. A mutation is not (it may have run). */
    readonly retry: boolean,
    readonly what: string,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (v: unknown) => void,
    readonly reject: (e: unknown) => void,
  ) {}
}

/** Pending requests by id. */
export class Requests {
  readonly #pending = new Map<number, Entry>()
  readonly #nextId: () => number
  readonly #giveUp: ((id: number, retry: boolean) => void) | null

  /**
   * `nextId` gives request ids (a shared counter keeps ids unique across several `Requests`); `giveUp(id, retry)`
   * runs when a caller stops waiting (deadline, abort) before the answer.
   */
  constructor(readonly owner: string, readonly defaultTimeout: number, nextId?: () => number,
    giveUp?: (id: number, retry: boolean) => void) {
    let n = 1
    this.#nextId = nextId ?? (() => n++)
    this.#giveUp = giveUp ?? null
  }

  get size(): number {
    return this.#pending.size
  }

  /**
   * Registers a request, sends it (`send(id)`) and returns the answer's promise. Rejects with `TimeoutError` at the
   * deadline, with the signal's reason on abort; both run the `giveUp` hook.
   */
  open<T>(what: string, opts: CallOptions | undefined, send: (id: number) => void, retry: boolean): Promise<T> {
    let timeout = this.defaultTimeout
    let signal: AbortSignal | undefined
    if (opts !== undefined) {
      const o = waitOptionsOf(opts, () => `${this.owner}: ${what}`)
      if (o.timeout !== undefined) timeout = o.timeout
      signal = o.signal
      if (signal?.aborted) return Promise.reject(signal.reason)
    }
    const id = this.#nextId()
    return new Promise<T>((resolve, reject) => {
      const e = new Entry(id, send, retry, what, signal, resolve as (v: unknown) => void, reject)
      e.timer = later(timeout, () => this.#gaveUp(e, new TimeoutError(this.owner, what, timeout)))
      if (signal) {
        e.onAbort = () => this.#gaveUp(e, signal.reason)
        signal.addEventListener('abort', e.onAbort, { once: true })
      }
      this.#pending.set(id, e)
      send(id)
    })
  }

  /** Settles request `id` (no-op when it is gone: timed out, aborted, unknown). */
  resolve(id: number, value: unknown): void {
    const e = this.#take(id)
    if (e) e.resolve(value)
  }

  reject(id: number, err: unknown): void {
    const e = this.#take(id)
    if (e) e.reject(err)
  }

  /** Rejects every pending request with `err`. */
  rejectAll(err: unknown): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, err)
  }

  /**
   * The link is lost. Requests that may be retried keep waiting when `keep` (a reconnection is coming) and are
   * rejected with `closed` otherwise; the others are rejected with `unknown(id)` (their outcome on the server is
   * not known).
   */
  lost(keep: boolean, closed: unknown, unknown: (id: number) => unknown): void {
    for (const [id, e] of [...this.#pending]) {
      if (!e.retry) this.reject(id, unknown(id))
      else if (!keep) this.reject(id, closed)
    }
  }

  /** Sends every pending request again, with its id (after a reconnection). */
  resend(): void {
    for (const [id, e] of [...this.#pending]) e.send(id)
  }

  #gaveUp(e: Entry, err: unknown): void {
    if (this.#take(e.id) === undefined) return
    e.reject(err)
    this.#giveUp?.(e.id, e.retry)
  }

  /** Removes entry `id` with its timer and abort listener. */
  #take(id: number): Entry | undefined {
    const e = this.#pending.get(id)
    if (e === undefined) return undefined
    this.#pending.delete(id)
    cancelLater(e.timer)
    if (e.onAbort) e.signal?.removeEventListener('abort', e.onAbort)
    return e
  }
}
