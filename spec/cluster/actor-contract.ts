/**
 * The remote actor contract, run against every bus (InProcessBus, NatsBus): `actorContract(name, setup)` with two
 * buses of one cluster (`a` exposes, `b` calls; they may be one object). Replies, typed remote errors, no-responder,
 * timeouts and the caller's signal carried across as cancellation, pools sharing the work.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ActorSystem, type ActorEvent } from '../../lib/actor/index.js'
import { RemoteActorError } from '../../lib/cluster/index.js'
import { schema, TimeoutError } from '../../lib/machine/index.js'
import { eventually, type Pair } from './contract.js'

const counterSchema = schema({
  Add: { multi: true },
  Get: { multi: true },
  Slow: { multi: true },
  Fail: { multi: true },
  Hostile: { multi: true },
  Status: {},
})

class Counter {
  total = 0
  handled = 0
  aborted: unknown[] = []
  AddState(e: ActorEvent): number {
    this.handled++
    this.total += e.args.n as number
    return this.total
  }
  GetState(): number {
    this.handled++
    return this.total
  }
  /** Waits until its message's signal aborts, and records why. */
  async SlowState(e: ActorEvent): Promise<string> {
    await new Promise<void>((resolve) => {
      if (e.signal.aborted) resolve()
      e.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    this.aborted.push(e.signal.reason)
    return 'aborted'
  }
  HostileState(): never {
    throw new Proxy({}, { get: () => { throw new Error('trap') }, getPrototypeOf: () => { throw new Error('trap') } })
  }
  FailState(): never {
    throw Object.assign(new Error('the ledger is locked'), { name: 'LedgerError', code: 'E_LOCKED' })
  }
}

export function actorContract(name: string, setup: () => Promise<Pair>): void {
  describe(`remote actors: ${name}`, () => {
    let pair: Pair
    let system: ActorSystem
    let n = 0
    const spawn = (): [Counter, ReturnType<typeof system.spawn<string, Counter, 'Add' | 'Get' | 'Slow' | 'Fail' | 'Hostile', { id: string }>>] => {
      const c = new Counter()
      return [c, system.spawn(counterSchema, c, { id: `counter-${++n}` })]
    }

    beforeEach(async () => {
      pair = await setup()
      system = new ActorSystem({ id: `sys-${name}` })
    })
    afterEach(async () => {
      await pair.cleanup()
      await system.shutdown({ timeout: 2000 })
    })

    it('ask returns the remote reply; tell delivers; closing the exposure ends it', async () => {
      const [, ref] = spawn()
      const exposed = await pair.a.exposeActor('counter', ref)
      const remote = pair.b.actor<'Add' | 'Get'>('counter')
      expect(remote.id).toBe('counter')
      expect(await remote.ask('Add', { n: 2 })).toBe(2)
      remote.tell('Add', { n: 3 })
      remote.tellOnly().tell('Add', { n: 5 })
      await eventually(async () => (await remote.ask('Get')) === 10)
      await exposed.close()
      await expect(remote.ask('Get')).rejects.toMatchObject({ code: 'ERR_CLUSTER_NOT_FOUND' })
    })

    it('an error thrown by the remote handler comes back typed, with its name, code and message', async () => {
      const [, ref] = spawn()
      await pair.a.exposeActor('ledger', ref)
      const err = await pair.b.actor<'Fail'>('ledger').ask('Fail').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RemoteActorError)
      expect(err).toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteName: 'LedgerError', remoteCode: 'E_LOCKED', message: 'the ledger is locked', actor: 'ledger' })
      // the actor's own refusals too: a state that is no message
      await expect(pair.b.actor('ledger').ask('Status')).rejects.toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteCode: 'ERR_UNKNOWN_MESSAGE' })
      // a thrown value whose every read throws: still a typed error, and the actor goes on serving
      await expect(pair.b.actor('ledger').ask('Hostile')).rejects.toBeInstanceOf(RemoteActorError)
      await expect(pair.b.actor('ledger').ask('Get')).resolves.toBe(0)
    })

    it('nobody serving the name: the ask fails at once, not at its timeout', async () => {
      const t0 = Date.now()
      await expect(pair.b.actor('nobody', { timeout: 15_000 }).ask('Get')).rejects.toMatchObject({ code: 'ERR_CLUSTER_NOT_FOUND' })
      expect(Date.now() - t0).toBeLessThan(10_000)
    })

    it('an ask that times out cancels the remote message: its handler signal aborts', async () => {
      const [counter, ref] = spawn()
      await pair.a.exposeActor('slow', ref)
      const err = await pair.b.actor<'Slow'>('slow').ask('Slow', undefined, { timeout: 200 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      await eventually(() => counter.aborted.length === 1, 5000)
    })

    it("the caller's signal is carried across: aborting it fails the ask and aborts the remote handler", async () => {
      const [counter, ref] = spawn()
      const exposed = await pair.a.exposeActor('slow', ref)
      const remote = pair.b.actor<'Slow'>('slow', { timeout: 20_000 })
      const ctl = new AbortController()
      const asked = remote.ask('Slow', undefined, { signal: ctl.signal }).catch((e: unknown) => e)
      await eventually(() => exposed.inFlight === 1)
      const reason = new Error('user left')
      ctl.abort(reason)
      expect(await asked).toBe(reason)
      // long before the remote's own 20 s deadline: the cancel message did it
      await eventually(() => counter.aborted.length === 1, 5000)
      expect(counter.aborted[0]).toMatchObject({ code: 'ERR_CLUSTER_CANCELLED' })
      // aborted right after sending: the message is not run, or its signal is aborted at once
      const quick = new AbortController()
      const before = counter.aborted.length
      const q = remote.ask('Slow', undefined, { signal: quick.signal }).catch((e: unknown) => e)
      quick.abort(reason)
      expect(await q).toBe(reason)
      await eventually(() => exposed.inFlight === 0 && counter.aborted.length <= before + 1)
      const pre = new AbortController()
      pre.abort(reason)
      await expect(remote.ask('Slow', undefined, { signal: pre.signal })).rejects.toBe(reason)
    })

    it('closing an exposure aborts the messages it is handling; the askers get a typed error', async () => {
      const [counter, ref] = spawn()
      const exposed = await pair.a.exposeActor('closing', ref)
      const asked = pair.b.actor<'Slow'>('closing', { timeout: 20_000 }).ask('Slow').catch((e: unknown) => e)
      await eventually(() => exposed.inFlight === 1)
      await exposed.close()
      expect(await asked).toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteCode: 'ERR_CLUSTER_CLOSED' })
      expect(counter.aborted[0]).toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
    })

    it('a ref whose ask never settles (ignoring its signal) is let go once the asker gives up or the exposure closes', async () => {
      const hanging = { id: 'hanging', tell: () => undefined, ask: () => new Promise<never>(() => undefined) }
      const exposed = await pair.a.exposeActor('hanging', hanging as never)
      await expect(pair.b.actor('hanging').ask('Get', undefined, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError)
      await eventually(() => exposed.inFlight === 0) // the cancel released it
      const asked = pair.b.actor('hanging', { timeout: 20_000 }).ask('Get').catch((e: unknown) => e)
      await eventually(() => exposed.inFlight === 1)
      await exposed.close()
      expect(await asked).toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteCode: 'ERR_CLUSTER_CLOSED' })
      expect(exposed.inFlight).toBe(0)
    })

    it('a pool: two exposures of one name share the messages', async () => {
      const [c1, r1] = spawn()
      const [c2, r2] = spawn()
      await pair.a.exposeActor('pool', r1)
      await pair.b.exposeActor('pool', r2)
      const remote = pair.b.actor<'Add'>('pool')
      await Promise.all(Array.from({ length: 40 }, () => remote.ask('Add', { n: 1 })))
      expect(c1.handled + c2.handled).toBe(40)
      expect(c1.handled).toBeGreaterThan(0)
      expect(c2.handled).toBeGreaterThan(0)
    })

    it('after bus.close(): exposing, making refs, asks and tells are ERR_CLUSTER_CLOSED', async () => {
      const [, ref] = spawn()
      await pair.a.exposeActor('c', ref)
      const remote = pair.b.actor<'Get'>('c')
      expect(await remote.ask('Get')).toBe(0)
      await pair.b.close()
      const closed = expect.objectContaining({ code: 'ERR_CLUSTER_CLOSED' }) as Error
      await expect(remote.ask('Get')).rejects.toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
      expect(() => remote.tell('Get')).toThrow(closed)
      expect(() => pair.b.actor('c')).toThrow(closed)
      await expect(pair.b.exposeActor('d', ref)).rejects.toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
    })

    it('refuses bad input with library errors', async () => {
      const [, ref] = spawn()
      await expect(pair.a.exposeActor('', ref)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(pair.a.exposeActor('x', {} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      expect(() => pair.b.actor('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
      expect(() => pair.b.actor('x', { timeout: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
      const remote = pair.b.actor('x')
      await expect(remote.ask('', undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(remote.ask('Get', 5 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(remote.ask('Get', undefined, { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
      await expect(remote.ask('Get', undefined, { signal: 'no' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      expect(() => remote.tell('', undefined)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
    })
  })
}
