/**
 * Hostile values in delivery, ask and tell: each case runs in a child process, so a regression that throws from a
 * microtask fails the test (faults > 0) instead of killing the runner. Every ask must settle, and the actor must go
 * on handling messages afterwards.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runChild } from '../support/child.js'

let run: { faults: number; stderr: string }
let results: Record<string, unknown> = {}

/** One child for all cases (a child costs seconds to start): each case fills its own `out`. */
beforeAll(async () => {
  const r = await runChild(`
import { schema, LogLevel } from 'polymachine-src'
import { ActorSystem } from 'polymachine-src/actor'
const s = schema({ M: { multi: true }, N: { multi: true } })
/** 'ok:<value>', 'err:<name>:<code>' or 'pending' after 500 ms. */
const settle = (p: Promise<unknown>) => Promise.race([
  p.then((v) => 'ok:' + String(v), (e) => 'err:' + (e === undefined ? 'undefined' : e?.name + ':' + e?.code)),
  new Promise((r) => setTimeout(() => r('pending'), 500)),
])
let system: ActorSystem
const cases: Record<string, (out: Record<string, unknown>) => Promise<void>> = {
  t0: async (out: Record<string, unknown>) => {
    const lines: string[] = []
    const ref = system.spawn(s, { MState: () => 'handled', NState: () => 'next' },
      { id: 'a', logLevel: LogLevel.Everything, logger: (_l: number, line: string) => void lines.push(line) })
    const args = { get x() { throw new Error('getter') }, toString() { throw new Error('toString') } }
    const proxy = new Proxy({}, { get() { throw new Error('trap') }, ownKeys() { throw new Error('keys') } })
    out.getter = await settle(ref.ask('M', args as never))
    out.proxy = await settle(ref.ask('M', proxy as never))
    out.nullProto = await settle(ref.ask('M', Object.create(null) as never))
    ref.tell('M', args as never)
    out.after = await settle(ref.ask('N'))
  },
  t1: async (out: Record<string, unknown>) => {
    const hostile = { get then() { throw new Error('then getter') } }
    const proxy = new Proxy({}, { get(_t, k) { if (k === 'then') throw new Error('then trap'); return undefined } })
    let which = 0
    const ref = system.spawn(s, { MState: () => [hostile, proxy][which++], NState: () => 'next' }, { id: 'a' })
    out.getter = await settle(ref.ask('M'))
    out.proxy = await settle(ref.ask('M'))
    ref.tell('M')
    out.after = await settle(ref.ask('N'))
    out.exception = ref.machine.is('Exception')
  },
  t2: async (out: Record<string, unknown>) => {
    const throwing = { then() { throw 42 } }
    const twice = { then(ok: (v: unknown) => void, no: (e: unknown) => void) { ok('first'); no(new Error('second')); ok('third') } }
    let which = 0
    const ref = system.spawn(s, { MState: () => [throwing, twice][which++], NState: () => 'next' }, { id: 'a' })
    out.throwing = await settle(ref.ask('M'))
    out.twice = await settle(ref.ask('M'))
    out.after = await settle(ref.ask('N'))
    out.processed = ref.stats.processed
  },
  t3: async (out: Record<string, unknown>) => {
    const values: unknown[] = [undefined, null, 42, 'str', Symbol('s'), { plain: true }]
    let i = 0
    const ref = system.spawn(s, {
      MState: () => { throw values[i] },
      NState: async () => { throw values[i] },
    }, { id: 'a' })
    const sync: unknown[] = [], async_: unknown[] = []
    for (i = 0; i < values.length; i++) {
      for (const [msg, list] of [['M', sync], ['N', async_]] as const) {
        try { await ref.ask(msg); list.push('resolved') } catch (e) {
          const err = e as { name: string; code: string; cause: unknown; message: string }
          list.push([err.name, err.code, err.cause === values[i], err.message.includes("actor a: '" + msg + "'")])
        }
      }
    }
    out.sync = sync
    out.async = async_
    out.machineErr = (ref.machine.err as Error | undefined)?.name
    out.told = await (async () => { ref.tell('M'); return settle(ref.ask('N')) })()
  },
  t4: async (out: Record<string, unknown>) => {
    const boom = new TypeError('boom')
    const ref = system.spawn(s, { MState: () => { throw boom } }, { id: 'a' })
    out.same = await ref.ask('M').then(() => false, (e) => e === boom)
  },
  t5: async (out: Record<string, unknown>) => {
    const a = system.spawn(s, { StartState: () => { throw undefined } }, { id: 'a' })
    const b = system.spawn(s, { StartState: () => ({ get then() { throw new Error('then') } }) }, { id: 'b' })
    const ia = await system.watch(a), ib = await system.watch(b)
    out.a = [ia.reason, (ia.error as Error)?.name]
    out.b = [ib.reason, (ib.error as Error)?.message]
    out.askA = await settle(a.ask('M'))
  },
  t6: async (out: Record<string, unknown>) => {
    const ref = system.spawn(s, { MState: () => 1 }, { id: 'a' })
    const tries: Record<string, unknown> = {
      symbolMsg: () => ref.ask(Symbol('x') as never),
      objMsg: () => ref.tell({ toString() { throw new Error('x') } } as never),
      primitiveArgs: () => ref.tell('M', 42 as never),
      badOpts: () => ref.ask('M', {}, 7 as never),
      badSignal: () => ref.ask('M', {}, { signal: {} as never }),
      getterOpts: () => ref.ask('M', {}, { get timeout() { throw new Error('opt getter') } }),
    }
    for (const [k, f] of Object.entries(tries)) {
      try { (f as () => unknown)(); out[k] = 'no throw' } catch (e) { out[k] = (e as Error).name }
    }
    out.after = await settle(ref.ask('M'))
  },
  t7: async (out: Record<string, unknown>) => {
    let calls = 0
    const random = () => { if (calls++ > 0) throw new Error('random'); return 1 } // lets the first message in
    const ref = system.spawn(s, { MState: (e: any) => { e.timers.once('t', 'N', 1) }, NState: () => undefined },
      { id: 'a', mailbox: { overflow: 'red', capacity: 4, red: { low: 0, high: 4 }, random } })
    const dead: string[] = []
    system.deadLetters$.subscribe((d) => dead.push(d.msg + ':' + d.reason))
    await ref.machine.when('Ready')
    ref.tell('M') // arms the timer
    try { ref.tell('M'); out.tell = 'no throw' } catch (e) { out.tell = (e as Error).message }
    out.ask = await settle(ref.ask('M'))
    await new Promise((r) => setTimeout(r, 20))
    out.dead = dead
  },
  t8: async (out: Record<string, unknown>) => {
    await system.shutdown()
    system = new ActorSystem({ logLevel: LogLevel.Changes, logger: () => { throw new Error('logger') } })
    const ref = system.spawn(s, { MEnter: () => false, NState: () => 'next' }, { id: 'a' })
    ref.tell('M') // refused by MEnter: a 'rejected' dead letter, reported from the delivery microtask
    out.after = await settle(ref.ask('N'))
    out.count = system.deadLetterCount
  },
}
const results: Record<string, unknown> = {}
for (const [name, fn] of Object.entries(cases)) {
  system = new ActorSystem()
  const out: Record<string, unknown> = {}
  try { await fn(out) } catch (e) { out.threw = String(e) }
  await system.shutdown({ timeout: 100 })
  results[name] = out
}
console.log(JSON.stringify(results))
`)
  run = r
  expect(r.timedOut).toBe(false)
  try {
    results = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>
  } catch {
    results = {} // the child died before reporting: every case fails below
  }
}, 30_000)

