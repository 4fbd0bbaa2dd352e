/**
 * Supervision under bad input and odd timing: argument validation of every public constructor and function, the
 * `decide()` rule (a throw or a non-directive escalates), `Restarting` lasting until the next incarnation is Ready,
 * ids reusable after a stop for good, messages kept when a restart's handler factory throws, and keyed `maxActive`
 * enforced when first messages for many keys arrive together.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { InvalidArgumentError, OutOfRangeError, PolymachineError, schema, type Snapshot } from '../../lib/machine/index.js'
import {
  ActorSystem, Backoff, Conversation, InvalidDirectiveError, Keyed, Pool, RestartWindow, Supervisor,
  SupervisorStoppedError, conversationAsk, singleton, type ActorEvent, type Directive,
} from '../../lib/actor/index.js'

const ss = schema({ Work: { multi: true }, Crash: { multi: true } })
const handlers = ({ incarnation }: { incarnation: number }) => ({
  WorkState: (e: ActorEvent): string => `#${incarnation}:${String(e.args.n)}`,
  CrashState(): void {
    throw new Error('crash')
  },
})
const fast = { min: 0, max: 0, jitter: 0 }

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ timeout: 100 })
  system = undefined
})

/** Calls `fn`, expecting a library argument error whose message names `where` and `what`. */
function refused(fn: () => unknown, where: string, what: string, cls: typeof TypeError | typeof RangeError = TypeError): void {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  expect(err, `${where} ${what}`).toBeInstanceOf(cls)
  expect(err).toBeInstanceOf(PolymachineError)
  expect(String((err as Error).message)).toContain(where)
  expect(String((err as Error).message)).toContain(what)
}

