/**
 * Failure paths of supervision that the happy-path specs do not reach: a throwing `decide`, a throwing handler
 * factory, a full restart buffer (drop and reject policies), failing `load`/`save` of keyed actors, and bad options.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { schema } from '../../lib/machine/index.js'
import {
  ActivationError, ActorSystem, Keyed, MailboxFullError, MessageDroppedError, Supervisor, type ActorEvent,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Work: { multi: true }, Crash: { multi: true } })
const handlers = ({ incarnation }: { incarnation: number }) => ({
  WorkState: (e: ActorEvent): string => `#${incarnation}:${String(e.args.n)}`,
  CrashState(): void {
    throw new Error('crash')
  },
})

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ timeout: 100 })
  system = undefined
})

describe('supervision failure paths', () => {
  it('a decide() that throws escalates with its own error: at the top, ErrRestartLimit and stop', async () => {
    const sys = (system = new ActorSystem())
    const oops = new Error('decide failed')
    const sup = new Supervisor(sys, {
      id: 'sup',
      decide: () => {
        throw oops
      },
    })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers })
    await ref.ask('Crash').catch(() => undefined)
    await sup.machine.when('Stopped', { timeout: 1000 })
    expect(sup.machine.is('ErrRestartLimit')).toBe(true)
    expect(sup.machine.err).toBe(oops)
    expect(ref.stopped).toBe(true)
  })

  it('a handler factory that throws fails that incarnation; the next one starts', async () => {
    const sys = (system = new ActorSystem())
    let calls = 0
    const sup = new Supervisor(sys, { id: 'sup', backoff: { min: 1, max: 1, jitter: 0 } })
    const ref = sup.supervise({
      id: 'w',
      schema: ss,
      handlers: (ctx) => {
        if (calls++ === 0) throw new Error('no handlers yet')
        return handlers(ctx)
      },
    })
    // sent before any incarnation could take it: kept for the next one
    expect(await ref.ask('Work', { n: 1 }, { timeout: 1000 })).toBe('#2:1')
    expect(sup.restarts).toBe(1)
    expect(calls).toBe(2)
  })

  it('a full restart buffer drops with drop-newest (dead letter, ask rejected) and keeps the rest', async () => {
    const sys = (system = new ActorSystem())
    const dead = deadLetters(sys)
    const sup = new Supervisor(sys, { id: 'sup', backoff: { min: 50, max: 50, jitter: 0 } })
    const ref = sup.supervise({
      id: 'w', schema: ss, handlers, mailbox: { capacity: 1, overflow: 'drop-newest' },
    })
    await ref.ask('Crash').catch(() => undefined)
    await sup.machine.when('Restarting', { timeout: 1000 })
    const kept = ref.ask('Work', { n: 1 })
    const dropped = ref.ask('Work', { n: 2 })
    await expect(dropped).rejects.toBeInstanceOf(MessageDroppedError)
    expect(await kept).toBe('#2:1')
    expect(dead).toContainEqual(expect.objectContaining({ actorId: 'w', msg: 'Work', reason: 'dropped:full' }))
    expect(ref.stats.dropped).toBeGreaterThanOrEqual(1)
  })

  it('a full restart buffer with the reject policy throws MailboxFullError at the sender', async () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'sup', backoff: { min: 50, max: 50, jitter: 0 } })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers, mailbox: { capacity: 1, overflow: 'reject' } })
    await ref.ask('Crash').catch(() => undefined)
    await sup.machine.when('Restarting', { timeout: 1000 })
    ref.tell('Work', { n: 1 })
    expect(() => ref.tell('Work', { n: 2 })).toThrow(MailboxFullError)
    await sup.machine.whenNot('Restarting', { timeout: 1000 })
    // the buffered message reaches the new incarnation first (its mailbox holds one)
    await vi.waitFor(() => expect(ref.stats.processed).toBe(1))
    expect(await ref.ask('Work', { n: 3 })).toBe('#2:3')
  })

  it('keyed: a failing load() fails the activation and its messages; the next message tries again', async () => {
    const sys = (system = new ActorSystem())
    const dead = deadLetters(sys)
    let down = true
    const keyed = new Keyed(sys, {
      id: 'k',
      schema: ss,
      handlers,
      load: () => {
        if (down) throw new Error('store down')
        return undefined
      },
    })
    const ask = keyed.ref('a').ask('Work', { n: 1 })
    keyed.ref('a').tell('Work', { n: 2 })
    const err = await ask.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ActivationError)
    expect((err as ActivationError).code).toBe('ERR_ACTIVATION_FAILED')
    expect(((err as Error).cause as Error).message).toBe('store down')
    expect(dead.map((d) => d.reason)).toEqual(['activation-failed', 'activation-failed'])
    expect(keyed.activeKeys).toEqual([])
    expect(keyed.tracked.entries).toBe(0)
    expect(keyed.supervisor.machine.is('Exception')).toBe(true)
    down = false
    expect(await keyed.ref('a').ask('Work', { n: 3 })).toBe('#1:3')
  })

  it('keyed: a failing save() is reported and the actor is passivated all the same', async () => {
    const sys = (system = new ActorSystem())
    const keyed = new Keyed(sys, {
      id: 'k',
      schema: ss,
      handlers,
      save: async () => {
        await Promise.resolve()
        throw new Error('disk full')
      },
    })
    await keyed.ref('a').ask('Work', { n: 1 })
    expect(await keyed.passivate('a')).toBe(true)
    expect(keyed.activeKeys).toEqual([])
    expect((keyed.supervisor.machine.err as Error).message).toBe('disk full')
    // the next message activates it again
    expect(await keyed.ref('a').ask('Work', { n: 2 })).toBe('#1:2')
  })

  it('bad options are refused at construction', () => {
    const sys = (system = new ActorSystem())
    // @ts-expect-error not a strategy
    expect(() => new Supervisor(sys, { id: 's', strategy: 'one-for-some' })).toThrow(/options.strategy must be one of/)
    expect(() => new Keyed(sys, { id: 'k', schema: ss, handlers, maxActive: 0 })).toThrow(RangeError)
    expect(() => new Keyed(sys, { id: 'k2', schema: ss, handlers, idleTimeout: -5 })).toThrow(RangeError)
  })
})
