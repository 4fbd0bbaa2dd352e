/**
 * Every promise the actor runtime hands out settles: asks in flight at stop/shutdown (even when the handler ignores
 * e.signal), blocked senders whose neighbour gave up, block-mailbox tells, e.signal read late, and timeouts beyond
 * setTimeout's 2^31-1 ms limit (which Node would otherwise fire after 1 ms).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TimeoutError, schema } from '../../lib/machine/index.js'
import { ActorSystem, ActorTerminatedError, type ActorEvent } from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Job: { multi: true }, Gate: { multi: true }, Hang: { multi: true } })

/** Settles within `ms` or reports 'pending' (a regression fails fast instead of timing out the test). */
function within<T>(p: Promise<T>, ms = 1_000): Promise<{ ok: T } | { err: unknown } | 'pending'> {
  return Promise.race([
    p.then((ok) => ({ ok }), (err: unknown) => ({ err })),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
  ])
}

class Worker {
  seen: unknown[] = []
  private release: (() => void) | undefined
  readonly gate = new Promise<void>((r) => (this.release = r))
  onJob: ((n: unknown) => void) | undefined
  open(): void {
    this.release?.()
  }
  GateState(): Promise<void> {
    return this.gate
  }
  JobState(e: ActorEvent): unknown {
    this.seen.push(e.args.n)
    this.onJob?.(e.args.n)
    return e.args.n
  }
  HangState(): Promise<never> {
    return new Promise(() => undefined) // ignores e.signal: never settles
  }
}

let system: ActorSystem
afterEach(async () => {
  vi.useRealTimers()
  await system.shutdown({ timeout: 20 })
})

describe('asks in flight at stop and shutdown', () => {
  it('shutdown fails an ask whose handler ignores e.signal with ActorTerminatedError', async () => {
    system = new ActorSystem()
    const ref = system.spawn(ss, new Worker(), { id: 'w' })
    const asked = ref.ask('Hang')
    await new Promise((r) => setTimeout(r, 5))
    expect(ref.stats.inFlight).toBe(1)
    await system.shutdown({ timeout: 10 })
    const r = await within(asked)
    expect(r).toMatchObject({ err: expect.any(ActorTerminatedError) })
    expect((r as { err: ActorTerminatedError }).err.code).toBe('ERR_ACTOR_TERMINATED')
  })

  it('stop fails every ask still in flight with concurrency > 1; a handler done in time keeps its reply', async () => {
    system = new ActorSystem()
    const w = new Worker()
    const ref = system.spawn(ss, w, { id: 'w', concurrency: 3 })
    const hangs = [ref.ask('Hang'), ref.ask('Hang')]
    const gated = ref.ask('Gate')
    await new Promise((r) => setTimeout(r, 5))
    expect(ref.stats.inFlight).toBe(3)
    const stopped = system.stop(ref, { timeout: 30 })
    w.open() // Gate finishes within the timeout
    await stopped
    expect(await within(gated)).toEqual({ ok: undefined })
    for (const h of hangs) expect(await within(h)).toMatchObject({ err: expect.any(ActorTerminatedError) })
  })

  it('a stop timeout beyond 2^31-1 ms waits for the handler instead of firing after 1 ms', async () => {
    system = new ActorSystem()
    const w = new Worker()
    const ref = system.spawn(ss, w, { id: 'w' })
    const gated = ref.ask('Gate')
    await new Promise((r) => setTimeout(r, 5))
    const stopped = system.stop(ref, { timeout: 2 ** 32 })
    await new Promise((r) => setTimeout(r, 30))
    expect(ref.stopped).toBe(false)
    w.open()
    await stopped
    expect(await within(gated)).toEqual({ ok: undefined })
  })
})

describe('an actor whose machine the user disposed', () => {
  it('fails its asks, and still stops: watch resolves, queued asks settle', async () => {
    system = new ActorSystem()
    const ref = system.spawn(ss, new Worker(), { id: 'w' })
    await ref.machine.when('Ready')
    ref.machine.dispose()
    expect(await within(ref.ask('Job', { n: 1 }))).toMatchObject({ err: expect.any(ActorTerminatedError) })
    const watched = system.watch(ref)
    await system.stop(ref)
    expect(await within(watched)).toMatchObject({ ok: { reason: 'stopped' } })
    expect(await within(ref.ask('Job'))).toMatchObject({ err: expect.any(ActorTerminatedError) })
  })
})

