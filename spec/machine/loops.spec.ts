/**
 * The loop rules (loops.ts): a handler-driven cycle neither hangs the process nor starves the event loop. Each
 * endless cycle runs in a child process (a regression would hang the runner): the mutation that starts it returns
 * after one drain budget, a timer still fires while the cycle goes on in macrotasks, and dispose() ends it. Exception
 * storms end with a LoopError and Exception active.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { DisposedError, Machine, OutOfRangeError, Result, schema, type Event } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { type ChildRun, runChild } from '../support/child.js'

/**
 * Every endless scenario, run one after the other in ONE child process (a child costs seconds to start on a busy
 * machine). Each scenario fills `out[name]`; the child prints `RESULT <json>` and exits.
 */
const SCENARIOS = `
import { Machine, schema, LoopError, Result } from 'polymachine-src'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const out = {}

/** The common shape of an endless cycle: bounded first run, a timer fires meanwhile, dispose() stops it. */
async function cycle(name, m, start, count) {
  const o = (out[name] = {})
  let fired = false
  setTimeout(() => { fired = true }, 1)
  o.result = m.add(start)
  o.first = count()
  await sleep(30)
  o.fired = fired
  o.later = count()
  m.dispose()
  const atDispose = count()
  await sleep(20)
  o.stopped = count() === atDispose
}

{
  let n = 0
  const m = new Machine(schema({ A: { multi: true } }), { drainBudget: 1000, handlers: { AState() { n++; m.add('A') } } })
  await cycle('multi', m, 'A', () => n)
}
{
  let n = 0
  const m = new Machine(schema({ A: {}, B: {} }), { drainBudget: 1000, handlers: {
    AState() { n++; m.remove('A'); m.add('B') },
    BState() { n++; m.remove('B'); m.add('A') },
  } })
  await cycle('toggle', m, 'A', () => n)
}
{
  let n = 0
  const m = new Machine(schema({ Auto: { auto: true }, Go: {} }), { handlers: { AutoState() { n++; m.remove('Auto') } } })
  await cycle('auto', m, 'Go', () => n)
}
{
  const m = new Machine(schema({ A: { multi: true } }), { id: 'cyc', drainBudget: 100, handlers: { AState() { m.add('A') } } })
  m.add('A')
  await sleep(100)
  m.dispose()
}
{
  const o = (out.excState = {})
  let calls = 0
  const m = new Machine(schema({ A: {} }), { handlers: { async ExceptionState() { calls++; throw new Error('again') } } })
  let fired = false
  setTimeout(() => { fired = true }, 1)
  m.addErr(new Error('first'))
  await sleep(50)
  const calls1 = calls
  await sleep(20)
  Object.assign(o, { fired, ended: calls === calls1, calls, loop: m.err instanceof LoopError, code: m.err.code,
    cause: m.err.cause?.message, exception: m.is('Exception') })
}
{
  const m = new Machine(schema({ A: {} }), { id: 'storm', handlers: { async AnyState() { throw undefined } } })
  m.add('A')
  await sleep(50)
  const t = m.tick('Exception')
  await sleep(20)
  out.anyState = { loop: m.err instanceof LoopError, exception: m.is('Exception'), ended: t === m.tick('Exception'),
    cause: m.err.cause?.code }
}
{
  let calls = 0
  const m = new Machine(schema({ A: {}, Auto: { auto: true } }), { handlers: {
    AnyEnter() { calls++; throw new Error('any enter') },
  } })
  const result = m.add('A')
  out.anyEnter = { result, calls, loop: m.err instanceof LoopError, exception: m.is('Exception'), queueLen: m.queueLen }
}
{
  // ExceptionState removes Exception; the remove fails in AnyEnter, which adds Exception again, and so on
  let calls = 0
  const m = new Machine(schema({ A: {} }), { handlers: {
    AnyEnter() { if (++calls < 100000) throw new Error('any') },
    ExceptionState() { m.remove('Exception') },
  } })
  const result = m.add('A')
  out.removeLoop = { result, calls, loop: m.err instanceof LoopError, exception: m.is('Exception') }
}
{
  let reject = true
  const m = new Machine(schema({ A: { multi: true } }), { handlers: {
    async ExceptionState() { if (reject) throw new Error('storm') },
    AState(e) { if (e.args.fail) throw new Error('later') },
  } })
  m.addErr(new Error('go'))
  await sleep(50)
  const loop = m.err instanceof LoopError
  reject = false
  m.remove('Exception')
  await sleep(1100)
  m.add('A', { fail: true })
  out.over = { loop, after: m.err.message, exception: m.is('Exception') }
}
console.log('RESULT ' + JSON.stringify(out))
process.exit(0)
`

