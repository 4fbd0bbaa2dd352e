/**
 * The actor system: shutdown order and draining, dead letters, receptionist and routers, timers, watch and link,
 * start failures.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { schema } from '../../lib/machine/index.js'
import {
  ActorSystem, ActorTerminatedError, DuplicateRegistrationError, NoActorsError, SystemShutdownError, serviceKey, type ActorEvent,
  type ActorRef,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Ping: { multi: true }, Tick: { multi: true }, Slow: { multi: true } })

class Pinger {
  pings = 0
  ticks = 0
  constructor(private readonly order?: string[], private readonly name?: string) {}
  PingState(): number {
    return ++this.pings
  }
  TickState(): void {
    this.ticks++
  }
  async SlowState(): Promise<string> {
    await new Promise((r) => setTimeout(r, 20))
    return 'slow done'
  }
  StoppingState(): void {
    this.order?.push(this.name ?? '?')
  }
}

let system: ActorSystem
afterEach(async () => {
  vi.useRealTimers()
  await system.shutdown({ timeout: 100 })
})

describe('stop and shutdown', () => {
  it('shutdown stops actors in reverse start order, waits for in-flight handlers, drains mailboxes', async () => {
    system = new ActorSystem()
    const order: string[] = []
    const dead = deadLetters(system)
    const a = system.spawn(ss, new Pinger(order, 'a'), { id: 'a' })
    system.spawn(ss, new Pinger(order, 'b'), { id: 'b' })
    system.spawn(ss, new Pinger(order, 'c'), { id: 'c' })
    await a.machine.when('Ready')
    const slow = a.ask('Slow')
    const queued = a.ask('Ping')
    await new Promise((r) => setTimeout(r, 0))
    await system.shutdown()
    expect(order).toEqual(['c', 'b', 'a'])
    expect(await slow).toBe('slow done')
    await expect(queued).rejects.toBeInstanceOf(ActorTerminatedError)
    expect(dead.map((d) => [d.actorId, d.msg, d.reason])).toEqual([['a', 'Ping', 'drained']])
    expect(system.size).toBe(0)
    expect(system.machine.is('Terminated')).toBe(true)
    expect(() => system.spawn(ss, new Pinger(), { id: 'late' })).toThrow(/not running/)
    expect(() => system.spawn(ss, new Pinger(), { id: 'late' })).toThrow(SystemShutdownError)
  })

  it('a tell to a stopped actor becomes a dead letter; watch after stop resolves at once', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const a = system.spawn(ss, new Pinger(), { id: 'a' })
    const watched = system.watch(a)
    await system.stop(a)
    expect(await watched).toEqual({ actorId: 'a', reason: 'stopped' })
    expect(await system.watch(a)).toEqual({ actorId: 'a', reason: 'stopped' })
    a.tell('Ping')
    expect(dead.map((d) => [d.msg, d.reason])).toEqual([['Ping', 'stopped']])
    expect(system.deadLetterCount).toBe(1)
    expect(() => system.link(a, a)).toThrow(ActorTerminatedError)
  })

  it('a start handler that throws: ErrStart, the actor stops as failed', async () => {
    system = new ActorSystem()
    const a = system.spawn(
      ss,
      {
        StartState(): Promise<void> {
          return Promise.reject(new Error('no config'))
        },
      },
      { id: 'a' },
    )
    const info = await system.watch(a)
    expect(info.reason).toBe('failed')
    expect((info.error as Error).message).toBe('no config')
    await expect(a.ask('Ping')).rejects.toBeInstanceOf(ActorTerminatedError)
  })

  it('messages sent before an async start are delivered after it', async () => {
    system = new ActorSystem()
    const events: string[] = []
    const a = system.spawn(
      ss,
      {
        async StartState(): Promise<void> {
          await new Promise((r) => setTimeout(r, 5))
          events.push('started')
        },
        PingState(): void {
          events.push('ping')
        },
      },
      { id: 'a' },
    )
    a.tell('Ping')
    await a.ask('Ping')
    expect(events).toEqual(['started', 'ping', 'ping'])
  })
})

describe('receptionist and routers', () => {
  const Pingers = serviceKey<typeof ss, Pinger>('pingers')

  it('subscribe sees register and the automatic unregister on stop', async () => {
    system = new ActorSystem()
    const seen: string[][] = []
    system.receptionist.subscribe(Pingers).subscribe((refs) => seen.push(refs.map((r) => r.id)))
    const a = system.spawn(ss, new Pinger(), { id: 'a', key: Pingers })
    const b = system.spawn(ss, new Pinger(), { id: 'b' })
    system.receptionist.register(Pingers, b)
    expect(() => system.receptionist.register(Pingers, b)).toThrow(DuplicateRegistrationError)
    expect(system.receptionist.find(Pingers).map((r) => r.id)).toEqual(['a', 'b'])
    await system.stop(a)
    expect(seen).toEqual([[], ['a'], ['a', 'b'], ['b']])
    const [found] = system.receptionist.find(Pingers)
    const n: number = await (found as ActorRef<'Ping' | 'Tick' | 'Slow', Pinger>).ask('Ping')
    expect(n).toBe(1)
    expect(() => system.receptionist.register(Pingers, a)).toThrow(ActorTerminatedError)
  })

  it('round-robin, least-queued and random routers; NoActorsError when none', async () => {
    system = new ActorSystem()
    const rr = system.router(Pingers)
    await expect(rr.ask('Ping')).rejects.toBeInstanceOf(NoActorsError)
    expect(() => rr.tell('Ping')).toThrow(NoActorsError)
    const hs = [new Pinger(), new Pinger(), new Pinger()]
    hs.forEach((h, i) => system.spawn(ss, h, { id: `p${i}`, key: Pingers }))
    for (let i = 0; i < 6; i++) await rr.ask('Ping')
    expect(hs.map((h) => h.pings)).toEqual([2, 2, 2])
    const lq = system.router(Pingers, 'least-queued')
    await lq.ask('Ping')
    expect(hs.map((h) => h.pings)).toEqual([3, 2, 2])
    const random = system.router(Pingers, 'random')
    await Promise.all(Array.from({ length: 30 }, () => random.ask('Ping')))
    expect(hs.reduce((s, h) => s + h.pings, 0)).toBe(37)
    expect(() => system.router(Pingers, 'fastest' as 'random')).toThrow(TypeError)
  })
})

describe('timers', () => {
  it('once and every send to self; a new timer replaces the old key; stop cancels all', async () => {
    vi.useFakeTimers()
    system = new ActorSystem()
    const h = new Pinger()
    let timers: ActorEvent['timers'] | undefined
    const a = system.spawn(
      ss,
      {
        PingState(e: ActorEvent): void {
          timers = e.timers
          e.timers.every('tick', 'Tick', 10)
          e.timers.every('tick', 'Tick', 100) // replaces the 10 ms one
          e.timers.once('once', 'Tick', 5)
        },
        TickState: () => void h.ticks++,
      },
      { id: 'a' },
    )
    await a.ask('Ping')
    await vi.advanceTimersByTimeAsync(250)
    expect(h.ticks).toBe(3) // once at 5, every at 100 and 200
    expect(timers?.size).toBe(1)
    await system.stop(a)
    expect(timers?.size).toBe(0)
    await vi.advanceTimersByTimeAsync(500)
    expect(h.ticks).toBe(3)
  })
})

describe('links', () => {
  it('when one linked actor fails, the other gets ErrLinked', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, { PingState(): void {
      throw new Error('a failed')
    } }, { id: 'a' })
    const b = system.spawn(ss, new Pinger(), { id: 'b' })
    system.link(a, b)
    await a.ask('Ping').catch(() => undefined)
    expect(b.machine.is(['ErrLinked', 'Exception'])).toBe(true)
    expect((b.machine.err as Error).message).toBe('actor b: linked actor a failed')
  })

  it('unlink stops the propagation', async () => {
    system = new ActorSystem()
    const a = system.spawn(ss, { PingState(): void {
      throw new Error('a failed')
    } }, { id: 'a' })
    const b = system.spawn(ss, new Pinger(), { id: 'b' })
    const unlink = system.link(a, b)
    unlink()
    await a.ask('Ping').catch(() => undefined)
    expect(b.machine.is('ErrLinked')).toBe(false)
  })
})
