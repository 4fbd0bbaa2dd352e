/**
 * Options objects whose getters (or proxy traps) throw, given to ask, tell, spawn, supervisors, pools, keyed and
 * persistent keyed actors, and reminders: each call throws (or rejects with) an `InvalidArgumentError`
 * (`ERR_INVALID_ARG`, the thrown error as `cause`) instead of the raw error, and the system works afterwards. One
 * child process, so a regression that throws from a microtask fails the test instead of killing the runner.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runChild } from '../support/child.js'

let run: { faults: number; stderr: string; timedOut: boolean }
let results: Record<string, unknown> = {}

beforeAll(async () => {
  const r = await runChild(`
import { schema } from 'polymachine-src'
import { ActorSystem, Keyed, PersistentKeyed, Pool, Reminders, Supervisor, singleton } from 'polymachine-src/actor'
import { MemoryStore } from 'polymachine-src/store'

const s = schema({ M: { multi: true } })
const boom = new Error('getter')
/** An object whose property \`key\` throws when read; the rest is \`base\`. */
const hostile = (base: object, key: string) => Object.defineProperty({ ...base }, key, { get() { throw boom }, enumerable: true })
const trap = new Proxy({}, { get() { throw boom }, ownKeys() { throw boom }, has() { throw boom } })
/** What a call did: 'ok', or '<name>:<code>:<argument>:<cause is the getter's error>'. */
const outcome = (e: any) => [e?.name, e?.code, e?.argument, e?.cause === boom].join(':')
const sync = (f: () => unknown): string => { try { f(); return 'ok' } catch (e) { return outcome(e) } }
const settle = (p: Promise<unknown>) => Promise.race([
  p.then(() => 'ok', outcome), new Promise((r) => setTimeout(() => r('pending'), 2000)),
])

const out: Record<string, unknown> = {}
const system = new ActorSystem()
const ref = system.spawn(s, { MState: () => 'handled' }, { id: 'a' })
for (const k of ['timeout', 'signal', 'deadline']) {
  out['ask.' + k] = sync(() => ref.ask('M', {}, hostile({}, k) as never))
}
out['ask.trap'] = sync(() => ref.ask('M', {}, trap as never))
let reads = 0
const flaky = { get timeout() { if (reads++ === 0) throw boom; return 1000 } } // throws once only
out['ask.flaky'] = await settle(ref.ask('M', {}, flaky))
out['tell.deadline'] = sync(() => ref.tell('M', {}, hostile({}, 'deadline') as never))
out['tell.trap'] = sync(() => ref.tell('M', {}, trap as never))

const blocked = system.spawn(s, { MState: () => new Promise((r) => setTimeout(r, 50)) },
  { id: 'b', mailbox: { overflow: 'block', capacity: 1 } })
await blocked.tell('M')
await blocked.tell('M') // one in the handler, one queued: the mailbox is full
out['tell.block.timeout'] = await settle(blocked.tell('M', {}, hostile({}, 'timeout') as never) as Promise<void>)

for (const k of ['id', 'mailbox', 'concurrency', 'handlerTimeout', 'logger', 'key']) {
  out['spawn.' + k] = sync(() => system.spawn(s, {}, hostile({ id: 'x-' + k }, k) as never))
}
out['spawn.trap'] = sync(() => system.spawn(s, {}, trap as never))

const sup = { id: 'sup', schema: s, handlers: () => ({}) }
out['supervisor.id'] = sync(() => new Supervisor(system, hostile({}, 'id') as never))
out['supervisor.trap'] = sync(() => new Supervisor(system, trap as never))
out['supervisor.backoff'] = sync(() => new Supervisor(system, { id: 'sb', backoff: hostile({}, 'min') } as never))
out['supervise.spec'] = sync(() => new Supervisor(system, { id: 'sv' }).supervise(hostile({ id: 'c', schema: s }, 'handlers') as never))
out['pool.size'] = sync(() => new Pool(system, hostile({ ...sup, id: 'p' }, 'size') as never))
out['singleton.child'] = sync(() => singleton(system, hostile({ id: 'one' }, 'child') as never))
out['keyed.handlers'] = sync(() => new Keyed(system, hostile({ ...sup, id: 'k' }, 'handlers') as never))
out['keyed.mailbox'] = sync(() => new Keyed(system, { ...sup, id: 'km', mailbox: hostile({}, 'overflow') } as never))
out['pool.mailbox'] = sync(() => new Pool(system, { ...sup, id: 'pm', size: 1, mailbox: hostile({}, 'overflow') } as never))
const pk = { id: 'pk', schema: s, store: new MemoryStore(), handlers: () => ({}) }
for (const k of ['store', 'state', 'storeTimeout', 'namespace']) {
  out['persistent.' + k] = sync(() => new PersistentKeyed(system, hostile({ ...pk, id: 'pk-' + k }, k) as never))
}
out['persistent.trap'] = sync(() => new PersistentKeyed(system, trap as never))
out['persistent.state.initial'] = sync(() => new PersistentKeyed(system, { ...pk, id: 'pk-si', state: hostile({}, 'initial') } as never))
out['persistent.store.get'] = sync(() => new PersistentKeyed(system, { ...pk, id: 'pk-sg', store: hostile({}, 'get') } as never))
const keyed = new PersistentKeyed(system, { ...pk, id: 'ok', handlers: () => ({ MState: () => 'keyed' }) })
out['keyed.ask.timeout'] = sync(() => keyed.ref('x').ask('M', {}, hostile({}, 'timeout') as never))
out['keyed.tell.deadline'] = sync(() => keyed.ref('x').tell('M', {}, hostile({}, 'deadline') as never))
for (const k of ['at', 'every', 'msg', 'args']) {
  out['reminders.set.' + k] = sync(() => keyed.reminders.set('x', 'M', hostile({ every: 1000 }, k) as never))
}
const host = { id: 'r', store: new MemoryStore(), namespace: 'r', isMessage: () => true, deliver: () => undefined }
out['reminders.host.store'] = sync(() => new Reminders(hostile(host, 'store') as never))
out['reminders.host.trap'] = sync(() => new Reminders(trap as never))

