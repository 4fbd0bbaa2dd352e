/**
 * Leaks, settling and starvation of supervision, each in a child process (`--expose-gc`): children stopped for good
 * are forgotten, pool resizes leave nothing behind, keyed refs of dropped keys are collected, shutdown passivates
 * keyed actors and leaves no timer, every ask settles when activation fails or shutdown interrupts it, and restart
 * or resume storms let timers run. Bounds are counts (heap bytes, restarts), never speeds.
 */
import { describe, expect, it } from 'vitest'
import { runChild } from '../support/child.js'

const PRELUDE = `
import { Machine, schema } from 'polymachine-src'
import { ActorSystem, Keyed, Pool, Supervisor } from 'polymachine-src/actor'
const ss = schema({ Work: { multi: true }, Crash: { multi: true } })
const handlers = () => ({ WorkState: () => 1, CrashState: () => { throw new Error('crash') } })
const heap = async () => {
  for (let i = 0; i < 3; i++) { global.gc(); await new Promise((r) => setTimeout(r, 5)) }
  return process.memoryUsage().heapUsed
}
/** 'ok:<value>', the error's code, or 'HANG' when it did not settle within ms. */
const settle = (p, ms = 2000) => Promise.race([
  p.then((v) => 'ok:' + String(v), (e) => (e && e.code) || String(e)),
  new Promise((r) => setTimeout(() => r('HANG'), ms).unref()),
])
const out = (v) => console.log('OUT=' + JSON.stringify(v))
`

function result(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.startsWith('OUT='))
  if (!line) throw new Error(`no result line in child output:\n${stdout}`)
  return JSON.parse(line.slice(4)) as Record<string, unknown>
}

async function run(body: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const r = await runChild(PRELUDE + body, timeoutMs)
  expect(r.timedOut, r.stderr).toBe(false)
  expect(r.faults, r.stderr).toBe(0)
  expect(r.code, r.stderr).toBe(0)
  return result(r.stdout)
}

describe('supervision leaks (child process, --expose-gc)', () => {
  it('a child stopped for good is forgotten: 20k supervise/stop cycles with one id keep the heap flat', async () => {
    const r = await run(`
const system = new ActorSystem()
const sup = new Supervisor(system, { id: 'sup' })
async function cycles(n) {
  for (let i = 0; i < n; i++) {
    const ref = sup.supervise({ id: 'w', schema: ss, handlers }) // the same id: reusable once stopped
    await ref.ask('Work')
    if (i % 2) await sup.stopChild('w')
    else await system.stop(ref)
  }
}
await cycles(2000)
const before = await heap()
await cycles(20000)
const grown = (await heap()) - before
out({ grown, children: sup.childIds.length, actors: system.size })
await system.shutdown()
`, 60_000)
    expect(r.children).toBe(0)
    expect(r.actors).toBe(0)
    expect(r.grown).toBeLessThan(8 * 1024 * 1024) // before the fix: ≈ 72 MB (3.6 KB per stopped child)
  }, 70_000)

  it('pool resize down forgets the stopped workers: 10k grow/shrink cycles keep the heap flat', async () => {
    const r = await run(`
const system = new ActorSystem()
const pool = new Pool(system, { id: 'p', size: 1, schema: ss, handlers })
async function cycles(n) {
  for (let i = 0; i < n; i++) {
    await pool.resize(2)
    await pool.ask('Work')
    await pool.resize(1)
  }
}
await cycles(1000)
const before = await heap()
await cycles(10000)
const grown = (await heap()) - before
out({ grown, workers: pool.supervisor.childIds.length, size: pool.size })
await system.shutdown()
`, 60_000)
    expect(r.workers).toBe(1)
    expect(r.size).toBe(1)
    expect(r.grown).toBeLessThan(6 * 1024 * 1024) // before the fix: ≈ 36 MB
  }, 70_000)

  it('stopped supervisors (pools made and stopped at run time, sub-supervisors) are not kept', async () => {
    const r = await run(`
const system = new ActorSystem()
const top = new Supervisor(system, { id: 'top' })
async function cycles(from, n) {
  for (let i = from; i < from + n; i++) {
    const pool = new Pool(system, { id: 'p' + i, size: 1, schema: ss, handlers })
    const sub = new Supervisor(system, { id: 's' + i, parent: top })
    await pool.ask('Work')
    await pool.supervisor.stop()
    await sub.stop()
  }
}
await cycles(0, 1000)
const before = await heap()
await cycles(1000, 10000)
const grown = (await heap()) - before
out({ grown })
await system.shutdown()
`, 60_000)
    expect(r.grown).toBeLessThan(6 * 1024 * 1024) // before the fix: ≈ 70 MB
  }, 70_000)

  it('keyed: passivated keys leave no entry, and refs nobody holds are collected', async () => {
    const r = await run(`
const system = new ActorSystem()
const keyed = new Keyed(system, { id: 'k', schema: ss, handlers })
const held = keyed.ref('held')
for (let i = 0; i < 20000; i++) {
  await keyed.ref('k' + i).ask('Work')
  await keyed.passivate('k' + i)
}
await heap()
out({ tracked: keyed.tracked, same: keyed.ref('held') === held, active: keyed.activeKeys.length })
await system.shutdown()
`, 60_000)
    expect(r.tracked).toMatchObject({ entries: 0 })
    expect((r.tracked as { refs: number }).refs).toBeLessThan(100) // before: 20 001 refs kept forever
    expect(r.same).toBe(true) // a held ref stays the ref of its key
    expect(r.active).toBe(0)
  }, 70_000)
})

