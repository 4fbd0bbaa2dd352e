/**
 * Supervisors: which children each strategy restarts, refs that survive restarts with no message lost, intensity
 * and escalation, backoff delays, directives, start failures and dependency projection.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { schema } from '../../lib/machine/index.js'
import {
  ActorSystem, Backoff, RestartLimitError, RestartWindow, Supervisor, type ActorEvent, type ChildContext,
  type Strategy,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Work: { multi: true }, Crash: { multi: true } })

/** Handlers that answer Work with `<id>#<incarnation>:<n>` and throw on Crash. */
function worker(log: string[]) {
  return ({ id, incarnation }: ChildContext<unknown>) => ({
    WorkState(e: ActorEvent): string {
      const line = `${id}#${incarnation}:${String(e.args.n)}`
      log.push(line)
      return line
    },
    CrashState(): void {
      throw new Error(`${id} crashed`)
    },
  })
}

const fast = { min: 1, max: 1, jitter: 0 }
let system: ActorSystem
afterEach(async () => {
  vi.useRealTimers()
  await system.shutdown({ timeout: 100 })
})

async function threeChildren(strategy: Strategy) {
  const log: string[] = []
  const sup = new Supervisor(system, { id: 'sup', strategy, backoff: fast })
  const refs = ['a', 'b', 'c'].map((id) => sup.supervise({ id, schema: ss, handlers: worker(log) }))
  await Promise.all(refs.map((r) => r.ask('Work', { n: 0 })))
  return { sup, refs, log }
}

describe('strategies', () => {
  const cases: Array<[Strategy, number[]]> = [
    ['one-for-one', [1, 2, 1]],
    ['one-for-all', [2, 2, 2]],
    ['rest-for-one', [1, 2, 2]],
  ]
  for (const [strategy, incarnations] of cases) {
    it(`${strategy}: b fails → incarnations ${incarnations.join(' ')}`, async () => {
      system = new ActorSystem()
      const { sup, refs } = await threeChildren(strategy)
      const [, b] = refs
      await expect(b?.ask('Crash')).rejects.toThrow('b crashed')
      await sup.machine.whenNot('Restarting', { timeout: 1000 })
      const replies = await Promise.all(refs.map((r) => r.ask('Work', { n: 1 })))
      expect(replies).toEqual(['a', 'b', 'c'].map((id, i) => `${id}#${incarnations[i] ?? 0}:1`))
      expect(sup.restarts).toBe(incarnations.filter((n) => n === 2).length)
      expect(sup.machine.tick('ChildFailed')).toBe(1)
    })
  }
})

describe('restarts keep refs and messages', () => {
  it('messages sent during the restart are delivered, in order, to the new incarnation', async () => {
    system = new ActorSystem()
    const log: string[] = []
    const sup = new Supervisor(system, { id: 'sup', backoff: { min: 20, max: 20, jitter: 0 } })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: worker(log) })
    ref.tell('Work', { n: 1 })
    ref.tell('Crash')
    ref.tell('Work', { n: 2 }) // queued behind the crash: kept for the next incarnation
    await sup.machine.when('Restarting', { timeout: 1000 })
    ref.tell('Work', { n: 3 }) // arrives while restarting
    const last = await ref.ask('Work', { n: 4 })
    expect(last).toBe('w#2:4')
    expect(log).toEqual(['w#1:1', 'w#2:2', 'w#2:3', 'w#2:4'])
    expect(ref.stopped).toBe(false)
  })
})

describe('intensity and escalation', () => {
  it('more than maxRestarts within period: ErrRestartLimit, children stopped', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const log: string[] = []
    const sup = new Supervisor(system, { id: 'sup', maxRestarts: 2, period: 10_000, backoff: fast })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: worker(log) })
    for (let i = 0; i < 3; i++) {
      await ref.ask('Crash').catch(() => undefined)
      if (i < 2) await sup.machine.whenNot('Restarting', { timeout: 1000 })
    }
    await sup.machine.when('Stopped', { timeout: 1000 })
    expect(sup.machine.is('ErrRestartLimit')).toBe(true)
    expect(sup.machine.err).toBeInstanceOf(RestartLimitError)
    expect(sup.restarts).toBe(2)
    expect(ref.stopped).toBe(true)
    ref.tell('Work', { n: 9 })
    expect(dead.at(-1)).toMatchObject({ actorId: 'w', msg: 'Work', reason: 'stopped' })
  })

  it('a sub-supervisor past its intensity escalates: the parent restarts it afresh', async () => {
    system = new ActorSystem()
    const log: string[] = []
    const parent = new Supervisor(system, { id: 'parent', backoff: fast })
    const sub = new Supervisor(system, { id: 'sub', parent, maxRestarts: 0, backoff: fast })
    const ref = sub.supervise({ id: 'w', schema: ss, handlers: worker(log) })
    await ref.ask('Crash').catch(() => undefined)
    await parent.machine.when('ChildFailed', { timeout: 1000 })
    await parent.machine.whenNot('Restarting', { timeout: 1000 })
    expect(await ref.ask('Work', { n: 1 })).toBe('w#2:1')
    expect(sub.machine.is('ErrRestartLimit')).toBe(false)
    expect(parent.machine.is('Ready')).toBe(true)
  })
})

