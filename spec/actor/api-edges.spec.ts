/**
 * Parts of the actor API the main specs pass by: a blocked `tell` given up by its signal or by the actor stopping,
 * delivery beyond one batch, drop-oldest over protected messages, unregister, repeating timers, dead-letter logging,
 * and the tell-only views of supervised refs, pools and routers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LogLevel, schema } from '../../lib/machine/index.js'
import {
  ActorSystem, ActorTerminatedError, NoActorsError, Pool, serviceKey, Supervisor, type ActorEvent,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Job: { multi: true }, Gate: { multi: true }, Tick: { multi: true }, Stop: { multi: true } })

/** `Gate` holds the actor until `open()`; `Job` records its n; `Tick` counts. */
class Worker {
  seen: unknown[] = []
  ticks = 0
  private release: (() => void) | undefined
  readonly gate = new Promise<void>((r) => (this.release = r))
  open(): void {
    this.release?.()
  }
  GateState(): Promise<void> {
    return this.gate
  }
  JobState(e: ActorEvent): void {
    this.seen.push(e.args.n)
  }
  TickState(): void {
    this.ticks++
  }
}

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ timeout: 50 })
  system = undefined
})

describe('actor API edges', () => {
  it('block mailbox: a waiting tell is given up by its signal, or fails when the actor stops', async () => {
    const sys = (system = new ActorSystem())
    const dead = deadLetters(sys)
    const w = new Worker()
    const ref = sys.spawn(ss, w, { id: 'w', mailbox: { capacity: 1, overflow: 'block' } })
    await ref.machine.when('Ready')
    await ref.tell('Gate') // in flight: the actor waits in GateState
    await new Promise((r) => setTimeout(r, 0))
    await ref.tell('Job', { n: 1 }) // fills the mailbox
    const ctl = new AbortController()
    const aborted = ref.tell('Job', { n: 2 }, { signal: ctl.signal })
    ctl.abort(new Error('caller gave up'))
    await expect(aborted).rejects.toThrow('caller gave up')
    const waiting = ref.tell('Job', { n: 3 })
    const stopped = sys.stop(ref, { timeout: 10 })
    await expect(waiting).rejects.toBeInstanceOf(ActorTerminatedError)
    await stopped
    expect(w.seen).toEqual([])
    expect(dead.map((d) => `${d.msg}:${String(d.args?.n)}:${d.reason}`)).toEqual(expect.arrayContaining(['Job:3:stopped']))
  })

  it('delivers beyond one batch (yielding between batches), in order', async () => {
    const sys = (system = new ActorSystem())
    const w = new Worker()
    const n = 10_000
    const ref = sys.spawn(ss, w, { id: 'w', mailbox: { capacity: n + 10 } })
    for (let i = 0; i < n; i++) ref.tell('Job', { n: i })
    await ref.ask('Tick')
    expect(w.seen).toHaveLength(n)
    expect(w.seen.every((x, i) => x === i)).toBe(true)
  })

  it('spawn refuses a concurrency that is not a positive integer', () => {
    const sys = (system = new ActorSystem())
    expect(() => sys.spawn(ss, new Worker(), { id: 'w', concurrency: 0 })).toThrow(RangeError)
    expect(() => sys.spawn(ss, new Worker(), { id: 'w2', concurrency: 1.5 })).toThrow(/integer/)
  })

  it('drop-oldest over protected messages only drops the new one', async () => {
    const sys = (system = new ActorSystem())
    const dead = deadLetters(sys)
    const w = new Worker()
    const ref = sys.spawn(ss, w, { id: 'w', mailbox: { capacity: 1, overflow: 'drop-oldest', protected: ['Stop'] } })
    await ref.machine.when('Ready')
    ref.tell('Gate')
    await new Promise((r) => setTimeout(r, 0))
    ref.tell('Stop') // protected, fills the mailbox
    ref.tell('Job', { n: 1 }) // nothing droppable is older: this one goes
    expect(dead).toEqual([expect.objectContaining({ msg: 'Job', reason: 'dropped:full' })])
    w.open()
    await vi.waitFor(() => expect(ref.stats.processed).toBe(2)) // Gate, then the protected Stop
    await ref.ask('Tick')
    expect(w.seen).toEqual([])
  })

  it('receptionist.unregister: true once, then false', async () => {
    const sys = (system = new ActorSystem())
    const Workers = serviceKey<typeof ss, Worker>('workers')
    const ref = sys.spawn(ss, new Worker(), { id: 'w', key: Workers })
    expect(sys.receptionist.find(Workers)).toEqual([ref])
    expect(sys.receptionist.unregister(Workers, ref)).toBe(true)
    expect(sys.receptionist.unregister(Workers, ref)).toBe(false)
    expect(sys.receptionist.find(Workers)).toEqual([])
  })

  it('timers.every repeats until cancelled; has() follows', async () => {
    const sys = (system = new ActorSystem())
    const seen: boolean[] = []
    class Clock {
      ticks = 0
      GateState(e: ActorEvent): void {
        e.timers.every('tick', 'Tick', 2)
        seen.push(e.timers.has('tick'))
      }
      TickState(): void {
        this.ticks++
      }
      StopState(e: ActorEvent): void {
        seen.push(e.timers.cancel('tick'), e.timers.cancel('tick'), e.timers.has('tick'))
      }
    }
    const w = new Clock()
    const ref = sys.spawn(ss, w, { id: 'clock' })
    await ref.ask('Gate')
    await new Promise((r) => setTimeout(r, 30))
    await ref.ask('Stop')
    const ticks = w.ticks
    expect(ticks).toBeGreaterThanOrEqual(2)
    await new Promise((r) => setTimeout(r, 20))
    expect(w.ticks).toBe(ticks)
    expect(seen).toEqual([true, true, false, false])
  })

  it('timers first used after stop() began are refused with ActorTerminatedError', async () => {
    const sys = (system = new ActorSystem())
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    let refused: unknown
    const ref = sys.spawn(ss, {
      async JobState(e: ActorEvent): Promise<void> {
        await gate
        try {
          e.timers.once('late', 'Tick', 1)
        } catch (err) {
          refused = err
        }
      },
    }, { id: 'w' })
    ref.tell('Job', { n: 1 })
    await ref.machine.when('Job')
    const stopped = sys.stop(ref, { timeout: 1000 })
    release()
    await stopped
    expect(refused).toBeInstanceOf(ActorTerminatedError)
  })

  it('dead letters are logged through the system logger at LogLevel.Changes', async () => {
    const lines: string[] = []
    const sys = (system = new ActorSystem({ logLevel: LogLevel.Changes, logger: (_l, line) => void lines.push(line) }))
    const ref = sys.spawn(ss, new Worker(), { id: 'w' })
    await sys.stop(ref)
    ref.tell('Job', { n: 1 })
    expect(lines.some((l) => l.includes('[dead-letter] w Job (stopped)'))).toBe(true)
  })

  it('tell-only views of supervised refs, pools and routers deliver; a closed router has no actors', async () => {
    const sys = (system = new ActorSystem())
    const dead = deadLetters(sys)
    const sup = new Supervisor(sys, { id: 'sup' })
    const w = new Worker()
    const supervised = sup.supervise({ id: 'a', schema: ss, handlers: () => w })
    expect(sup.child('a')).toBe(supervised)
    expect(sup.child('nobody')).toBeUndefined()
    supervised.tellOnly().tell('Job', { n: 'supervised' })
    const pw = new Worker()
    const pool = new Pool(sys, { id: 'pool', size: 2, schema: ss, handlers: () => pw })
    pool.tellOnly().tell('Job', { n: 'pool' })
    const Workers = serviceKey<typeof ss, Worker>('workers')
    const rw = new Worker()
    sys.spawn(ss, rw, { id: 'r', key: Workers })
    const router = sys.router(Workers)
    void router.tellOnly().tell('Job', { n: 'router' }) // a router's policy is unknown: void | Promise<void>
    await Promise.all([supervised.ask('Tick'), pool.ask('Tick'), pool.ask('Tick'), router.ask('Tick')])
    expect([...w.seen, ...pw.seen, ...rw.seen]).toEqual(['supervised', 'pool', 'router'])
    router.close()
    expect(() => router.tell('Job', { n: 'lost' })).toThrow(NoActorsError)
    expect(dead.at(-1)).toMatchObject({ actorId: 'router:workers', msg: 'Job', reason: 'no-actors' })
  })
})
