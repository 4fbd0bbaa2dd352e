/**
 * Per-message cancellation: each delivered message has its own `e.signal`, aborted when its ask times out, when the
 * asker's signal aborts, when the actor stops, or when its deadline passes; a cancelled message still queued is not
 * delivered. `handlerTimeout` fails a hung handler's message and reports the actor failed to its supervisor, whose
 * directive (restart, resume, stop, escalate) then applies.
 */
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { schema, TimeoutError } from '../../lib/machine/index.js'
import {
  ActorSystem, ActorTerminatedError, HandlerTimeoutError, Keyed, Pool, Supervisor, type ActorEvent,
  type Directive,
} from '../../lib/actor/index.js'
import { deadLetters } from '../support/dead-letters.js'

const ss = schema({ Hang: { multi: true }, Echo: { multi: true } })

/** Work that only ends when `signal` aborts (rejecting with its reason), like a fetch that gets no answer. */
function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error)
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
  })
}

/** Handlers whose Hang waits on its message's signal; `seen` gets each Hang's signal, Echo answers its args.n. */
function hanging(seen: AbortSignal[]) {
  return {
    HangState: (e: ActorEvent): Promise<never> => (seen.push(e.signal), hang(e.signal)),
    EchoState: (e: ActorEvent): unknown => e.args.n,
  }
}

