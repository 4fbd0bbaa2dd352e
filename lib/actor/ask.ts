/**
 * The ask protocol, shared by actors and by supervised refs: an envelope whose reply settles a promise, bounded by a
 * timeout and an abort signal. A failed ask leaves no timer or listener behind.
 */
import { TimeoutError, type Args } from '../machine/index.js'
import type { Envelope } from './mailbox.js'
import type { AskOptions } from './types.js'

/** Sends `msg` through `enqueue` as an ask; resolves with the reply. */
export function ask(
  targetId: string,
  msg: string,
  args: Args | undefined,
  opts: AskOptions,
  enqueue: (env: Envelope) => void | Promise<void>,
): Promise<unknown> {
  checkTimeout(opts.timeout)
  if (opts.signal?.aborted) return Promise.reject(opts.signal.reason as Error)
  return new Promise((resolve, reject) => {
    const { signal, timeout } = opts
    let timer: ReturnType<typeof setTimeout> | undefined
    const cleanup = (): void => {
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: unknown): void => {
      env.reply = undefined
      cleanup()
      reject(err as Error)
    }
    const onAbort = (): void => fail(signal?.reason)
    const env: Envelope = {
      msg,
      args,
      reply: { resolve: (v) => (cleanup(), resolve(v)), reject: fail },
    }
    if (timeout !== undefined) timer = setTimeout(() => fail(new TimeoutError(targetId, `ask(${msg})`, timeout)), timeout)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const sent = enqueue(env)
      if (sent) sent.catch(fail)
    } catch (err) {
      fail(err)
    }
  })
}

export function checkTimeout(timeout: number | undefined): void {
  if (timeout !== undefined && !(timeout >= 0)) throw new RangeError(`timeout must be a number ≥ 0, got ${timeout}`)
}