describe('directives', () => {
  it('resume keeps the incarnation and clears Exception', async () => {
    system = new ActorSystem()
    const log: string[] = []
    const sup = new Supervisor(system, { id: 'sup', decide: () => 'resume' })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: worker(log) })
    await ref.ask('Crash').catch(() => undefined)
    await sup.machine.when('ChildFailed', { timeout: 1000 })
    await ref.machine.whenNot('Exception', { timeout: 1000 }) // resumed in a macrotask (storms yield)
    expect(await ref.ask('Work', { n: 1 })).toBe('w#1:1')
  })

  it('stop retires the child; decide sees the error and restart count', async () => {
    system = new ActorSystem()
    const seen: Array<[string, string, number]> = []
    const sup = new Supervisor(system, {
      id: 'sup',
      decide: (err, child) => {
        seen.push([(err as Error).message, child.id, child.restarts])
        return 'stop'
      },
    })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: worker([]) })
    await ref.ask('Crash').catch(() => undefined)
    await sup.machine.when('ChildStopped', { timeout: 1000 })
    expect(seen).toEqual([['w crashed', 'w', 0]])
    expect(ref.stopped).toBe(true)
    expect(sup.childIds).toEqual([])
  })

  it('a temporary child is stopped instead of restarted', async () => {
    system = new ActorSystem()
    const sup = new Supervisor(system, { id: 'sup' })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: worker([]), restart: 'temporary' })
    await ref.ask('Crash').catch(() => undefined)
    await sup.machine.when('ChildStopped', { timeout: 1000 })
    expect(sup.restarts).toBe(0)
  })

  it('a child that throws on start is restarted until it starts', async () => {
    system = new ActorSystem()
    let attempts = 0
    const sup = new Supervisor(system, { id: 'sup', backoff: fast, maxRestarts: 5 })
    const ref = sup.supervise({
      id: 'w',
      schema: ss,
      handlers: ({ incarnation }) => ({
        StartState(): void {
          attempts++
          if (incarnation < 3) throw new Error('not yet')
        },
        WorkState: (): number => incarnation,
      }),
    })
    expect(await ref.ask('Work', {}, { timeout: 2000 })).toBe(3)
    expect(attempts).toBe(3)
  })

  it('children receive projected dependencies', async () => {
    system = new ActorSystem()
    const sup = new Supervisor(system, {
      id: 'sup',
      deps: { db: 'postgres://', secret: 'hunter2' },
      project: (deps, id) => ({ db: deps.db, id }),
    })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: ({ deps }) => ({ WorkState: () => deps }) })
    expect(await ref.ask('Work')).toEqual({ db: 'postgres://', id: 'w' })
  })
})

describe('backoff', () => {
  it('exponential delays with a cap, reset after a quiet period', () => {
    const b = new Backoff({ min: 100, max: 1000, jitter: 0, resetAfter: 5000 })
    expect([0, 1, 2, 3, 4, 5].map((t) => b.next(t))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(b.next(10_000)).toBe(100)
    const j = new Backoff({ min: 100, jitter: 0.5, random: () => 1 })
    expect(j.next(0)).toBe(150)
    expect(() => new Backoff({ min: 10, max: 5 })).toThrow(RangeError)
  })

  it('the intensity window counts restarts within the period', () => {
    const w = new RestartWindow(2, 1000)
    expect([w.record(0), w.record(10), w.record(20)]).toEqual([true, true, false])
    expect(w.record(1015)).toBe(true)
  })

  it('restart waits for the backoff delay (fake timers)', async () => {
    vi.useFakeTimers()
    system = new ActorSystem()
    const log: string[] = []
    const sup = new Supervisor(system, { id: 'sup', backoff: { min: 500, max: 500, jitter: 0 } })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers: worker(log) })
    await vi.advanceTimersByTimeAsync(1)
    ref.tell('Crash')
    ref.tell('Work', { n: 1 })
    await vi.advanceTimersByTimeAsync(499)
    expect(log).toEqual([])
    expect(sup.machine.is('Restarting')).toBe(true)
    await vi.advanceTimersByTimeAsync(2)
    expect(log).toEqual(['w#2:1'])
  })
})
