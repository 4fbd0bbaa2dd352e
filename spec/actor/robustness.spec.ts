/**
 * Edge cases that must never crash the process or lose a message silently: timers into full mailboxes, refused
 * tells, per-message signals under concurrency, and supervised refs with the system's watch/stop/receptionist.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { schema } from '../../lib/machine/index.js'
import {
  ActorSystem, Supervisor, UnknownMessageError, serviceKey, type ActorEvent,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Tick: { multi: true }, Gate: { multi: true }, Job: { multi: true }, Flag: {} })

let system: ActorSystem
afterEach(async () => {
  await system.shutdown({ timeout: 100 })
})

describe('timers', () => {
  it('a timer into a full reject mailbox becomes a dead letter, not an uncaught exception', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    let release = (): void => undefined
    const gate = new Promise<void>((r) => (release = r))
    const ref = system.spawn(
      ss,
      {
        GateState: (e: ActorEvent): Promise<void> => {
          e.timers.every('t', 'Tick', 1)
          return gate
        },
      },
      { id: 'a', mailbox: { capacity: 1, overflow: 'reject' } },
    )
    ref.tell('Gate')
    await new Promise((r) => setTimeout(r, 30))
    expect(dead.some((d) => d.msg === 'Tick' && d.reason === 'rejected')).toBe(true)
    release()
  })

  it('a timer for a name that is not a message throws when it is set', async () => {
    system = new ActorSystem()
    let err: unknown
    const ref = system.spawn(
      ss,
      {
        JobState(e: ActorEvent): void {
          try {
            e.timers.once('t', 'Flag', 5)
          } catch (x) {
            err = x
          }
        },
      },
      { id: 'a' },
    )
    await ref.ask('Job')
    expect(err).toBeInstanceOf(UnknownMessageError)
  })
})

describe('messages', () => {
  it('a told message refused by negotiation becomes a dead letter (rejected)', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const ref = system.spawn(ss, { JobEnter: () => false }, { id: 'a' })
    ref.tell('Job', { n: 1 })
    await ref.ask('Tick')
    expect(dead.map((d) => [d.msg, d.reason])).toEqual([['Job', 'rejected']])
  })

  it('with concurrency 2, the next message does not abort the signal of the one in progress', async () => {
    system = new ActorSystem()
    const seen: boolean[] = []
    const ref = system.spawn(
      ss,
      {
        async JobState(e: ActorEvent): Promise<void> {
          await new Promise((r) => setTimeout(r, 10))
          seen.push(e.signal.aborted)
        },
      },
      { id: 'a', concurrency: 2 },
    )
    await Promise.all([ref.ask('Job'), ref.ask('Job')])
    expect(seen).toEqual([false, false])
  })

  it('a message handler’s actorSignal is aborted when the actor stops (e.signal is the message’s own)', async () => {
    system = new ActorSystem()
    let signal: AbortSignal | undefined
    let own: AbortSignal | undefined
    const ref = system.spawn(ss, { JobState: (e: ActorEvent) => void ((signal = e.actorSignal), (own = e.signal)) }, { id: 'a' })
    await ref.ask('Job')
    expect(signal?.aborted).toBe(false)
    expect(own).not.toBe(signal)
    await system.stop(ref)
    expect(signal?.aborted).toBe(true)
    expect(own?.aborted).toBe(false) // the message was handled before the stop: nothing of it to cancel
  })
})

describe('supervised refs and the system', () => {
  it('watch and stop work on supervised refs; a retired child leaves the receptionist', async () => {
    system = new ActorSystem()
    const key = serviceKey<typeof ss>('jobs')
    const sup = new Supervisor(system, { id: 'sup' })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: () => ({}) })
    system.receptionist.register(key, ref)
    const watched = system.watch(ref)
    await system.stop(ref)
    expect(await watched).toEqual({ actorId: 'w', reason: 'stopped' })
    expect(system.receptionist.find(key)).toEqual([])
    expect(() => system.link(ref, ref)).toThrow(/supervised child/)
  })

  it('a service key without handler types can be given to spawn', async () => {
    system = new ActorSystem()
    const key = serviceKey<typeof ss>('any')
    const ref = system.spawn(ss, { JobState: (): number => 7 }, { id: 'a', key })
    expect(system.receptionist.find(key).map((r) => r.id)).toEqual(['a'])
    expect(await ref.ask('Job')).toBe(7)
  })
})