describe('hostile values in delivery (one child process)', () => {
  it('the child saw no uncaught exception or unhandled rejection', () => {
    expect(run.stderr).not.toContain('uncaughtException')
    expect(Object.keys(results)).toHaveLength(9)
    expect(run.faults).toBe(0)
  })

  it('args with a throwing getter, logged at Ops and Everything in the delivery microtask', () => {
    const out = (results['t0'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    for (const k of ['getter', 'proxy', 'nullProto']) expect(out[k]).toMatch(/^(ok:handled|err:)/)
    expect(out.after).toBe('ok:next')
  })

  it('a reply whose then getter throws fails that ask, not the process', () => {
    const out = (results['t1'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    expect(out).toMatchObject({ getter: 'err:Error:undefined', proxy: 'err:Error:undefined', after: 'ok:next', exception: true })
  })

  it('a thenable whose then throws or calls back twice settles the ask once', () => {
    const out = (results['t2'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    expect(out).toMatchObject({ throwing: 'err:ActorFailedError:ERR_ACTOR_FAILED', twice: 'ok:first', after: 'ok:next', processed: 3 })
  })

  it('non-Error throws and rejections reject with ActorFailedError carrying the value as cause', () => {
    const out = (results['t3'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    const want = Array.from({ length: 6 }, () => ['ActorFailedError', 'ERR_ACTOR_FAILED', true, true])
    expect(out.sync).toEqual(want)
    expect(out.async).toEqual(want)
    expect(out.machineErr).toBe('ActorFailedError')
    expect(out.told).toBe('err:ActorFailedError:ERR_ACTOR_FAILED')
  })

  it('an Error thrown by a handler is passed through unchanged', () => {
    const out = (results['t4'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    expect(out.same).toBe(true)
  })

  it('a start that throws undefined, or returns a thenable whose then getter throws, fails the start', () => {
    const out = (results['t5'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    expect(out).toMatchObject({ a: ['failed', 'ActorFailedError'], b: ['failed', 'then'], askA: 'err:ActorTerminatedError:ERR_ACTOR_TERMINATED' })
  })

  it('hostile ask/tell options and message names throw synchronously, never from a microtask', () => {
    const out = (results['t6'] ?? {}) as Record<string, unknown>
    expect(run.faults).toBe(0)
    expect(out).toMatchObject({
      symbolMsg: 'InvalidArgumentError', objMsg: 'InvalidArgumentError', primitiveArgs: 'InvalidArgumentError',
      badOpts: 'InvalidArgumentError', badSignal: 'InvalidArgumentError', getterOpts: 'InvalidArgumentError', after: 'ok:1',
    })
  })

  it("a red mailbox whose random() throws: tell throws it, ask rejects, a timer's message becomes a dead letter", () => {
    const out = (results['t7'] ?? {}) as Record<string, unknown>
    expect(out).toMatchObject({ tell: 'random', ask: 'err:Error:undefined', dead: ['N:rejected'] })
  })

  it('a system logger that throws while a dead letter is reported from a delivery fails nothing', () => {
    const out = (results['t8'] ?? {}) as Record<string, unknown>
    expect(out).toMatchObject({ after: 'ok:next', count: 1 })
  })
})
