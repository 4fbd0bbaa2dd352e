/**
 * Sending into a full `block` mailbox: the sender waits for room, FIFO among blocked senders, bounded by its timeout
 * and signal. A sender that gives up leaves no waiter behind and its message is not queued; if it had already been
 * woken, the room passes to the next sender, so no one waits while there is room.
 */
import { TimeoutError } from '../machine/index.js'
import { readOptionFields } from './actor-options.js'
import { checkOptions, checkSignal, checkTimeout } from './check.js'
import { ActorTerminatedError } from './errors.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import type { Envelope, Mailbox } from './mailbox.js'
import type { AskOptions } from './types.js'

/** What a blocked send needs from its actor. */
export interface BlockTarget {
  readonly id: string
  readonly mailbox: Mailbox
  /** False once the actor is stopping. */
  readonly accepting: boolean
  terminated(env: Envelope, reason: 'stopped'): void
  schedule(): void
}

/** Waits for room and queues `env`; rejects with a TimeoutError, the signal's reason or ActorTerminatedError. */
export async function blockingSend(a: BlockTarget, env: Envelope, opts: AskOptions | undefined): Promise<void> {
  let timeout: number | undefined
  let signal: AbortSignal | undefined
  if (opts !== undefined) {
    const where = `actor ${a.id}: tell()`
    checkOptions(where, opts, 'an object { timeout?, signal? } or undefined')
    const o = readOptionFields(where, opts, ['timeout', 'signal'])
    timeout = o.timeout as number | undefined
    signal = o.signal as AbortSignal | undefined
    checkTimeout(where, 'options.timeout', timeout)
    checkSignal(where, 'options.signal', signal)
  }
  const deadline = timeout === undefined ? Infinity : Date.now() + timeout
  const isAsk = env.reply !== undefined
  let front = false
  for (;;) {
    if (signal?.aborted) throw signal.reason as Error
    const room = a.mailbox.waitForRoom(front)
    await new Promise<void>((resolve, reject) => {
      let timer: Later
      const giveUp = (err: unknown): void => {
        cancelLater(timer)
        signal?.removeEventListener('abort', onAbort)
        // woken already (room made for us) but giving up: the next sender gets the room
        if (!room.cancel()) a.mailbox.wakeNext()
        reject(err as Error)
      }
      const onAbort = (): void => giveUp(signal?.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (deadline !== Infinity) {
        timer = later(Math.max(0, deadline - Date.now()),
          () => giveUp(new TimeoutError(a.id, `tell(${env.msg}) waiting for mailbox room`, timeout as number)))
      }
      void room.promise.then(() => {
        cancelLater(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
    })
    if (isAsk && env.reply === undefined) {
      a.mailbox.wakeNext() // the ask failed meanwhile (its timeout or abort): pass the room on
      return
    }
    if (!a.accepting) {
      a.terminated(env, 'stopped')
      throw new ActorTerminatedError(a.id, env.msg)
    }
    if (a.mailbox.offer(env) === 'accepted') {
      a.schedule()
      a.mailbox.wakeNext() // more room than this message needed (several takes): wake the next one too
      return
    }
    front = true // another sender took the room first: wait again, ahead of the others
  }
}
