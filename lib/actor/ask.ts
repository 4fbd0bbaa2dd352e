/**
 * The ask protocol, shared by actors and by supervised refs: an envelope whose reply settles a promise, bounded by a
 * timeout and an abort signal. A failed ask leaves no timer or listener behind.
 */
import { TimeoutError, type Args } from '../machine/index.js'
import { checkArgs, checkOptions, checkSignal, checkTimeout } from './check.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import type { Envelope } from './mailbox.js'
import type { AskOptions } from './types.js'

/**
 * Sends `msg` through `enqueue` as an ask; resolves with the reply. Bad args or options throw (synchronously), an
 * `InvalidArgumentError` / `OutOfRangeError`; everything else rejects.
 */
export function ask(
  targetId: string,
  msg: string,
  args: Args | undefined,
  opts: AskOptions | undefined,
  enqueue: (env: Envelope) => void | Promise<void>,
): Promise<unknown> {
  checkArgs(targetId, 'ask', args)
  let timeout: number | undefined
  let signal: AbortSignal | undefined
  if (opts !== undefined) {
    const where = `actor ${targetId}: ask()`
    checkOptions(where, opts, 'an object { timeout?, signal? } or undefined')
    timeout = opts.timeout
    signal = opts.signal
    checkTimeout(where, 'options.timeout', timeout)
    checkSignal(where, 'options.signal', signal)
    if (signal?.aborted) return Promise.reject(signal.reason as Error)
  }
  return new Promise((resolve, reject) => {
    let timer: Later
    const cleanup = (): void => {
      cancelLater(timer)
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
    if (timeout !== undefined) timer = later(timeout, () => fail(new TimeoutError(targetId, `ask(${msg})`, timeout)))
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const sent = enqueue(env)
      if (sent !== undefined) sent.catch(fail)
    } catch (err) {
      fail(err)
    }
  })
}