let run: ChildRun
let out: Record<string, Record<string, unknown>>

beforeAll(async () => {
  run = await runChild(SCENARIOS, 60_000)
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  out = line ? (JSON.parse(line.slice('RESULT '.length)) as typeof out) : {}
}, 70_000)

describe('drain budget: handler-driven cycles (in a child process)', () => {
  it('the child survives every scenario: exit 0, no uncaught exception or unhandled rejection', () => {
    expect(run.timedOut, run.stderr).toBe(false)
    expect(run.code, run.stderr).toBe(0)
    expect(run.faults, run.stderr).toBe(0)
  })

  it('a multi state re-adding itself in its State handler', () => {
    const r = out.multi ?? {}
    expect(r.result).toBe(Result.Executed)
    // the caller's own transition, then one budget of queued re-adds
    expect(r.first).toBe(1001)
    expect(r.fired).toBe(true)
    expect(r.later).toBeGreaterThan(1001)
    expect(r.stopped).toBe(true)
  })

  it('two handlers toggling each other', () => {
    const r = out.toggle ?? {}
    expect(r.result).toBe(Result.Executed)
    expect(r.first).toBeLessThanOrEqual(1001)
    expect(r.fired).toBe(true)
    expect(r.later).toBeGreaterThan(r.first as number)
    expect(r.stopped).toBe(true)
  })

  it('an auto state removing itself (default budget)', () => {
    const r = out.auto ?? {}
    expect(r.result).toBe(Result.Executed)
    // 2 transitions per round (the auto add, the remove): half the default budget of 10 000, plus the first
    expect(r.first).toBeLessThanOrEqual(5001)
    expect(r.fired).toBe(true)
    expect(r.later).toBeGreaterThan(r.first as number)
    expect(r.stopped).toBe(true)
  })

  it('a cycle that goes on is reported once, in one line', () => {
    // Only the 'cyc' machine (budget 100) is sure to pass 10 slices; on a loaded host the other cycles of this child
    // (default budget) may run long enough to be reported too, each once, on its own line.
    const lines = run.stderr.split('\n').filter((l) => l.includes('handler-driven cycle') && l.includes('[cyc'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('[add] A')
    const all = run.stderr.split('\n').filter((l) => l.includes('handler-driven cycle'))
    expect(new Set(all).size).toBe(all.length)
  })
})

describe('Exception storms (in a child process)', () => {
  it('an async ExceptionState that always rejects: LoopError, Exception active, the storm ends', () => {
    const r = out.excState ?? {}
    expect(r.fired).toBe(true)
    expect(r.ended).toBe(true)
    expect(r.calls).toBeGreaterThan(100)
    expect(r.calls).toBeLessThan(110)
    expect(r.loop).toBe(true)
    expect(r.code).toBe('ERR_LOOP')
    expect(r.cause).toBe('again')
    expect(r.exception).toBe(true)
  })

  it('an async AnyState that always rejects (with undefined): the storm ends, said in one line', () => {
    expect(out.anyState).toEqual({ loop: true, exception: true, ended: true, cause: 'ERR_HANDLER' })
    expect(run.stderr.split('\n').filter((l) => l.includes('[storm') && l.includes('Exception storm'))).toHaveLength(1)
  })

  it('a throwing AnyEnter with an auto state (Exception, auto round, Exception …) ends inside one add()', () => {
    const r = out.anyEnter ?? {}
    expect(r.result).toBe(Result.Canceled)
    expect(r.calls).toBeGreaterThan(100)
    expect(r.calls).toBeLessThan(200)
    expect(r.loop).toBe(true)
    expect(r.exception).toBe(true)
    expect(r.queueLen).toBe(0)
  })

  it('ExceptionState removing Exception while the remove keeps failing: the storm ends with Exception active', () => {
    const r = out.removeLoop ?? {}
    expect(r.result).toBe(Result.Canceled)
    expect(r.calls).toBeGreaterThan(100)
    expect(r.calls).toBeLessThan(110)
    expect(r.loop).toBe(true)
    expect(r.exception).toBe(true)
  })

  it('a storm is over once failures stop for the window: the next failure is an ordinary Exception again', () => {
    expect(out.over).toEqual({ loop: true, after: 'later', exception: true })
  })
})

describe('drain budget: the run continues later', () => {
  const ss = schema({ A: { multi: true }, B: {} })

  it('the caller gets its own result; whenQueue/whenQueueEnds settle when the rest ran in later macrotasks', async () => {
    let n = 0
    const m = new Machine(ss, {
      drainBudget: 10,
      handlers: {
        AState(e: Event) {
          n++
          if ((e.args.left as number) > 0) m.add('A', { left: (e.args.left as number) - 1 })
        },
      },
    })
    expect(m.add('A', { left: 35 })).toBe(Result.Executed)
    expect(n).toBe(11)
    // the run is not over: an outside mutation is queued behind it and gets its queue tick
    const tick = m.add('B')
    expect(tick).toBeGreaterThanOrEqual(2)
    expect(m.is('B')).toBe(false)
    const ends = m.whenQueueEnds({ timeout: 1000 })
    await m.whenQueue(tick, { timeout: 1000 })
    // FIFO: B ran second in the next slice, after the A queued before it; the await goes on after that slice
    // (10 transitions: A, B, 8 × A)
    expect(n).toBe(11 + 9)
    expect(m.is('B')).toBe(true)
    await ends
    expect(n).toBe(36)
    expect(m.queueLen).toBe(0)
    expect(pendingWaiters(m)).toBe(0)
    // idle again: the next mutation runs at once
    expect(m.add('A')).toBe(Result.Executed)
  })

  it('dispose() during a suspended run ends it: whenQueueEnds rejects with DisposedError, nothing runs later', async () => {
    let n = 0
    // bounded, so that without the budget the cycle ends (and the test fails) instead of hanging the runner
    const m = new Machine(ss, { drainBudget: 5, handlers: { AState: () => void (n++ < 200 && m.add('A')) } })
    m.add('A')
    const ends = m.whenQueueEnds()
    m.dispose()
    await expect(ends).rejects.toBeInstanceOf(DisposedError)
    const at = n
    await new Promise((r) => setTimeout(r, 10))
    expect(n).toBe(at)
    expect(m.disposed).toBe(true)
  })

  it('dispose() from a handler of an endless cycle happens at the end of the slice', async () => {
    let n = 0
    const m = new Machine(ss, {
      drainBudget: 20,
      handlers: {
        AState() {
          n++
          if (n === 5) m.dispose()
          if (n < 200) m.add('A')
        },
      },
    })
    m.add('A')
    expect(m.disposed).toBe(false)
    await m.whenDisposed({ timeout: 1000 })
    expect(n).toBe(21)
  })

  it('drainBudget: a positive integer or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10', null]) {
      expect(() => new Machine(ss, { drainBudget: bad as number })).toThrow(OutOfRangeError)
    }
    expect(() => new Machine(ss, { drainBudget: 0 })).toThrow('options.drainBudget must be a positive integer or Infinity, got number 0')
    let n = 0
    const m = new Machine(ss, { drainBudget: Infinity, handlers: { AState: (e: Event) => void (n++, e.args.go && n < 20_000 && m.add('A', { go: true })) } })
    expect(m.add('A', { go: true })).toBe(Result.Executed)
    expect(n).toBe(20_000)
  })
})
