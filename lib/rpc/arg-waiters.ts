/**
 * Remote `whenArgs`: each waiter is a `WATCH` on the server, which answers `MATCHED` once the state is activated
 * with matching args (after the diff that activated it). A waiter that times out or is aborted sends `UNWATCH`.
 */
import { TimeoutError, type WaitOptions } from '../machine/index.js'
import { Msg, type Message } from './protocol.js'

interface Waiter {
  resolve(): void
  reject(err: unknown): void
}

/** The client's pending `whenArgs` waiters, by watch id. */
export class ArgWaiters {
  readonly #pending = new Map<number, Waiter>()

  constructor(readonly owner: string, readonly nextId: () => number, readonly send: (m: Message) => void) {}

  get size(): number {
    return this.#pending.size
  }

  /** Registers a watch of `state` (an index) for `args` and resolves when the server reports a match. */
  wait(state: number, args: Record<string, unknown>, opts: WaitOptions | undefined, what: string): Promise<void> {
    const signal = opts?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    const id = this.nextId()
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null
      const settle = (err: unknown): void => {
        if (!this.#pending.delete(id)) return
        if (timer !== null) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (err === null) resolve()
        else reject(err)
      }
      const drop = (err: unknown): void => {
        if (this.#pending.has(id)) this.send({ type: Msg.Unwatch, id })
        settle(err)
      }
      const onAbort = (): void => drop(signal?.reason)
      if (opts?.timeout !== undefined) {
        const ms = opts.timeout
        timer = setTimeout(() => drop(new TimeoutError(this.owner, what, ms)), ms)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, { resolve: () => settle(null), reject: settle })
      this.send({ type: Msg.Watch, id, state, args })
    })
  }

  matched(id: number): void {
    this.#pending.get(id)?.resolve()
  }

  reject(id: number, err: unknown): void {
    this.#pending.get(id)?.reject(err)
  }

  rejectAll(err: unknown): void {
    for (const w of [...this.#pending.values()]) w.reject(err)
  }
}
