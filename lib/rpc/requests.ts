/**
 * Requests waiting for an answer over a link (mutation replies, pongs), each bounded by its deadline and its
 * abort signal. A request that timed out is forgotten: its late answer finds nothing to settle.
 */
import { TimeoutError } from '../machine/index.js'

/** Options of one remote call. */
export interface CallOptions {
  /** Milliseconds before the call rejects with `TimeoutError` (default: the client's `timeout`). */
  timeout?: number
  signal?: AbortSignal
}

interface Entry {
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
   * Registers a request, runs `send(id)` and returns the answer's promise. Rejects with `TimeoutError` at the
   * deadline, with the signal's reason on abort.
   */
  open<T>(what: string, opts: CallOptions | undefined, send: (id: number) => void): Promise<T> {
    const signal = opts?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    const timeout = opts?.timeout ?? this.defaultTimeout
    const id = this.#nextId()
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => entry.settle(signal?.reason, undefined)
      const timer = setTimeout(() => entry.settle(new TimeoutError(this.owner, what, timeout), undefined), timeout)
      const entry: Entry = {
        settle: (err, value) => {
          if (!this.#pending.delete(id)) return
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          if (err !== null) reject(err)
          else resolve(value as T)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, entry)
      send(id)
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
}