describe('validation', () => {
  it('supervisor options and child specs', () => {
    const sys = (system = new ActorSystem())
    const S = Supervisor as unknown as new (...a: unknown[]) => Supervisor
    refused(() => new S(sys, undefined), 'new Supervisor()', 'options must be an options object')
    refused(() => new S(undefined, { id: 's' }), 'new Supervisor()', 'system must be an ActorSystem')
    refused(() => new S(sys, { id: '' }), 'new Supervisor()', 'options.id')
    refused(() => new S(sys, { id: 's', strategy: 'one-for-some' }), 'new Supervisor()', "options.strategy must be one of 'one-for-one'")
    refused(() => new S(sys, { id: 's', decide: 'restart' }), 'new Supervisor()', 'options.decide must be a function')
    refused(() => new S(sys, { id: 's', maxRestarts: -1 }), 'new Supervisor()', 'options.maxRestarts', RangeError)
    refused(() => new S(sys, { id: 's', maxRestarts: 1.5 }), 'new Supervisor()', 'options.maxRestarts', RangeError)
    refused(() => new S(sys, { id: 's', period: 0 }), 'new Supervisor()', 'options.period', RangeError)
    refused(() => new S(sys, { id: 's', backoff: 5 }), 'new Supervisor()', 'options.backoff must be an object')
    refused(() => new S(sys, { id: 's', backoff: { min: -1 } }), 'new Supervisor()', 'options.backoff.min', RangeError)
    refused(() => new S(sys, { id: 's', backoff: { min: 10, max: 5 } }), 'new Supervisor()', 'options.backoff.max', RangeError)
    refused(() => new S(sys, { id: 's', backoff: { jitter: 2 } }), 'new Supervisor()', 'options.backoff.jitter', RangeError)
    refused(() => new S(sys, { id: 's', backoff: { random: 0.5 } }), 'new Supervisor()', 'options.backoff.random')
    refused(() => new S(sys, { id: 's', parent: {} }), 'new Supervisor()', 'options.parent must be a Supervisor')
    refused(() => new S(sys, { id: 's', stopTimeout: -1 }), 'new Supervisor()', 'options.stopTimeout', RangeError)

    const sup = new Supervisor(sys, { id: 'sup' })
    const supervise = sup.supervise.bind(sup) as unknown as (spec: unknown) => unknown
    refused(() => supervise(undefined), 'supervisor sup: supervise()', 'spec must be an options object')
    refused(() => supervise({ id: 'w', schema: ss, handlers: 42 }), 'supervisor sup: supervise()', 'spec.handlers must be a function')
    refused(() => supervise({ id: 'w', schema: { Work: {} }, handlers }), 'supervisor sup: supervise()', 'spec.schema')
    refused(() => supervise({ id: 7, schema: ss, handlers }), 'supervisor sup: supervise()', 'spec.id')
    refused(() => supervise({ id: 'w', schema: ss, handlers, concurrency: 0 }), 'supervise()', 'spec.concurrency', RangeError)
    refused(() => supervise({ id: 'w', schema: ss, handlers, restart: 'sometimes' }), 'supervise()', 'spec.restart')
    // none of those left a child behind: the id is free
    expect(sup.childIds).toEqual([])
    expect(() => sup.supervise({ id: 'w', schema: ss, handlers })).not.toThrow()
  })

  it('a handler factory returning a non-object fails supervise() at once (no restart storm)', () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'sup' })
    expect(() => sup.supervise({ id: 'w', schema: ss, handlers: () => 42 as unknown as object })).toThrow(PolymachineError)
    expect(sup.childIds).toEqual([])
    expect(sup.restarts).toBe(0)
  })

  it('Backoff and RestartWindow', () => {
    refused(() => new Backoff({ min: 'x' as unknown as number }), 'new Backoff()', 'options.min')
    refused(() => new Backoff({ jitter: -0.1 }), 'new Backoff()', 'options.jitter', RangeError)
    refused(() => new Backoff({ resetAfter: NaN }), 'new Backoff()', 'options.resetAfter', RangeError)
    refused(() => new RestartWindow(-1, 10), 'new RestartWindow()', 'maxRestarts', RangeError)
    refused(() => new RestartWindow(1, -10), 'new RestartWindow()', 'period', RangeError)
  })

  it('pools, singletons and keyed actors', async () => {
    const sys = (system = new ActorSystem())
    const P = Pool as unknown as new (...a: unknown[]) => unknown
    const K = Keyed as unknown as new (...a: unknown[]) => unknown
    refused(() => new P(sys, undefined), 'new Pool()', 'options must be an options object')
    refused(() => new P(sys, { id: 'p', size: -1, schema: ss, handlers }), 'new Pool()', 'options.size', RangeError)
    refused(() => new P(sys, { id: 'p', size: '3', schema: ss, handlers }), 'new Pool()', 'options.size')
    refused(() => new P(sys, { id: 'p', size: 1, schema: ss, handlers: {} }), 'new Pool()', 'options.handlers')
    refused(() => new P(sys, { id: 'p', size: 1, schema: ss, handlers, routing: 'random' }), 'new Pool()', 'options.routing')
    refused(() => new P(sys, { id: 'p', size: 1, schema: ss, handlers, mailbox: { overflow: 'block' } }), 'new Pool()', 'options.mailbox')
    const pool = new Pool(sys, { id: 'p', size: 1, schema: ss, handlers })
    await expect(pool.resize(1.5)).rejects.toThrow(OutOfRangeError)
    await expect(pool.resize(-1)).rejects.toThrow(/pool p: resize\(\): size must be an integer ≥ 0/)
    refused(() => singleton(sys, undefined as never), 'singleton()', 'options')
    refused(() => singleton(sys, { id: 's' } as never), 'singleton()', 'options.child')

    refused(() => new K(sys, undefined), 'new Keyed()', 'options must be an options object')
    refused(() => new K(sys, { id: 'k', schema: ss, handlers, load: 42 }), 'new Keyed()', 'options.load must be a function')
    refused(() => new K(sys, { id: 'k', schema: ss, handlers, save: 'disk' }), 'new Keyed()', 'options.save must be a function')
    refused(() => new K(sys, { id: 'k', schema: ss, handlers, maxActive: 0 }), 'new Keyed()', 'options.maxActive', RangeError)
    refused(() => new K(sys, { id: 'k', schema: ss, handlers, idleTimeout: -5 }), 'new Keyed()', 'options.idleTimeout', RangeError)
    refused(() => new K(sys, { id: 'k', schema: null, handlers }), 'new Keyed()', 'options.schema')
    const keyed = new Keyed(sys, { id: 'k', schema: ss, handlers })
    refused(() => keyed.ref(42 as unknown as string), 'keyed k: ref()', 'key must be a non-empty string')
    await expect(keyed.passivate(undefined as unknown as string)).rejects.toThrow(/keyed k: passivate\(\): key must be a string/)
  })

  it('conversations', async () => {
    const sys = (system = new ActorSystem())
    const a = sys.spawn(ss, { WorkState: () => 'a' }, { id: 'a' })
    const C = Conversation as unknown as new (...a: unknown[]) => Conversation
    refused(() => new C(sys, undefined), 'new Conversation()', 'options must be an options object')
    refused(() => new C(sys, { participants: [a], onCrash: 'retry' }), 'new Conversation()', 'options.onCrash')
    refused(() => new C(sys, { participants: [a], onCrash: 'compensate' }), 'new Conversation()', 'options.compensate')
    refused(() => new C(sys, { participants: [], onCrash: 'fail' }), 'new Conversation()', 'options.participants')
    refused(() => new C(sys, { participants: [42], onCrash: 'fail' }), 'new Conversation()', 'options.participants[0]')
    refused(() => new C(sys, { participants: [a], onCrash: 'fail', timeout: -1 }), 'new Conversation()', 'options.timeout', RangeError)
    const conv = new Conversation(sys, { participants: [a], onCrash: 'fail', timeout: Infinity })
    refused(() => conv.send(42 as unknown as string), 'send()', 'msg must be a non-empty string')
    refused(() => conv.send('Work', 7 as never), 'send()', 'args must be an object')
    refused(() => conv.receive({ timeout: 'soon' as unknown as number }), 'receive()', 'options.timeout')
    await expect(conv.whenParticipantExits('zed')).rejects.toThrow(InvalidArgumentError)
    conv.send('Work')
    expect(await conv.receive({ timeout: 2 ** 40 })).toBe('a') // a long timeout is not a 1 ms one
    conv.close()
    await expect(conversationAsk(sys, { schema: ss, handlers: {} }, { msg: '' })).rejects.toThrow(/request.msg/)
  })
})