describe('keyed shutdown (child process)', () => {
  it('shutdown passivates active keyed actors through save (awaited), then stops; no idle timer keeps the process', async () => {
    const r = await run(`
const system = new ActorSystem()
const saved = []
const keyed = new Keyed(system, {
  id: 'k', schema: ss, handlers, idleTimeout: 60000, // would keep the process alive for a minute
  save: async (key, snap) => {
    await new Promise((r) => setTimeout(r, 5))
    if (key === 'c') throw new Error('disk full') // reported, not thrown: shutdown still resolves
    saved.push(key + ':' + snap.names.length)
  },
})
await Promise.all(['a', 'b', 'c'].map((k) => keyed.ref(k).ask('Work')))
await system.shutdown()
const dead = system.deadLetterCount
const savedAtShutdown = saved.slice().sort()
keyed.ref('a').tell('Work') // after shutdown: a dead letter, no throw
const late = await settle(keyed.ref('a').ask('Work'))
out({ savedAtShutdown, active: keyed.activeKeys.length, tracked: keyed.tracked.entries, dead: system.deadLetterCount - dead, late,
  err: keyed.supervisor.machine.err?.message })
`, 15_000)
    expect((r.savedAtShutdown as string[]).map((s) => s.split(':')[0])).toEqual(['a', 'b'])
    expect(r.active).toBe(0)
    expect(r.tracked).toBe(0)
    expect(r.dead).toBe(2) // the told and the asked message after shutdown
    expect(r.late).toBe('ERR_ACTOR_TERMINATED')
    expect(r.err).toBe('disk full')
  }, 20_000)
})

describe('every ask settles (child process)', () => {
  it('load() that throws, rejects, or returns garbage or a snapshot of another schema fails the asks', async () => {
    const r = await run(`
const system = new ActorSystem()
const other = new Machine(schema({ X: {}, Y: {} }), { id: 'o' }).export()
const loads = {
  throws: () => { throw new Error('down') },
  rejects: async () => { throw undefined },
  number: () => 42,
  string: async () => 'snapshot',
  half: () => ({ names: ['Work'] }),
  hostile: () => new Proxy({}, { get() { throw new Error('trap') } }),
  thenThrows: () => ({ get then() { throw new Error('then') } }),
  otherSchema: () => other,
}
const res = {}
for (const [name, load] of Object.entries(loads)) {
  const keyed = new Keyed(system, { id: name, schema: ss, handlers, load, save: () => { res.saved = name } })
  const a = settle(keyed.ref('x').ask('Work'))
  keyed.ref('x').tell('Work')
  res[name] = [await a, keyed.tracked.entries, keyed.activeKeys.length]
}
await system.shutdown()
out(res)
`)
    for (const name of ['throws', 'rejects', 'number', 'string', 'half', 'hostile', 'thenThrows', 'otherSchema']) {
      expect(r[name], name).toEqual(['ERR_ACTIVATION_FAILED', 0, 0])
    }
    expect(r.saved).toBeUndefined() // nothing was activated, so nothing saved over the stored state
  })

  it('shutdown interrupting keyed activations and supervised restarts settles every buffered ask', async () => {
    const r = await run(`
const system = new ActorSystem()
const never = new Keyed(system, { id: 'never', schema: ss, handlers, load: () => new Promise(() => {}) })
const slow = new Keyed(system, {
  id: 'slow', schema: ss, handlers, load: () => new Promise((r) => setTimeout(() => r(undefined), 50)),
})
const sup = new Supervisor(system, { id: 'sup', backoff: { min: 10000, max: 10000, jitter: 0 } })
const ref = sup.supervise({ id: 'w', schema: ss, handlers })
const starting = new Supervisor(system, { id: 'starting', backoff: { min: 0, max: 0, jitter: 0 } })
const ref2 = starting.supervise({
  id: 'w2', schema: ss,
  handlers: ({ incarnation }) => incarnation > 1 ? { ...handlers(), StartState: () => new Promise(() => {}) } : handlers(),
})
await ref.ask('Work')
await ref2.ask('Work')
await settle(ref.ask('Crash'))
await settle(ref2.ask('Crash'))
await sup.machine.when('Restarting')
await starting.machine.when('Restarting')
const asks = [
  settle(never.ref('a').ask('Work')), settle(never.ref('b').ask('Work')),
  settle(slow.ref('a').ask('Work')),
  settle(ref.ask('Work')), // buffered during the restart's backoff
  settle(ref2.ask('Work')), // queued while the next incarnation starts
]
never.ref('c').tell('Work')
await system.shutdown()
out({ results: await Promise.all(asks), restarting: sup.machine.is('Restarting') })
`, 8_000) // a backoff or load left running would keep the process past this
    expect(r.results).toEqual(Array(5).fill('ERR_ACTOR_TERMINATED'))
    expect(r.restarting).toBe(false)
  }, 15_000)
})

