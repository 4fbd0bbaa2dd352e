import { afterEach, describe, expect, it } from 'vitest'
import { HandlerError, HandlerNameError, Result } from '../../lib/index.js'
import { connect, serve, type MirrorEvent } from '../../lib/rpc/index.js'
import { replay } from '../../lib/rpc/mirror-handlers.js'
import { Cleanup, newSource, pair, TRANSPORTS, type SourceNames, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

type Ev = MirrorEvent<SourceNames>
/** Polls `pred` every 5 ms up to `ms` (bounded). */
async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error('until(): timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe.each(TRANSPORTS)('rpc mirror handlers over %s', (transport) => {
  it('FooEnd, FooState, AnyState run on pushed updates, in the core order, once per tick change', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval: 0 })
    const log: string[] = []
    const events: Ev[] = []
    remote.bind({
      StartState: (e) => void log.push(`${e.name}:${e.cause}`),
      BusyState: (e) => void events.push(e),
      BusyEnd: (e) => void log.push(e.name),
      IdleState: (e) => void log.push(e.name),
      JobState: (e) => void log.push(e.name),
      AnyState: (e) => void log.push(`${e.name}:${e.state}`),
      helper: () => 'not a handler',
    })
    src.add('Start')
    await remote.ping()
    src.add('Start') // no tick change: nothing runs
    src.add('Busy')
    await remote.ping()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ name: 'BusyState', state: 'Busy', args: {}, cause: 'push' })
    expect(events[0]!.timeAfter).toEqual(remote.time())
    src.add('Idle') // removes Busy
    src.add('Job')
    src.add('Job')
    await remote.ping()
    expect(log).toEqual(['StartState:push', 'AnyState:null', 'AnyState:null', 'BusyEnd', 'IdleState', 'AnyState:null',
      'JobState', 'AnyState:null', 'JobState', 'AnyState:null'])
    expect(remote.time()).toEqual(src.time())
  })
})