describe('decide()', () => {
  const garbage: unknown[] = ['restrat', undefined, 42, Promise.resolve('restart'), { directive: 'restart' }]
  for (const value of garbage) {
    it(`a decide() returning ${typeof value === 'string' ? `'${value}'` : String(value)} escalates with InvalidDirectiveError`, async () => {
      const sys = (system = new ActorSystem())
      const sup = new Supervisor(sys, { id: 'sup', decide: () => value as Directive, backoff: fast })
      const ref = sup.supervise({ id: 'w', schema: ss, handlers })
      await ref.ask('Crash').catch(() => undefined)
      await sup.machine.when('Stopped', { timeout: 1000 })
      const err = sup.machine.err as InvalidDirectiveError
      expect(err).toBeInstanceOf(InvalidDirectiveError)
      expect(err.code).toBe('ERR_INVALID_DIRECTIVE')
      expect(err.directive).toBe(value)
      expect((err.cause as Error).message).toBe('crash')
      expect(sup.machine.is('ErrRestartLimit')).toBe(true)
      expect(sup.restarts).toBe(0)
    })
  }

  it('with a parent, a non-directive escalates there: the parent restarts the sub-supervisor', async () => {
    const sys = (system = new ActorSystem())
    const top = new Supervisor(sys, { id: 'top', backoff: fast })
    let calls = 0
    const sub = new Supervisor(sys, { id: 'sub', parent: top, backoff: fast, decide: () => (calls++ === 0 ? ('nope' as Directive) : 'restart') })
    const ref = sub.supervise({ id: 'w', schema: ss, handlers })
    await ref.ask('Crash').catch(() => undefined)
    await top.machine.when('ChildFailed', { timeout: 1000 })
    expect(top.machine.is('Stopped')).toBe(false)
    expect(await ref.ask('Work', { n: 1 }, { timeout: 1000 })).toBe('#2:1')
  })
})

