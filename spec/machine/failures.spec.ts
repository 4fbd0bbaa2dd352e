/**
 * Failures inside the core never crash, never get lost and never leave a promise pending: hostile handler return
 * values and thrown values, throws in handlers of a transition adding Exception, followers that throw, and the
 * transition's view of time in final handlers.
 */
import { describe, expect, it } from 'vitest'
import {
  HandlerError, InvalidArgumentError, LogLevel, Machine, Result, schema, type Event, type TransitionInfo,
} from '../../lib/machine/index.js'
import { onActivity, pendingWaiters } from '../../lib/machine/internals.js'
import { runChild } from '../support/child.js'

const ss = schema({ A: {}, B: {}, C: {} })
const lines = (): { logger: (l: LogLevel, s: string) => void; out: string[] } => {
  const out: string[] = []
  return { out, logger: (_l, s) => void out.push(s) }
}
const throwingThen = (): object => ({
  get then(): never {
    throw new Error('then getter')
  },
})

describe('hostile handler return values', () => {
  it('a State handler returning a value whose then getter throws: a handler failure, rolled back', () => {
    const m = new Machine(ss, { handlers: { BState: throwingThen } })
    expect(m.add(['A', 'B'])).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Exception', 'A'])
    expect(m.err).toBeInstanceOf(HandlerError)
    expect((m.err as HandlerError).message).toContain("handler 'BState' returned a value whose 'then' cannot be read")
    expect(((m.err as HandlerError).cause as Error).message).toBe('then getter')
  })

  it('a negotiation handler returning such a value cancels; AnyState too is a failure', () => {
    // @ts-expect-error a negotiation handler returns boolean | void: the constructor checks as bind() does
    const m = new Machine(ss, { handlers: { AEnter: throwingThen } })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Exception'])
    const n = new Machine(ss, { handlers: { AnyState: (e: Event) => (e.transition.calledStates.includes('A') ? throwingThen() : undefined) } })
    n.add('A')
    expect(n.is('Exception')).toBe(true)
    expect((n.err as Error).message).toContain("'AnyState' returned a value whose 'then' cannot be read")
  })

  it("a thenable whose then() throws is a failure; one that rejects twice is one error", async () => {
    const m = new Machine(ss, { handlers: { AState: () => ({ then: () => { throw new Error('then()') } }) } })
    m.add('A')
    expect(m.activeStates).toEqual(['Exception'])
    expect(((m.err as Error).cause as Error).message).toBe('then()')

    const seen: unknown[] = []
    const n = new Machine(ss, {
      handlers: {
        AState: () => ({ then: (_ok: unknown, fail: (e: unknown) => void) => { fail(new Error('one')); fail(new Error('two')) } }),
        ExceptionState: (e: Event) => void seen.push(e.args.err),
      },
    })
    n.add('A')
    await Promise.resolve()
    expect(seen.map((e) => (e as Error).message)).toEqual(['one'])
  })

  it('handler return values that are functions, nulls or primitives are no thenables', () => {
    const m = new Machine(ss, { handlers: { AState: () => 42, BState: () => null, CState: () => () => undefined } })
    expect(m.add(['A', 'B', 'C'])).toBe(Result.Executed)
    expect(m.is('Exception')).toBe(false)
  })
})