describe('rpc mirror handlers', () => {
  it("the reply to this client's own mutation carries its args to the states it named", async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 1000 })
    const seen: Ev[] = []
    remote.bind({ JobState: (e) => void seen.push(e), StartState: (e) => void seen.push(e) })
    await remote.add('Job', { n: 1 })
    await remote.add('Start')
    src.add('Job', { n: 2 })
    await remote.sync() // a full clock: args unknown
    expect(seen.map((e) => [e.name, e.cause, e.args])).toEqual([
      ['JobState', 'reply', { n: 1 }], ['StartState', 'reply', {}], ['JobState', 'clock', {}]])
  })

  it('refuses negotiation handlers and names of no state with HandlerNameError', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp')
    for (const name of ['StartEnter', 'StartExit', 'StartStart', 'StartReady', 'AnyEnter']) {
      const err = (() => {
        try {
          remote.bind({ [name]: () => undefined } as never)
        } catch (e) {
          return e
        }
        return null
      })()
      expect(err, name).toBeInstanceOf(HandlerNameError)
      expect((err as HandlerNameError).code).toBe('ERR_HANDLER_NAME')
      expect((err as Error).message).toMatch(/negotiation handler.*final handlers only/)
    }
    // @ts-expect-error the parameter type refuses negotiation handlers at compile time
    expect(() => remote.bind({ StartEnter: () => undefined })).toThrow(HandlerNameError)
    // @ts-expect-error and handler-shaped names of no state
    expect(() => remote.bind({ RedyState: () => undefined })).toThrow(/'RedyState' names no state/)
    expect(() => remote.bind({ StartState: 5 } as never)).toThrow(/must be a method, but is number/)
    expect(() => remote.bind(null as never)).toThrow(/handler object/)
    // a refused binding leaves nothing bound
    const ran: string[] = []
    const id = remote.bind({ StartState: () => void ran.push('a') }, { id: 'mine' })
    expect(id).toBe('mine')
    await remote.add('Start')
    expect(remote.unbind('mine')).toBe(true)
    expect(remote.unbind('mine')).toBe(false)
    await remote.remove('Start')
    await remote.add('Start')
    expect(ran).toEqual(['a'])
  })

  it('a handler that throws or rejects adds ErrHandler; the mirror and the other handlers go on', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 0 })
    const ran: string[] = []
    remote.bind({
      StartState: () => {
        throw new Error('sync boom')
      },
      ReadyState: () => Promise.reject(new Error('async boom')),
      AnyState: () => void ran.push('any'),
    })
    remote.bind({ StartState: () => void ran.push('second binding') })
    src.add('Start')
    await remote.ping()
    expect(remote.client.is(['ErrHandler', 'Exception'])).toBe(true)
    expect(remote.client.err).toBeInstanceOf(HandlerError)
    expect(String((remote.client.err as Error).message)).toMatch(/StartState' threw: sync boom/)
    expect(ran).toEqual(['second binding', 'any'])
    src.add('Ready')
    await until(() => /async boom/.test(String((remote.client.err as Error).message)))
    expect(remote.is('Ready')).toBe(true)
    expect(remote.client.is('Ready')).toBe(true)
    src.add('Job')
    await remote.when('Job', { timeout: 1000 })
    expect(ran).toEqual(['second binding', 'any', 'any', 'any'])
  })

  it('a coalesced update replays each state: on and off runs FooState then FooEnd; off and on FooEnd then FooState', async () => {
    const src = newSource()
    src.add(['Busy', 'Job'])
    // pushInterval 1 s: nothing is pushed; sync() brings each burst as one update (a full clock)
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 1000 })
    const log: string[] = []
    const signals: Record<string, AbortSignal> = {}
    const rec = (e: Ev): void => {
      log.push(e.name)
      signals[e.name] = e.signal
    }
    remote.bind({ StartState: rec, StartEnd: rec, BusyState: rec, BusyEnd: rec, JobState: rec, JobEnd: rec, AnyState: rec })
    src.add('Start')
    src.remove('Start') // Start 0 → 2: on and off
    src.remove('Busy')
    src.add('Busy') // Busy 1 → 3: off and on
    src.add('Job') // Job (multi) 1 → 3: a re-entry, as the core runs it: JobState only
    await remote.sync()
    expect(remote.time()).toEqual(src.time())
    expect(log).toEqual(['BusyEnd', 'StartState', 'BusyState', 'JobState', 'StartEnd', 'AnyState'])
    expect(signals['StartState']!.aborted).toBe(true) // Start already ended: its work is stale
    expect(signals['BusyState']!.aborted).toBe(false) // Busy is active: its signal tracks it
    expect(signals['BusyState']).toBe(remote.stateSignal('Busy'))

    log.length = 0
    src.add('Job')
    src.remove('Job') // Job 3 → 6: re-entered, then ended
    src.remove('Busy')
    src.add('Busy')
    src.remove('Busy') // Busy 3 → 6: End, State, End
    await remote.sync()
    expect(log).toEqual(['BusyEnd', 'BusyState', 'JobState', 'BusyEnd', 'JobEnd', 'AnyState'])
    expect(signals['BusyState']!.aborted).toBe(true)
  })

  it('replay(): the handlers one tick change runs', () => {
    const r = (b: number, a: number, multi: boolean): string =>
      Object.entries(replay(b, a, multi)).filter(([, v]) => v).map(([k]) => k).join(' ')
    expect(r(0, 1, false)).toBe('state')
    expect(r(1, 2, false)).toBe('endFirst')
    expect(r(0, 2, false)).toBe('state endLast')
    expect(r(1, 3, false)).toBe('endFirst state')
    expect(r(1, 4, false)).toBe('endFirst state endLast')
    expect(r(0, 5, false)).toBe('state')
    expect(r(1, 3, true)).toBe('state')
    expect(r(1, 2, true)).toBe('endFirst')
    expect(r(0, 2, true)).toBe('state endLast')
    expect(r(1, 4, true)).toBe('state endLast')
  })

  it('a rejection after the state ended (stale work) is ignored, as in the core', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 0 })
    let fail: (e: Error) => void = () => undefined
    remote.bind({ BusyState: () => new Promise((_, reject) => (fail = reject)) })
    src.add('Busy')
    await remote.ping()
    src.remove('Busy')
    await remote.whenNot('Busy', { timeout: 1000 })
    fail(new Error('late'))
    await new Promise((r) => setTimeout(r, 20))
    expect(remote.client.is('ErrHandler')).toBe(false)
  })
})