describe('lifecycle', () => {
  it('Restarting lasts until the next incarnation is Ready (its async StartState included)', async () => {
    const sys = (system = new ActorSystem())
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const sup = new Supervisor(sys, { id: 'sup', backoff: fast })
    const ref = sup.supervise({
      id: 'w',
      schema: ss,
      handlers: ({ incarnation }) => ({ ...handlers({ incarnation }), StartState: () => (incarnation > 1 ? gate : undefined) }),
    })
    await ref.ask('Work', { n: 0 })
    await ref.ask('Crash').catch(() => undefined)
    await vi.waitFor(() => expect(sup.restarts).toBe(1), { timeout: 1000 })
    // the next incarnation exists and its StartState is pending: still restarting
    await new Promise((r) => setTimeout(r, 20))
    expect(ref.machine.is('Start')).toBe(true)
    expect(ref.machine.is('Ready')).toBe(false)
    expect(sup.machine.is('Restarting')).toBe(true)
    release()
    await sup.machine.whenNot('Restarting', { timeout: 1000 })
    expect(ref.machine.is('Ready')).toBe(true)
    expect(await ref.ask('Work', { n: 1 })).toBe('#2:1')
  })

  it('a stopped child is forgotten: stopChild of its id refuses, and the id can be supervised again', async () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'sup' })
    const ref = sup.supervise({ id: 'w', schema: ss, handlers })
    await Promise.all([sup.stopChild('w'), sys.stop(ref)]) // both wait for the same stop
    expect(ref.stopped).toBe(true)
    expect(sup.child('w')).toBeUndefined()
    await expect(sup.stopChild('w')).rejects.toThrow(InvalidArgumentError)
    await expect(ref.ask('Work', { n: 1 })).rejects.toMatchObject({ code: 'ERR_ACTOR_TERMINATED' })
    const again = sup.supervise({ id: 'w', schema: ss, handlers })
    expect(await again.ask('Work', { n: 2 })).toBe('#1:2')
    await sup.stop()
    expect(() => sup.supervise({ id: 'x', schema: ss, handlers })).toThrow(SupervisorStoppedError)
  })

  it('a restart whose handler factory throws keeps the queued messages for the incarnation after it', async () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'sup', backoff: fast })
    const ref = sup.supervise({
      id: 'w',
      schema: ss,
      handlers: ({ incarnation }) => {
        if (incarnation === 2) throw new Error('factory')
        return handlers({ incarnation })
      },
    })
    await ref.ask('Work', { n: 0 })
    const crash = ref.ask('Crash').catch(() => 'crashed')
    const queued = ref.ask('Work', { n: 1 }) // behind the crash: goes to incarnation 2, which never comes
    expect(await crash).toBe('crashed')
    expect(await queued).toBe('#3:1')
    expect(sup.machine.tick('ChildFailed')).toBe(3) // a multi state: 1, then +2 per later failure
  })
})