describe('thrown values that are not Errors', () => {
  it('undefined and null become a HandlerError naming the handler; other values are kept as they are', () => {
    for (const v of [undefined, null]) {
      const m = new Machine(ss, { handlers: { AState: () => { throw v } } })
      m.add('A')
      expect(m.is('Exception')).toBe(true)
      expect(m.err).toBeInstanceOf(HandlerError)
      expect((m.err as Error).message).toBe(`machine ${m.id}: handler 'AState' threw ${String(v)}`)
    }
    const hostile = [42, 'str', Symbol('s'), Object.create(null) as object,
      { toString: () => { throw new Error('toString') } }, new Proxy({}, { get: () => { throw new Error('trap') }, getPrototypeOf: () => { throw new Error('trap') } })]
    for (const v of hostile) {
      const { logger, out } = lines()
      const m = new Machine(ss, { logger, logLevel: LogLevel.Ops, handlers: { AState: () => { throw v } } })
      m.add('A')
      expect(m.is('Exception')).toBe(true)
      expect(m.err).toBe(v)
      expect(out.some((l) => l.includes('[error] AState: '))).toBe(true)
    }
  })

  it('an async final handler rejecting with undefined or a hostile value: Exception with something recorded', async () => {
    const m = new Machine(ss, { handlers: { AState: () => Promise.reject(undefined) } })
    m.add('A')
    await m.whenErr({ timeout: 1000 })
    expect((m.err as Error).message).toBe(`machine ${m.id}: handler 'AState' rejected with undefined`)
  })

  it('async rejections with hostile values, stale or not, at every log level, never crash the process', async () => {
    const run = await runChild(`
import { Machine, schema, LogLevel } from 'polymachine-src'
const values = [Object.create(null), { toString() { throw new Error('x') } }, Symbol('s'), undefined,
  new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } })]
const ss = schema({ A: {}, B: {} })
let n = 0
for (const v of values) {
  for (const level of [LogLevel.Nothing, LogLevel.Changes, LogLevel.Everything]) {
    const m = new Machine(ss, { logLevel: level, logger: () => {}, handlers: {
      async AState() { await null; throw v },
      async BState() { await new Promise((r) => setTimeout(r, 1)); throw v },
      async ExceptionState() { await null; throw v },
    } })
    m.add('A')
    m.add('B'); m.remove('B') // stale by the time it rejects
    await new Promise((r) => setTimeout(r, 5))
    if (m.is('Exception')) n++
  }
}
console.log('exceptions=' + n)
`)
    expect(run.code, run.stderr).toBe(0)
    expect(run.faults, run.stderr).toBe(0)
    expect(run.stdout).toContain('exceptions=15')
  })

  it('addErr(undefined) records an InvalidArgumentError that says what happened', () => {
    const m = new Machine(ss, { id: 'm' })
    m.addErr(undefined)
    expect(m.is('Exception')).toBe(true)
    expect(m.err).toBeInstanceOf(InvalidArgumentError)
    expect((m.err as Error).message).toBe('machine m: addErr(): err must be an error, got undefined')
  })
})

describe('errors never vanish: a throw in a handler of a transition adding Exception', () => {
  type M = Machine<'A' | 'B' | 'C' | 'Exception'>
  /** [handler that throws, setup before it is armed, the mutation that makes it throw] */
  const cases: Array<[string, (m: M) => void, (m: M) => void]> = [
    ['AnyEnter', () => undefined, (m) => m.add('A')],
    ['AA', (m) => m.add('A'), (m) => m.add('A')],
    // A and B active: the pair handler runs for B in every later transition's targets, the Exception add's too
    ['AB', (m) => m.add(['A', 'B']), (m) => m.add('C')],
    ['ExceptionEnter', () => undefined, (m) => m.addErr(new Error('original'))],
    ['ExceptionState', () => undefined, (m) => m.addErr(new Error('original'))],
    ['AnyState', () => undefined, (m) => m.add('A')],
  ]
  for (const [name, setup, act] of cases) {
    it(`${name}: Exception ends active, the error is mach.err`, () => {
      let armed = false
      const thrown = new Error(name)
      const m: M = new Machine(ss, { handlers: { [name]: () => { if (armed) throw thrown } } })
      setup(m)
      armed = true
      act(m)
      expect(m.is('Exception')).toBe(true)
      expect(m.err).toBe(thrown)
      // and the machine goes on as usual
      armed = false
      expect(m.remove('Exception')).toBe(Result.Executed)
      expect(m.is('Exception')).toBe(false)
    })
  }

  it('the throw while adding Exception is reported once, naming the error being handled', () => {
    const { logger, out } = lines()
    const m = new Machine(ss, { logger, logLevel: LogLevel.Changes,
      handlers: { ExceptionEnter: () => { throw new Error('enter fails') } } })
    m.addErr(new Error('disk full'))
    expect(out.filter((l) => l.includes('ExceptionEnter threw while adding Exception (for: disk full); ' +
      'Exception is not re-added: enter fails'))).toHaveLength(1)
  })

  it('many failures of an application that handles its errors (removes Exception) are never a storm', () => {
    const m = new Machine(schema({ Req: { multi: true } }), {
      handlers: {
        ReqEnter: (e: Event) => { throw new Error(`bad ${e.args.n as number}`) },
        ExceptionState: () => void m.remove('Exception'),
      },
    })
    for (let n = 0; n < 300; n++) m.add('Req', { n })
    expect((m.err as Error).message).toBe('bad 299')
    expect(m.tick('Exception')).toBe(600)
  })

  it('ExceptionEnter returning false still keeps Exception out (a decision, not a failure)', () => {
    const m = new Machine(ss, { handlers: { ExceptionEnter: () => false } })
    m.addErr(new Error('x'))
    expect(m.is('Exception')).toBe(false)
    expect((m.err as Error).message).toBe('x')
  })
})