describe('rpc mirror handlers, hostile and reentrant', () => {
  it('hostile handler objects fail the bind with a library error; hostile throws are reported', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 0 })
    const trap = new Proxy({}, { ownKeys() {
      throw new Error('trap')
    } })
    expect(() => remote.bind(trap)).toThrow(/members can be listed \(trap\)/)
    expect(() => remote.bind({ get StartState() {
      return () => undefined
    } } as never)).toThrow(/must be a method, but is an accessor/)
    const evil = { toString() {
      throw new Error('no string')
    } }
    remote.bind({ StartState: () => {
      throw evil
    }, ReadyState: () => ({ get then(): never {
      throw new Error('then trap')
    } }) })
    src.add(['Start', 'Ready'])
    await remote.ping()
    expect(remote.client.is('ErrHandler')).toBe(true)
    expect(String((remote.client.err as Error).message)).toMatch(/ReadyState' threw: then trap/)
    expect(remote.time()).toEqual(src.time())
  })

  it('handlers may mutate the remote and close it; the mirror stays consistent', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 0 })
    const done: Promise<unknown>[] = []
    remote.bind({
      StartState: () => void done.push(remote.add('Ready').then((r) => expect(r).toBe(Result.Executed))),
      ReadyState: () => void done.push(remote.close()),
    })
    src.add('Start')
    await until(() => done.length === 2)
    await Promise.all(done)
    expect(src.is('Ready')).toBe(true)
    expect(remote.mirror.disposed).toBe(true)
    expect(remote.stateSignal('Start').aborted).toBe(true)
  })
})

describe('rpc mirror state signals', () => {
  it('abort when the state ends remotely; FooState gets Foo\'s signal', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp', { pushInterval: 0 })
    let stateSignal: AbortSignal | null = null
    let anySignal: AbortSignal | null = null
    remote.bind({ BusyState: (e) => void (stateSignal = e.signal), AnyState: (e) => void (anySignal = e.signal) })
    src.add('Busy')
    await remote.when('Busy', { timeout: 1000 })
    expect(stateSignal).toBe(remote.stateSignal('Busy'))
    expect(stateSignal!.aborted).toBe(false)
    expect(anySignal!.aborted).toBe(true) // aborted once the update's handlers ran
    const start = remote.stateSignal('Start')
    expect(remote.stateSignal('Start')).toBe(start)
    src.add('Idle') // removes Busy
    await remote.whenNot('Busy', { timeout: 1000 })
    expect(stateSignal!.aborted).toBe(true)
    expect(stateSignal!.reason).toMatchObject({ code: 'ERR_RPC_CLOSED' })
    expect(start.aborted).toBe(false)
    expect(remote.stateSignal('Busy')).not.toBe(stateSignal)
    expect(() => remote.stateSignal('Nope' as never)).toThrow(/Nope/)
  })

  it('abort when the connection is lost; after a reconnection they track ticks again', async () => {
    const src1 = newSource()
    src1.add('Start')
    const server1 = await serve(src1, { url: 'tcp://127.0.0.1:0' })
    const url = server1.url!
    const remote = c.add(await connect<typeof SourceSchema>(url, { reconnect: { retries: 100, minDelay: 10, maxDelay: 50 } }))
    const seen: string[] = []
    remote.bind({ AnyState: (e) => void seen.push(`${e.cause}:${remote.activeStates.join(',')}`) })
    const start = remote.stateSignal('Start')
    await server1.close()
    await remote.client.when('Disconnected', { timeout: 1000 })
    expect(start.aborted).toBe(true)
    expect(start.reason).toMatchObject({ code: 'ERR_RPC_CLOSED' })
    expect(remote.stateSignal('Ready').aborted).toBe(true) // while disconnected

    const src2 = newSource()
    src2.add(['Start', 'Ready'])
    c.add(await serve(src2, { url }))
    await remote.client.when('Ready', { timeout: 3000 })
    expect(seen).toEqual(['clock:Start,Ready'])
    const ready = remote.stateSignal('Ready')
    expect(ready.aborted).toBe(false)
    src2.remove('Ready')
    await remote.whenNot('Ready', { timeout: 1000 })
    expect(ready.aborted).toBe(true)
  })

  it('close() aborts every signal and drops the bindings', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'port')
    const s = remote.stateSignal('Start')
    remote.bind({ StartState: () => undefined })
    await remote.close()
    expect(s.aborted).toBe(true)
    expect(remote.stateSignal('Start').aborted).toBe(true)
  })
})
