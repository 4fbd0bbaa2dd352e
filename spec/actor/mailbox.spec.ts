/**
 * Mailboxes: capacity and each overflow policy, protected messages, counters, dead letters and drop errors.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TimeoutError, schema } from '../../lib/machine/index.js'
import {
  ActorSystem, MailboxFullError, MessageDroppedError, Mailbox, seededRandom, type ActorEvent,
  type Envelope,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Job: { multi: true }, Stop: { multi: true }, Gate: { multi: true } })

/** Handlers whose `Gate` blocks the actor until `open()`; `Job` records its n. */
class Worker {
  seen: unknown[] = []
  private release: (() => void) | undefined
  readonly gate = new Promise<void>((r) => (this.release = r))
  /** Opens the gate and lets the actor work through its mailbox. */
  async open(): Promise<void> {
    this.release?.()
    await this.gate
    await new Promise((r) => setTimeout(r, 0))
  }
  GateState(): Promise<void> {
    return this.gate
  }
  JobState(e: ActorEvent): void {
    this.seen.push(e.args.n)
  }
}

let system: ActorSystem
afterEach(async () => {
  await system.shutdown({ timeout: 50 })
})


/** Spawns a worker blocked in Gate, so the mailbox fills up. */
async function blocked(mailbox: object): Promise<{ w: Worker; ref: ReturnType<typeof spawnIt> }> {
  const w = new Worker()
  const ref = spawnIt(w, mailbox)
  await ref.machine.when('Ready')
  ref.tell('Gate')
  await new Promise((r) => setTimeout(r, 0))
  return { w, ref }
}
function spawnIt(w: Worker, mailbox: object) {
  return system.spawn(ss, w, { id: 'w', mailbox: mailbox as { capacity: number } })
}

describe('mailbox policies', () => {
  it('drop-newest: a full mailbox drops the new message to dead letters; asks fail with MessageDroppedError', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const { w, ref } = await blocked({ capacity: 2, overflow: 'drop-newest' })
    const drops: unknown[] = []
    ref.drops$.subscribe((d) => drops.push(d.args?.n))
    for (const n of [1, 2, 3, 4]) ref.tell('Job', { n })
    await expect(ref.ask('Job', { n: 5 })).rejects.toBeInstanceOf(MessageDroppedError)
    expect(dead.map((d) => [d.msg, d.args?.n, d.reason])).toEqual([
      ['Job', 3, 'dropped:full'], ['Job', 4, 'dropped:full'], ['Job', 5, 'dropped:full'],
    ])
    await w.open()
    await ref.ask('Stop')
    expect(w.seen).toEqual([1, 2])
    // received counts every message the mailbox took, shed ones included: Gate, 1, 2, Stop queued + 3, 4, 5 dropped
    expect(ref.stats).toMatchObject({ received: 7, dropped: 3 })
    expect(drops).toEqual([3, 4, 5])
  })

  it('drop-oldest: the oldest queued message makes room', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const { w, ref } = await blocked({ capacity: 2, overflow: 'drop-oldest' })
    for (const n of [1, 2, 3, 4]) ref.tell('Job', { n })
    await w.open()
    expect(dead.map((d) => [d.args?.n, d.reason])).toEqual([[1, 'dropped:oldest'], [2, 'dropped:oldest']])
    expect(w.seen).toEqual([3, 4])
  })

  it('reject: tell throws MailboxFullError and nothing is queued', async () => {
    system = new ActorSystem()
    const { ref } = await blocked({ capacity: 1, overflow: 'reject' })
    ref.tell('Job', { n: 1 })
    expect(() => ref.tell('Job', { n: 2 })).toThrow(MailboxFullError)
    await expect(ref.ask('Job', { n: 3 })).rejects.toBeInstanceOf(MailboxFullError)
    expect(ref.stats.queued).toBe(1)
  })

  it('block: tell waits for room, then delivers in order; a timeout leaves nothing queued', async () => {
    system = new ActorSystem()
    const w = new Worker()
    const ref = system.spawn(ss, w, { id: 'w', mailbox: { capacity: 1, overflow: 'block' } })
    await ref.machine.when('Ready')
    await ref.tell('Gate')
    await new Promise((r) => setTimeout(r, 0))
    await ref.tell('Job', { n: 1 }) // room: resolves at once
    let second = false
    const p2 = ref.tell('Job', { n: 2 }).then(() => (second = true))
    await expect(ref.tell('Job', { n: 99 }, { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError)
    await new Promise((r) => setTimeout(r, 5))
    expect(second).toBe(false)
    await w.open()
    await p2
    await ref.ask('Stop')
    expect(w.seen).toEqual([1, 2])
    expect(ref.stats.dropped).toBe(0)
  })

  it('protected messages are never dropped, even over capacity', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const { w, ref } = await blocked({ capacity: 1, overflow: 'drop-newest', protected: ['Stop'] })
    ref.tell('Job', { n: 1 })
    ref.tell('Job', { n: 2 })
    const stop = ref.ask('Stop')
    expect(ref.stats.queued).toBe(2)
    await w.open()
    await stop
    expect(dead.map((d) => d.args?.n)).toEqual([2])
    expect(w.seen).toEqual([1])
  })

  it('bad mailbox options throw RangeError', () => {
    system = new ActorSystem()
    expect(() => new Mailbox({ capacity: 0 }, () => undefined)).toThrow(RangeError)
    expect(() => new Mailbox({ capacity: 10, red: { low: 8, high: 4 } }, () => undefined)).toThrow(RangeError)
  })
})

describe('random early drop', () => {
  it('drops nothing below low, everything at high, linearly in between', () => {
    const drops: string[] = []
    const box = new Mailbox({ capacity: 100, overflow: 'red', red: { low: 40, high: 80 }, random: seededRandom(7) }, (env) =>
      drops.push(env.msg))
    const env = (): Envelope => ({ msg: 'M', args: undefined, reply: undefined })
    for (let i = 0; i < 40; i++) expect(box.offer(env())).toBe('accepted')
    expect(drops).toHaveLength(0)
    // hold the size at 60 (halfway): the drop rate must be close to 50%
    for (let i = 0; i < 20; i++) box.offer(env())
    while (box.size > 60) box.take()
    const trials = 4000
    let dropped = 0
    for (let i = 0; i < trials; i++) {
      while (box.size > 60) box.take()
      if (box.size < 60) box.offer(env())
      if (box.size !== 60) continue
      if (box.offer(env()) === 'dropped') dropped++
      else box.take()
    }
    expect(dropped / trials).toBeGreaterThan(0.45)
    expect(dropped / trials).toBeLessThan(0.55)
    // at the high watermark everything is dropped
    while (box.size < 80) box.offer(env())
    expect(box.offer(env())).toBe('dropped')
  })
})