/** Waits (bounded: 2 s) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(cond()).toBe(true)
}

let system: ActorSystem
let server: Server | undefined
afterEach(async () => {
  await system.shutdown({ timeout: 100 })
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

describe('each message has its own signal', () => {
  it('an ask timeout aborts its handler’s fetch; the actor then takes the next message', async () => {
    server = createServer(() => undefined) // accepts and never answers
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    system = new ActorSystem()
    let fetchError: unknown
    const ref = system.spawn(ss, {
      async HangState(e: ActorEvent): Promise<string> {
        try {
          return await (await fetch(`http://127.0.0.1:${port}/`, { signal: e.signal })).text()
        } catch (err) {
          fetchError = err
          throw err
        }
      },
      EchoState: (e: ActorEvent): unknown => e.args.n,
    }, { id: 'crawler' })
    await expect(ref.ask('Hang', undefined, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError)
    expect(await ref.ask('Echo', { n: 1 }, { timeout: 2000 })).toBe(1) // concurrency 1: the hung fetch ended
    expect(fetchError).toBeInstanceOf(TimeoutError) // fetch rejects with the signal's reason
    expect(ref.stats).toMatchObject({ processed: 2, failed: 1, inFlight: 0 })
  })

  it('the asker’s own signal aborts the handler’s signal with the same reason', async () => {
    system = new ActorSystem()
    const seen: AbortSignal[] = []
    const ref = system.spawn(ss, hanging(seen), { id: 'a' })
    const asker = new AbortController()
    const reply = ref.ask('Hang', undefined, { signal: asker.signal })
    await ref.machine.when('Hang')
    const reason = new Error('user left')
    asker.abort(reason)
    await expect(reply).rejects.toBe(reason)
    expect(seen[0]?.aborted).toBe(true)
    expect(seen[0]?.reason).toBe(reason)
  })

  it('a stop aborts the signals of the messages being handled, not the ones handled before', async () => {
    system = new ActorSystem()
    const seen: AbortSignal[] = []
    let echoSignal: AbortSignal | undefined
    const ref = system.spawn(ss, {
      ...hanging(seen),
      EchoState: (e: ActorEvent): void => void (echoSignal = e.signal),
    }, { id: 'a', concurrency: 2 })
    await ref.ask('Echo')
    const a = ref.ask('Hang')
    const b = ref.ask('Hang')
    await until(() => seen.length === 2)
    expect(seen[0]).not.toBe(seen[1]) // one signal per message
    await system.stop(ref, { timeout: 1000 })
    await expect(a).rejects.toBeInstanceOf(ActorTerminatedError) // its handler rejected with the signal's reason
    await expect(b).rejects.toBeInstanceOf(ActorTerminatedError)
    expect(seen.map((s) => s.reason instanceof ActorTerminatedError)).toEqual([true, true])
    expect(echoSignal?.aborted).toBe(false)
  })

  it('a tell’s deadline aborts its running handler; a message past its deadline is not delivered', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const seen: AbortSignal[] = []
    const ref = system.spawn(ss, hanging(seen), { id: 'a' })
    ref.tell('Hang', undefined, { deadline: Date.now() + 40 })
    ref.tell('Echo', { n: 1 }, { deadline: Date.now() + 20 }) // queued behind Hang until its deadline passed
    await until(() => seen.length === 1)
    const reason = await new Promise((resolve) => seen[0]?.addEventListener('abort', () => resolve(seen[0]?.reason)))
    expect(reason).toBeInstanceOf(TimeoutError)
    expect(await ref.ask('Echo', { n: 2 })).toBe(2)
    expect(dead).toMatchObject([{ actorId: 'a', msg: 'Echo', reason: 'cancelled' }])
    expect(ref.stats.processed).toBe(2) // Hang (failed) and the second Echo
  })

  it('an ask that timed out while queued is not delivered; an ask deadline acts as a timeout', async () => {
    system = new ActorSystem()
    const dead = deadLetters(system)
    const seen: AbortSignal[] = []
    const ref = system.spawn(ss, hanging(seen), { id: 'a' })
    const first = ref.ask('Hang', undefined, { deadline: Date.now() + 60 })
    const queued = ref.ask('Echo', { n: 1 }, { timeout: 10 })
    await expect(queued).rejects.toBeInstanceOf(TimeoutError)
    await expect(first).rejects.toBeInstanceOf(TimeoutError)
    expect(await ref.ask('Echo', { n: 2 })).toBe(2)
    expect(dead.map((d) => `${d.msg}:${d.reason}`)).toEqual(['Echo:cancelled'])
    expect(() => ref.tell('Echo', {}, { deadline: Number.NaN })).toThrow(RangeError)
    expect(() => ref.ask('Echo', {}, { deadline: '1' as unknown as number })).toThrow(TypeError)
  })

  it('Start and other handlers keep the machine’s signal; actorSignal lives as long as the actor', async () => {
    system = new ActorSystem()
    const signals: Record<string, AbortSignal> = {}
    const ref = system.spawn(ss, {
      StartState: (e: ActorEvent): void => void (signals.start = e.signal),
      EchoEnter: (e: ActorEvent): boolean => ((signals.enter = e.signal), (signals.life = e.actorSignal), true),
      EchoState: (e: ActorEvent): void => void (signals.echo = e.signal),
    }, { id: 'a' })
    await ref.ask('Echo')
    expect(signals.echo).not.toBe(signals.enter)
    expect(signals.life?.aborted).toBe(false)
    await system.stop(ref)
    expect(signals.life?.aborted).toBe(true)
  })
})

describe('a cancelled message is not a failure of the actor', () => {
  it('a supervised child whose handler ends with its signal’s reason is not restarted; other errors still fail it', async () => {
    system = new ActorSystem()
    const sup = new Supervisor(system, { id: 'sup', backoff: { min: 0, max: 0, jitter: 0 } })
    const seen: AbortSignal[] = []
    const ref = sup.supervise({
      id: 'w',
      schema: ss,
      handlers: ({ incarnation }) => ({
        ...hanging(seen),
        async EchoState(e: ActorEvent): Promise<unknown> {
          void e.signal // read, then fail with another error: still a failure
          if (e.args.fail) throw new Error('boom')
          return incarnation
        },
      }),
    })
    await expect(ref.ask('Hang', undefined, { timeout: 20 })).rejects.toBeInstanceOf(TimeoutError)
    expect(await ref.ask('Echo', { n: 1 })).toBe(1)
    expect(ref.restarts).toBe(0)
    expect(ref.machine.is('Exception')).toBe(false)
    expect(ref.stats).toMatchObject({ processed: 2, failed: 1 })
    await expect(ref.ask('Echo', { fail: true })).rejects.toThrow('boom')
    expect(await ref.ask('Echo', undefined, { timeout: 2000 })).toBe(2) // restarted
  })
})

describe('handlerTimeout', () => {
  it('fails the hung message, aborts its signal and puts an unsupervised actor in Exception', async () => {
    system = new ActorSystem()
    const seen: AbortSignal[] = []
    const ref = system.spawn(ss, hanging(seen), { id: 'a', handlerTimeout: 30 })
    const err = await ref.ask('Hang').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HandlerTimeoutError)
    expect(err).toMatchObject({ code: 'ERR_HANDLER_TIMEOUT', actorId: 'a', msg: 'Hang', timeout: 30 })
    expect(seen[0]?.reason).toBe(err)
    expect(ref.machine.is('Exception')).toBe(true)
    expect(ref.machine.err).toBe(err)
    expect(ref.stats).toMatchObject({ processed: 1, failed: 1, inFlight: 0 })
    expect(() => system.spawn(ss, {}, { id: 'b', handlerTimeout: 0 })).toThrow(RangeError)
    expect(() => system.spawn(ss, {}, { id: 'c', handlerTimeout: '5' as unknown as number })).toThrow(TypeError)
  })

  /** A supervised child (handlerTimeout 30 ms) whose Hang never ends; returns its supervisor and ref once it hung. */
  async function supervisedHang(directive: Directive, parent?: Supervisor) {
    const sup = new Supervisor(system, {
      id: `sup-${directive}`,
      backoff: { min: 0, max: 0, jitter: 0 },
      decide: () => directive,
      ...(parent && { parent }),
    })
    const seen: AbortSignal[] = []
    const ref = sup.supervise({
      id: `c-${directive}`,
      schema: ss,
      handlerTimeout: 30,
      handlers: ({ incarnation }) => ({ ...hanging(seen), EchoState: () => incarnation }),
    })
    const hung = await ref.ask('Hang').catch((e: unknown) => e)
    expect(hung).toBeInstanceOf(HandlerTimeoutError)
    expect(seen[0]?.aborted).toBe(true)
    return { sup, ref }
  }

  it('restart: the next incarnation answers', async () => {
    system = new ActorSystem()
    const { ref } = await supervisedHang('restart')
    expect(await ref.ask('Echo', undefined, { timeout: 2000 })).toBe(2)
    expect(ref.restarts).toBe(1)
  })

  it('resume: the same incarnation answers the next message', async () => {
    system = new ActorSystem()
    const { ref } = await supervisedHang('resume')
    expect(await ref.ask('Echo', undefined, { timeout: 2000 })).toBe(1)
    expect(ref.restarts).toBe(0)
    expect(ref.machine.is('Exception')).toBe(false)
  })

  it('stop: the child is stopped for good', async () => {
    system = new ActorSystem()
    const { ref } = await supervisedHang('stop')
    expect(await system.watch(ref)).toEqual({ actorId: 'c-stop', reason: 'stopped' })
    expect(ref.stopped).toBe(true)
  })

  it('pools and keyed sets pass it to their actors', async () => {
    system = new ActorSystem()
    const handlers = ({ incarnation }: { incarnation: number }) => ({ ...hanging([]), EchoState: () => incarnation })
    const backoff = { min: 0, max: 0, jitter: 0 }
    const pool = new Pool(system, { id: 'p', size: 1, schema: ss, handlers, handlerTimeout: 20, backoff })
    const keyed = new Keyed(system, { id: 'k', schema: ss, handlers, handlerTimeout: 20, backoff })
    await expect(pool.ask('Hang')).rejects.toBeInstanceOf(HandlerTimeoutError)
    await expect(keyed.ref('a').ask('Hang')).rejects.toBeInstanceOf(HandlerTimeoutError)
    expect(await pool.ask('Echo', undefined, { timeout: 2000 })).toBe(2)
    expect(await keyed.ref('a').ask('Echo', undefined, { timeout: 2000 })).toBe(2)
    expect(() => new Pool(system, { id: 'q', size: 0, schema: ss, handlers, handlerTimeout: -1 })).toThrow(RangeError)
  })

  it('escalate: with no parent the supervisor fails and stops; with one, the parent restarts it', async () => {
    system = new ActorSystem()
    const { sup } = await supervisedHang('escalate')
    await sup.machine.when('Stopped', { timeout: 2000 })
    expect(sup.machine.is('ErrRestartLimit')).toBe(true)
    const top = new Supervisor(system, { id: 'top', backoff: { min: 0, max: 0, jitter: 0 } })
    const { ref } = await supervisedHang('escalate', top)
    expect(await ref.ask('Echo', undefined, { timeout: 2000 })).toBe(2) // the parent restarted the sub-supervisor
  })
})
