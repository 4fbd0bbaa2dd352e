/**
 * Remote `whenArgs`: each waiter is a `WATCH` on the server, which answers `MATCHED` once the state is activated
 * with matching args (after the diff that activated it). A waiter that times out or is aborted sends `UNWATCH`, so
 * the server forgets it. A lost link drops every watch on the server; with a reconnection coming the waiters stay
 * and are sent again on the new link (activations in between are not seen).
 */
import { TimeoutError, type WaitOptions } from '../machine/index.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import { waitOptionsOf } from './options.js'
import { Msg, type Message } from './protocol.js'

interface Waiter {
  readonly state: number
  readonly args: Record<string, unknown>
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
    const { timeout, signal } = waitOptionsOf(opts, () => `${this.owner}: ${what}`)
    if (signal?.aborted) return Promise.reject(signal.reason)
    const id = this.nextId()
    return new Promise<void>((resolve, reject) => {
      let timer: Later = undefined
      const settle = (err: unknown): void => {
        if (!this.#pending.delete(id)) return
        cancelLater(timer)
        signal?.removeEventListener('abort', onAbort)
        if (err === null) resolve()
        else reject(err)
      }
      const drop = (err: unknown): void => {
        if (this.#pending.has(id)) this.send({ type: Msg.Unwatch, id })
        settle(err)
      }
      const onAbort = (): void => drop(signal?.reason)
      if (timeout !== undefined) timer = later(timeout, () => drop(new TimeoutError(this.owner, what, timeout)))
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pending.set(id, { state, args, resolve: () => settle(null), reject: settle })
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

  /** The link is lost: the waiters wait for the next one when `keep`, else reject with `err`. */
  lost(keep: boolean, err: unknown): void {
    if (!keep) this.rejectAll(err)
  }

  /** Sends every pending watch again (after a reconnection). */
  resend(): void {
    for (const [id, w] of this.#pending) this.send({ type: Msg.Watch, id, state: w.state, args: w.args })
  }
}