describe('keyed maxActive under concurrency', () => {
  it('first messages for many keys at once never run more than maxActive actors', async () => {
    const sys = (system = new ActorSystem())
    let live = 0
    let peak = 0
    const keyed = new Keyed(sys, {
      id: 'k',
      schema: ss,
      maxActive: 3,
      load: async () => {
        await new Promise((r) => setTimeout(r, 1))
        return undefined
      },
      handlers: ({ key }) => ({
        StartState: async () => {
          peak = Math.max(peak, ++live)
          await new Promise((r) => setTimeout(r, 1))
        },
        StoppingState: () => void live--,
        WorkState: () => key,
      }),
    })
    const keys = Array.from({ length: 30 }, (_, i) => `u${i}`)
    const replies = await Promise.all(keys.map((k) => keyed.ref(k).ask('Work', undefined, { timeout: 5000 })))
    expect(replies).toEqual(keys)
    expect(peak).toBeLessThanOrEqual(3)
    expect(keyed.activeKeys.length).toBeLessThanOrEqual(3)
    expect(keyed.activations).toBeGreaterThanOrEqual(30)
  })

  it('shutdown waits for a passivation already in flight (its save included)', async () => {
    const sys = (system = new ActorSystem())
    const saved: string[] = []
    const keyed = new Keyed(sys, {
      id: 'k',
      schema: ss,
      handlers,
      save: async (key) => {
        await new Promise((r) => setTimeout(r, 30))
        saved.push(key)
      },
    })
    await keyed.ref('a').ask('Work', { n: 1 })
    await keyed.ref('b').ask('Work', { n: 1 })
    const passivating = keyed.passivate('a')
    await sys.shutdown()
    expect(saved.sort()).toEqual(['a', 'b'])
    expect(await passivating).toBe(true)
    system = undefined
  })
})

describe('keyed actors stopped for good by their supervisor', () => {
  it('a keyed actor stopped by a stop directive is activated again by the next message', async () => {
    const sys = (system = new ActorSystem())
    const keyed = new Keyed(sys, { id: 'k', schema: ss, handlers, decide: () => 'stop' })
    expect(await keyed.ref('a').ask('Work', { n: 1 })).toBe('#1:1')
    await expect(keyed.ref('a').ask('Crash')).rejects.toThrow('crash')
    await keyed.supervisor.machine.when('ChildStopped', { timeout: 1000 })
    expect(await keyed.passivate('a')).toBe(false)
    expect(keyed.tracked.entries).toBe(0)
    expect(await keyed.ref('a').ask('Work', { n: 2 }, { timeout: 1000 })).toBe('#1:2')
    expect(keyed.activations).toBe(2)
  })
})

describe('escalation through two levels', () => {
  it('a grandparent restarting its sub-supervisor restarts the whole subtree: asks buffered below settle', async () => {
    const sys = (system = new ActorSystem())
    const top = new Supervisor(sys, { id: 'top', backoff: fast })
    const mid = new Supervisor(sys, { id: 'mid', parent: top, backoff: fast, maxRestarts: 0 })
    const low = new Supervisor(sys, { id: 'low', parent: mid, backoff: fast, maxRestarts: 0 })
    const ref = low.supervise({ id: 'w', schema: ss, handlers })
    await ref.ask('Work', { n: 0 })
    await ref.ask('Crash').catch(() => undefined) // low gives up → mid gives up (maxRestarts 0) → top restarts mid
    const reply = ref.ask('Work', { n: 1 }, { timeout: 2000 })
    await top.machine.when('ChildFailed', { timeout: 1000 })
    expect(await reply).toMatch(/^#\d+:1$/)
    expect(top.machine.is('Stopped')).toBe(false)
  })
})

describe('resume of a start failure', () => {
  it('an incarnation that failed to start is restarted, not resumed: asks waiting on it are answered', async () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'sup', backoff: fast, decide: () => 'resume' })
    const ref = sup.supervise({
      id: 'w',
      schema: ss,
      handlers: ({ incarnation }) => {
        if (incarnation === 1) throw new Error('no handlers')
        return {
          ...handlers({ incarnation }),
          StartState: () => {
            if (incarnation === 2) throw new Error('no start')
          },
        }
      },
    })
    expect(await ref.ask('Work', { n: 1 }, { timeout: 1000 })).toBe('#3:1')
    expect(sup.restarts).toBe(2)
  })
})