describe('storms yield to the event loop (child process)', () => {
  it('a zero-backoff restart storm lets a 10 ms timer fire', async () => {
    const r = await run(`
const system = new ActorSystem()
const sup = new Supervisor(system, { id: 'sup', maxRestarts: 1e9, period: 1000, backoff: { min: 0, max: 0, jitter: 0 } })
sup.supervise({ id: 'w', schema: ss, handlers: () => ({ StartState() { throw new Error('no start') } }) })
let atTimer = -1
setTimeout(() => { atTimer = sup.restarts }, 10)
const LIMIT = 500 // before the fix the timer waited for ≈ 1000 restarts (≈ 200 ms); now each restart yields
while (atTimer < 0 && sup.restarts < LIMIT) await new Promise((r) => setTimeout(r, 1))
await sup.stop()
out({ atTimer, LIMIT })
`, 20_000)
    expect(r.atTimer).toBeGreaterThanOrEqual(0)
    expect(r.atTimer).toBeLessThan(r.LIMIT as number)
  }, 25_000)

  it('resume for every failing message lets a 10 ms timer fire before the mailbox is through', async () => {
    const r = await run(`
const system = new ActorSystem()
const sup = new Supervisor(system, { id: 'sup', decide: () => 'resume' })
const N = 50000
const ref = sup.supervise({ id: 'w', schema: ss, handlers, mailbox: { capacity: N } })
await ref.ask('Work')
let atTimer = -1
setTimeout(() => { atTimer = ref.stats.processed }, 10)
for (let i = 0; i < N; i++) ref.tell('Crash')
while (ref.stats.processed < N + 1) await new Promise((r) => setTimeout(r, 5))
out({ atTimer, N, failed: ref.stats.failed, restarts: ref.restarts })
await system.shutdown()
`, 20_000)
    expect(r.atTimer).toBeGreaterThanOrEqual(0)
    expect(r.atTimer).toBeLessThan((r.N as number) + 1)
    expect(r.failed).toBe(r.N)
    expect(r.restarts).toBe(0)
  }, 25_000)
})

describe('hostile user functions (child process)', () => {
  it('a throwing project(), backoff random() or decide() fails an incarnation or escalates; the process survives', async () => {
    const r = await run(`
const system = new ActorSystem()
let calls = 0
const sup = new Supervisor(system, {
  id: 'sup', maxRestarts: 100, deps: {},
  project: () => { if (++calls > 1) throw new Error('project'); return {} }, // fails every restart
  backoff: { min: 0, max: 1, jitter: 1, random: () => { throw new Error('random') } },
})
const ref = sup.supervise({ id: 'w', schema: ss, handlers })
const crash = await settle(ref.ask('Crash'))
await sup.machine.when('ErrRestartLimit', { timeout: 5000 })
const later = await settle(ref.ask('Work'))
const esc = new Supervisor(system, { id: 'esc', decide: () => { throw null } })
const ref2 = esc.supervise({ id: 'w2', schema: ss, handlers })
await settle(ref2.ask('Crash'))
await esc.machine.when('Stopped', { timeout: 1000 })
out({ crash, later, restarts: sup.restarts, escErr: String(esc.machine.err), esc: esc.machine.is('ErrRestartLimit') })
await system.shutdown()
`)
    expect(r.crash).toBe('Error: crash')
    expect(r.later).toBe('ERR_ACTOR_TERMINATED')
    expect(r.esc, String(r.escErr)).toBe(true)
  })
})