out['after.ask'] = await settle(ref.ask('M'))
out['after.keyed'] = await settle(keyed.ref('x').ask('M'))
out['after.spawn'] = sync(() => system.spawn(s, {}, { id: 'later' }))
await system.shutdown({ timeout: 500 })
console.log(JSON.stringify(out))
`, 60_000)
  run = r
  try {
    results = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>
  } catch {
    results = {} // the child died before reporting: every case fails below
  }
}, 90_000)

/** An InvalidArgumentError naming `argument`, with the getter's error as its cause. */
const refused = (argument: string): string => `InvalidArgumentError:ERR_INVALID_ARG:${argument}:true`

describe('hostile options objects (one child process)', () => {
  it('the child ran to the end with no uncaught exception or unhandled rejection', () => {
    expect(run.timedOut).toBe(false)
    expect(run.stderr).not.toContain('uncaughtException')
    expect(run.faults).toBe(0)
    expect(results['after.spawn']).toBe('ok')
  })

  it('ask and tell throw InvalidArgumentError naming the option; the actor goes on', () => {
    expect(results).toMatchObject({
      'ask.timeout': refused('options.timeout'),
      'ask.signal': refused('options.signal'),
      'ask.deadline': refused('options.deadline'),
      'ask.trap': refused('options.timeout'),
      'ask.flaky': 'ok',
      'tell.deadline': refused('options.deadline'),
      'tell.trap': refused('options.deadline'),
      'tell.block.timeout': refused('options.timeout'),
      'keyed.ask.timeout': refused('options.timeout'),
      'keyed.tell.deadline': refused('options.deadline'),
      'after.ask': 'ok',
      'after.keyed': 'ok',
    })
  })

  it('spawn throws InvalidArgumentError naming the option', () => {
    for (const k of ['id', 'mailbox', 'concurrency', 'handlerTimeout', 'logger', 'key']) {
      expect(results['spawn.' + k]).toBe(refused(`options.${k}`))
    }
    expect(results['spawn.trap']).toBe(refused('options.id'))
  })

  it('supervisors, pools, singletons and keyed actors throw InvalidArgumentError', () => {
    expect(results).toMatchObject({
      'supervisor.id': refused('options'),
      'supervisor.trap': refused('options'),
      'supervisor.backoff': refused('options.backoff'),
      'supervise.spec': refused('spec'),
      'pool.size': refused('options'),
      'singleton.child': refused('options'),
      'keyed.handlers': refused('options'),
      // a nested mailbox option whose getter throws names the nested field
      'keyed.mailbox': refused('options.mailbox.overflow'),
      'pool.mailbox': refused('options.mailbox.overflow'),
    })
  })

  it('PersistentKeyed and reminders throw InvalidArgumentError', () => {
    for (const k of ['store', 'state', 'storeTimeout', 'namespace', 'trap']) expect(results['persistent.' + k]).toBe(refused('options'))
    expect(results['persistent.state.initial']).toBe(refused('options.state'))
    // a store whose method getter throws is no store (the getter's error is not kept)
    expect(results['persistent.store.get']).toBe('InvalidArgumentError:ERR_INVALID_ARG:options.store:false')
    for (const k of ['at', 'every', 'msg', 'args']) expect(results['reminders.set.' + k]).toBe(refused('options'))
    expect(results['reminders.host.store']).toBe(refused('host'))
    expect(results['reminders.host.trap']).toBe(refused('host'))
  })
})
