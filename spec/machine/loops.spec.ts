/**
 * The loop rules (loops.ts): a handler-driven cycle neither hangs the process nor starves the event loop. Each
 * endless cycle runs in a child process (a regression would hang the runner): the mutation that starts it returns
 * after one drain budget, a timer still fires while the cycle goes on in macrotasks, and dispose() ends it. Exception
 * storms end with a LoopError and Exception active.
 */
import { describe, expect, it } from 'vitest'
import { DisposedError, Machine, OutOfRangeError, Result, schema, type Event } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { runChild } from '../support/child.js'

/** Runs `body` in a child; it prints one JSON line `RESULT {...}` that is returned. */
async function child(body: string): Promise<Record<string, unknown>> {
  const run = await runChild(`
import { Machine, schema, LoopError, Result } from 'polymachine-src'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const out = {}
${body}
console.log('RESULT ' + JSON.stringify(out))
process.exit(0)
`, 20_000)
  expect(run.timedOut, run.stderr).toBe(false)
  expect(run.code, run.stderr).toBe(0)
  expect(run.faults, run.stderr).toBe(0)
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  expect(line, run.stdout + run.stderr).toBeDefined()
  return JSON.parse((line as string).slice('RESULT '.length)) as Record<string, unknown>
}

/** The common shape of an endless cycle: bounded first run, a timer fires meanwhile, dispose stops it. */
const CYCLE = `
let fired = false
setTimeout(() => { fired = true }, 1)
out.result = m.add(start)
out.first = n
await sleep(30)
out.fired = fired
out.later = n
m.dispose()
const atDispose = n
await sleep(20)
out.stopped = n === atDispose
`