describe('saved state survives a failed first start', () => {
  it('a keyed actor whose first handler factory throws still starts from the loaded snapshot, and saves on top of it', async () => {
    const sys = (system = new ActorSystem())
    const store = new Map<string, Snapshot>()
    let fail = false
    const opts = {
      id: 'k',
      schema: ss,
      backoff: fast,
      load: (key: string) => store.get(key),
      save: (key: string, snap: Snapshot) => void store.set(key, snap),
      handlers: ({ incarnation }: { incarnation: number }) => {
        if (fail && incarnation === 1) throw new Error('factory')
        return { WorkState: (e: ActorEvent): number => e.machine.tick('Work') }
      },
    }
    const keyed = new Keyed(sys, opts)
    expect(await keyed.ref('a').ask('Work')).toBe(1)
    expect(await keyed.ref('a').ask('Work')).toBe(3)
    await keyed.passivate('a')
    fail = true
    // incarnation 1 fails in its factory; incarnation 2 must import the saved clocks (Work tick 3 → 5)
    expect(await keyed.ref('a').ask('Work', undefined, { timeout: 1000 })).toBe(5)
  })

  it('a keyed actor that crashes after it started restarts from the loaded snapshot: passivation never saves a fresh state', async () => {
    const sys = (system = new ActorSystem())
    const store = new Map<string, Snapshot>()
    const keyed = new Keyed(sys, {
      id: 'k2',
      schema: ss,
      backoff: fast,
      load: (key: string) => store.get(key),
      save: (key: string, snap: Snapshot) => void store.set(key, snap),
      handlers: () => ({
        WorkState: (e: ActorEvent): number => e.machine.tick('Work'),
        CrashState(): void {
          throw new Error('crash')
        },
      }),
    })
    const ref = keyed.ref('a')
    await ref.ask('Work')
    await ref.ask('Work')
    await keyed.passivate('a')
    const work = (): number => {
      const snap = store.get('a') as Snapshot
      return snap.time[snap.names.indexOf('Work')] as number
    }
    expect(work()).toBe(3)
    // activated from the store (Work tick 3 → 5), then a crash restarts it: back to the stored clocks, not fresh ones
    expect(await ref.ask('Work')).toBe(5)
    await expect(ref.ask('Crash')).rejects.toThrow('crash')
    expect(await ref.ask('Work', undefined, { timeout: 1000 })).toBe(5)
    await keyed.passivate('a')
    expect(work()).toBe(5)
  })
})

describe('shutdown({ timeout }) bounds supervised work', () => {
  it('a supervised handler whose reply never settles: shutdown resolves after the timeout, the ask fails', async () => {
    const sys = new ActorSystem()
    const sup = new Supervisor(sys, { id: 'never', stopTimeout: 60_000 })
    const ref = sup.supervise({ id: 'c', schema: ss, handlers: () => ({ WorkState: () => new Promise(() => undefined) }) })
    const ask = ref.ask('Work')
    await new Promise((r) => setTimeout(r, 10))
    const t0 = Date.now()
    await sys.shutdown({ timeout: 50 })
    expect(Date.now() - t0).toBeLessThan(5_000) // the supervisor's own 60 s stopTimeout did not apply
    await expect(ask).rejects.toMatchObject({ code: 'ERR_ACTOR_TERMINATED' })
  })

  it('a keyed save that never settles: shutdown resolves after the timeout and reports it', async () => {
    const sys = new ActorSystem()
    const keyed = new Keyed(sys, {
      id: 'stuck', schema: ss, handlers: () => ({ WorkState: (): number => 1 }),
      save: () => new Promise<void>(() => undefined),
    })
    await keyed.ref('a').ask('Work')
    await sys.shutdown({ timeout: 50 })
    expect(keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_TIMEOUT' })
  })

  it('supervisor.stop() checks its options', () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'opts' })
    refused(() => sup.stop({ timeout: -1 }), 'stop()', 'options.timeout', RangeError)
    refused(() => sup.stop(42 as never), 'stop()', 'options', TypeError)
  })
})