describe('block mailboxes', () => {
  it('tell returns a Promise even when there is room; to a stopped actor it rejects and writes a dead letter', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const ref = system.spawn(ss, new Worker(), { id: 'w', mailbox: { capacity: 4, overflow: 'block' } })
    const sent = ref.tell('Job', { n: 1 })
    expect(sent).toBeInstanceOf(Promise)
    await sent
    expect(await ref.ask('Job', { n: 9 })).toBe(9)
    await system.stop(ref)
    const late = ref.tell('Job', { n: 2 })
    expect(late).toBeInstanceOf(Promise)
    expect(await within(late)).toMatchObject({ err: expect.any(ActorTerminatedError) })
    expect(dead.map((d) => [d.args?.n, d.reason])).toEqual([[2, 'stopped']])
  })

  it('a woken sender that aborts passes the room to the next one: nothing lost, nothing delivered twice', async () => {
    system = new ActorSystem()
    const w = new Worker()
    const ref = system.spawn(ss, w, { id: 'w', mailbox: { capacity: 1, overflow: 'block' } })
    await ref.machine.when('Ready')
    void ref.tell('Gate') // in flight: the actor is busy
    await new Promise((r) => setTimeout(r, 0))
    await ref.tell('Job', { n: 1 }) // queued: the mailbox is full
    const ctl = new AbortController()
    const a = ref.tell('Job', { n: 2 }, { signal: ctl.signal }) // waits first
    const b = ref.tell('Job', { n: 3 }) // waits behind it
    // taking Job 1 wakes sender a; Job 1's handler aborts a before a could use the room
    w.onJob = (n) => n === 1 && ctl.abort(new Error('gave up'))
    w.open()
    expect(await within(a)).toMatchObject({ err: { message: 'gave up' } })
    expect(await within(b)).toEqual({ ok: undefined })
    await ref.ask('Job', { n: 4 })
    expect(w.seen).toEqual([1, 3, 4])
    expect(ref.stats).toMatchObject({ received: 4, dropped: 0, queued: 0 })
  })

  it('an ask that times out while woken passes the room on too', async () => {
    system = new ActorSystem()
    const w = new Worker()
    const ref = system.spawn(ss, w, { id: 'w', mailbox: { capacity: 1, overflow: 'block' } })
    await ref.machine.when('Ready')
    void ref.tell('Gate')
    await new Promise((r) => setTimeout(r, 0))
    await ref.tell('Job', { n: 1 })
    const ctl = new AbortController()
    const a = ref.ask('Job', { n: 2 }, { signal: ctl.signal })
    const b = ref.ask('Job', { n: 3 })
    w.onJob = (n) => n === 1 && ctl.abort(new Error('ask gave up'))
    w.open()
    expect(await within(a)).toMatchObject({ err: { message: 'ask gave up' } })
    expect(await within(b)).toEqual({ ok: 3 })
    expect(w.seen).toEqual([1, 3])
  })
})

describe('e.signal', () => {
  it('read for the first time after the actor began stopping, it is already aborted', async () => {
    system = new ActorSystem()
    let gate!: () => void
    const opened = new Promise<void>((r) => (gate = r))
    const h = {
      async JobState(e: ActorEvent): Promise<unknown> {
        await opened
        return [e.signal.aborted, (e.signal.reason as Error)?.name]
      },
    }
    const ref = system.spawn(ss, h, { id: 'w' })
    const asked = ref.ask('Job')
    await new Promise((r) => setTimeout(r, 5))
    const stopped = system.stop(ref, { timeout: 200 })
    gate()
    expect(await within(asked)).toEqual({ ok: [true, 'ActorTerminatedError'] })
    await stopped
  })
})

describe('timeouts beyond 2^31-1 ms', () => {
  it('ask with timeout 2^31 (or Infinity) does not fire after 1 ms; 2^31 fires when due', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    system = new ActorSystem()
    const ref = system.spawn(ss, new Worker(), { id: 'w' })
    let long: unknown = 'pending'
    let inf: unknown = 'pending'
    ref.ask('Hang', {}, { timeout: 2 ** 31 }).catch((e: unknown) => (long = e))
    ref.ask('Hang', {}, { timeout: Infinity }).catch((e: unknown) => (inf = e))
    await vi.advanceTimersByTimeAsync(10)
    expect(long).toBe('pending')
    await vi.advanceTimersByTimeAsync(2 ** 31)
    expect(long).toBeInstanceOf(TimeoutError)
    expect(inf).toBe('pending')
    vi.useRealTimers()
  })

  it('a blocked tell with timeout 2^31 keeps waiting; a timer with delay 2^31 does not fire after 1 ms', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    system = new ActorSystem()
    const w = new Worker()
    let fired = 0
    const h = Object.assign(w, {
      JobState(e: ActorEvent): void {
        if (e.args.n === 'timer') fired++
        else e.timers.once('t', 'Job', 2 ** 31, { n: 'timer' })
      },
    })
    const ref = system.spawn(ss, h, { id: 'w', mailbox: { capacity: 1, overflow: 'block' } })
    await ref.ask('Job', { n: 0 }) // arms the timer
    void ref.tell('Gate')
    await vi.advanceTimersByTimeAsync(0)
    await ref.tell('Job', { n: 1 })
    let blocked: unknown = 'pending'
    ref.tell('Job', { n: 2 }, { timeout: 2 ** 31 }).then(() => (blocked = 'sent'), (e: unknown) => (blocked = e))
    await vi.advanceTimersByTimeAsync(10)
    expect(blocked).toBe('pending')
    expect(fired).toBe(0)
    await vi.advanceTimersByTimeAsync(2 ** 31)
    expect(blocked).toBeInstanceOf(TimeoutError)
    w.open()
    await vi.advanceTimersByTimeAsync(10)
    vi.useRealTimers()
  })
})