describe.concurrent('drain budget: handler-driven cycles', () => {
  it('a multi state re-adding itself in its State handler', async () => {
    const r = await child(`
const m = new Machine(schema({ A: { multi: true } }), { drainBudget: 1000,
  handlers: { AState() { n++; m.add('A') } } })
let n = 0
const start = 'A'
${CYCLE}`)
    expect(r.result).toBe(Result.Executed)
    // the caller's own transition, then one budget of queued re-adds
    expect(r.first).toBe(1001)
    expect(r.fired).toBe(true)
    expect(r.later).toBeGreaterThan(1001)
    expect(r.stopped).toBe(true)
  })

  it('two handlers toggling each other', async () => {
    const r = await child(`
const m = new Machine(schema({ A: {}, B: {} }), { drainBudget: 1000, handlers: {
  AState() { n++; m.remove('A'); m.add('B') },
  BState() { n++; m.remove('B'); m.add('A') },
} })
let n = 0
const start = 'A'
${CYCLE}`)
    expect(r.result).toBe(Result.Executed)
    expect(r.first).toBeLessThanOrEqual(1001)
    expect(r.fired).toBe(true)
    expect(r.later).toBeGreaterThan(r.first as number)
    expect(r.stopped).toBe(true)
  })

  it('an auto state removing itself (default budget)', async () => {
    const r = await child(`
const m = new Machine(schema({ Auto: { auto: true }, Go: {} }), { handlers: {
  AutoState() { n++; m.remove('Auto') },
} })
let n = 0
const start = 'Go'
${CYCLE}`)
    expect(r.result).toBe(Result.Executed)
    // 2 transitions per round (the auto add, the remove): half the default budget of 10 000, plus the first
    expect(r.first).toBeLessThanOrEqual(5001)
    expect(r.fired).toBe(true)
    expect(r.later).toBeGreaterThan(r.first as number)
    expect(r.stopped).toBe(true)
  })

  it('a cycle that goes on is reported once, in one line', async () => {
    const run = await runChild(`
import { Machine, schema } from 'polymachine-src'
const m = new Machine(schema({ A: { multi: true } }), { id: 'cyc', drainBudget: 100,
  handlers: { AState() { m.add('A') } } })
m.add('A')
await new Promise((r) => setTimeout(r, 200))
m.dispose()
`, 20_000)
    expect(run.code, run.stderr).toBe(0)
    expect(run.faults).toBe(0)
    const lines = run.stderr.split('\n').filter((l) => l.includes('handler-driven cycle'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('[cyc')
    expect(lines[0]).toContain('[add] A')
  })
})

describe.concurrent('Exception storms', () => {
  it('an async ExceptionState that always rejects: LoopError, Exception active, the storm ends', async () => {
    const r = await child(`
let calls = 0
const m = new Machine(schema({ A: {} }), { handlers: { async ExceptionState() { calls++; throw new Error('again') } } })
let fired = false
setTimeout(() => { fired = true }, 1)
m.addErr(new Error('first'))
await sleep(50)
const calls1 = calls
await sleep(20)
out.fired = fired
out.ended = calls === calls1
out.calls = calls
out.loop = m.err instanceof LoopError
out.code = m.err.code
out.cause = m.err.cause?.message
out.exception = m.is('Exception')
`)
    expect(r.fired).toBe(true)
    expect(r.ended).toBe(true)
    expect(r.calls).toBeGreaterThan(100)
    expect(r.calls).toBeLessThan(110)
    expect(r.loop).toBe(true)
    expect(r.code).toBe('ERR_LOOP')
    expect(r.cause).toBe('again')
    expect(r.exception).toBe(true)
  })

  it('an async AnyState that always rejects (with undefined): the storm ends, said in one line', async () => {
    const run = await runChild(`
import { Machine, schema, LoopError } from 'polymachine-src'
const m = new Machine(schema({ A: {} }), { id: 'storm', handlers: { async AnyState() { throw undefined } } })
m.add('A')
await new Promise((r) => setTimeout(r, 80))
const t = m.tick('Exception')
await new Promise((r) => setTimeout(r, 20))
console.log(JSON.stringify({ loop: m.err instanceof LoopError, exc: m.is('Exception'), ended: t === m.tick('Exception'),
  cause: m.err.cause?.code }))
`, 20_000)
    expect(run.code, run.stderr).toBe(0)
    expect(run.faults).toBe(0)
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1) as string)).toEqual(
      { loop: true, exc: true, ended: true, cause: 'ERR_HANDLER' })
    expect(run.stderr.split('\n').filter((l) => l.includes('Exception storm'))).toHaveLength(1)
  })

  it('a throwing AnyEnter with an auto state (Exception, auto round, Exception …) ends inside one add()', async () => {
    const r = await child(`
let calls = 0
const m = new Machine(schema({ A: {}, Auto: { auto: true } }), { handlers: {
  AnyEnter() { calls++; throw new Error('any enter') },
} })
out.result = m.add('A')
out.calls = calls
out.loop = m.err instanceof LoopError
out.exception = m.is('Exception')
out.queueLen = m.queueLen
`)
    expect(r.result).toBe(Result.Canceled)
    expect(r.calls).toBeGreaterThan(100)
    expect(r.calls).toBeLessThan(200)
    expect(r.loop).toBe(true)
    expect(r.exception).toBe(true)
    expect(r.queueLen).toBe(0)
  })

  it('a storm is over once failures stop for the window: the next failure is an ordinary Exception again', async () => {
    const r = await child(`
let reject = true
const m = new Machine(schema({ A: { multi: true } }), { handlers: {
  async ExceptionState() { if (reject) throw new Error('storm') },
  AState(e) { if (e.args.fail) throw new Error('later') },
} })
m.addErr(new Error('go'))
await sleep(50)
out.loop = m.err instanceof LoopError
reject = false
m.remove('Exception')
await sleep(1100)
m.add('A', { fail: true })
out.after = m.err.message
out.exception = m.is('Exception')
`)
    expect(r.loop).toBe(true)
    expect(r.after).toBe('later')
    expect(r.exception).toBe(true)
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
    const m = new Machine(ss, { drainBudget: 5, handlers: { AState: () => void (n++, m.add('A')) } })
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
          m.add('A')
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
    expect(() => new Machine(ss, { drainBudget: 0 })).toThrow('drainBudget must be a positive integer or Infinity, got number 0')
    let n = 0
    const m = new Machine(ss, { drainBudget: Infinity, handlers: { AState: (e: Event) => void (n++, e.args.go && n < 20_000 && m.add('A', { go: true })) } })
    expect(m.add('A', { go: true })).toBe(Result.Executed)
    expect(n).toBe(20_000)
  })
})