describe('every waiter settles', () => {
  it('a follower that throws does not keep the waiters after it from being told', async () => {
    const m = new Machine(ss)
    const stop = onActivity(m as Machine<string>, 'A', (on) => { if (on) throw new Error('follower') })
    const w = m.when('A', { timeout: 500 })
    expect(m.add('A')).toBe(Result.Executed)
    await w
    stop()
    expect(pendingWaiters(m)).toBe(0)
  })

  it('a final handler failing after the clocks moved: waiters of the states that stayed are told', async () => {
    const m = new Machine(ss, { handlers: { BState: throwingThen } })
    const a = m.when('A', { timeout: 500 })
    const b = m.whenNot('B', { timeout: 500 })
    const exc = m.whenErr({ timeout: 500 })
    m.add(['A', 'B'])
    await Promise.all([a, b, exc])
    expect(pendingWaiters(m)).toBe(0)
  })

  it('whenArgs with hostile mutation args neither throws nor hangs the transition', async () => {
    const m = new Machine(ss)
    const w = m.whenArgs('A', { id: 1 }, { timeout: 50 })
    const args = new Proxy({}, { has: () => { throw new Error('has') }, get: () => { throw new Error('get') } })
    expect(m.add('A', args as never)).toBe(Result.Executed)
    expect(m.is('A')).toBe(true)
    await expect(w).rejects.toThrow('timed out')
  })

  it('a throwing tracer hook: the transition completes and its waiters settle', async () => {
    const m = new Machine(ss, { tracers: [{ transitionEnd: () => { throw new Error('tracer') } }] })
    const w = m.when('A', { timeout: 500 })
    m.add('A')
    await w
    expect(m.is('Exception')).toBe(false)
  })
})

describe('the transition’s view of time', () => {
  it('timeAfter in a State handler shows the applied clocks (asyncmachine-go); after a roll-back, the end clocks', () => {
    let inState: readonly number[] = []
    let inEnter: readonly number[] = []
    let tx: TransitionInfo | undefined
    const m = new Machine(ss, {
      handlers: {
        AEnter: (e: Event) => void (inEnter = e.transition.timeAfter),
        AState: (e: Event) => void (inState = e.transition.timeAfter),
        CState: (e: Event) => { tx = e.transition; void e.transition.timeAfter; throw new Error('c') },
      },
    })
    m.add('A')
    expect(inEnter).toEqual([1, 0, 0, 0]) // while negotiating: provisional (asyncmachine-go)
    expect(inState).toEqual([1, 0, 0, 0])
    m.add('C')
    // C applied (1), then rolled back (2): read after the end, timeAfter is the end clock
    expect(tx?.timeAfter).toEqual([1, 0, 2, 0])
    expect(tx?.timeBefore).toEqual([1, 0, 0, 0])
  })

  it('timeAfter while negotiating is provisional: +1 per enter and exit, +2 for a multi re-entry; a check or a cancel shows timeBefore', () => {
    const ms = schema({ A: { remove: ['B'] }, B: {}, M: { multi: true }, C: {} })
    const seen: Array<readonly number[]> = []
    let tx: TransitionInfo | undefined
    const m = new Machine(ms, {
      handlers: {
        AnyEnter: (e: Event) => {
          seen.push(e.transition.timeAfter)
          tx = e.transition
          return !e.args.no
        },
      },
    })
    m.add(['B', 'M'])
    m.add(['A', 'M'])
    // [A, B, M, C, Exception]
    expect(seen).toEqual([[0, 1, 1, 0, 0], [1, 2, 3, 0, 0]])
    expect(m.canAdd('C')).toBe(0)
    expect(seen).toHaveLength(3)
    expect(seen.at(-1)).toEqual([1, 2, 3, 0, 0]) // a check: timeBefore
    expect(m.add('C', { no: true })).toBe(1)
    expect(seen.at(-1)).toEqual([1, 2, 3, 1, 0]) // provisional, read while negotiating
    expect(tx?.timeAfter).toEqual(m.time()) // canceled: unchanged
  })
})
