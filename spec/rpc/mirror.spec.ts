import { afterEach, describe, expect, it } from 'vitest'
import { DisposedError, Result, TimeoutError, UnknownStateError } from '../../lib/index.js'
import { Cleanup, newSource, pair, TRANSPORTS, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

describe.each(TRANSPORTS)('rpc mirror over %s', (transport) => {
  it('mirrors the clock at connect and after source mutations (pushes)', async () => {
    const src = newSource()
    src.add(['Start', 'Busy'])
    const { server, remote } = await pair<typeof SourceSchema>(c, src, transport)
    if (transport === 'port') expect(server.url).toBeUndefined()
    else expect(server.url).toMatch(transport === 'tcp' ? /^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/ : /^ws:\/\/127\.0\.0\.1:[1-9]\d*\/rpc$/)
    expect(remote.id).toBe('src')
    expect(remote.names).toEqual(src.names)
    expect(remote.has('Busy')).toBe(true)
    expect(remote.has('Nope')).toBe(false)
    expect(remote.is(['Start', 'Busy'])).toBe(true)
    expect(remote.time()).toEqual(src.time())
    expect(remote.client.is('Ready')).toBe(true)
    await server.machine.when('ClientConnected')
    expect(server.clients).toBe(1)

    const ready = remote.when('Ready')
    src.add('Ready')
    await ready
    expect(remote.is('Ready')).toBe(true)
    src.add('Idle')
    await remote.when('Idle')
    expect(remote.not('Busy')).toBe(true)
    expect(remote.any(['Busy', 'Start'], 'Idle')).toBe(true)
    expect(remote.activeStates).toEqual(['Start', 'Ready', 'Idle'])
    expect(remote.clock(['Start', 'Idle'])).toEqual({ Start: 1, Idle: 1 })
    expect(remote.time(['Idle', 'Start'])).toEqual([1, 1])
    expect(remote.toString()).toBe(src.toString())
    expect(remote.queueTick).toBe(src.queueTick)
  })

  it('forwards mutations and resolves with the real result, the mirror already updated', async () => {
    const src = newSource()
    src.bind({ BusyEnter: (e: { args: Record<string, unknown> }) => e.args['ok'] !== false })
    const { remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval: 1000 })
    expect(await remote.add('Start')).toBe(Result.Executed)
    expect(remote.is('Start')).toBe(true) // from the reply's diff, not a push (pushInterval 1 s)
    expect(await remote.add('Ready')).toBe(Result.Executed)
    expect(await remote.add('Busy', { ok: false })).toBe(Result.Canceled)
    expect(src.is('Busy')).toBe(false)
    expect(await remote.add('Busy', { ok: true, nested: { list: [1, 'a', null, new Uint8Array([1])] } })).toBe(Result.Executed)
    expect(await remote.toggle('Busy')).toBe(Result.Executed)
    expect(src.is('Busy')).toBe(false)
    expect(await remote.set(['Start', 'Idle'])).toBe(Result.Executed)
    expect([...src.activeStates].sort()).toEqual(['Idle', 'Start'])
    expect(await remote.remove('Start')).toBe(Result.Executed)
    expect(remote.time()).toEqual(src.time())
    expect(await remote.addErr(new TypeError('boom'))).toBe(Result.Executed)
    expect(src.is('Exception')).toBe(true)
    expect(src.err).toMatchObject({ code: 'ERR_RPC_REMOTE', remoteName: 'TypeError', message: 'boom' })
    expect(await remote.addErrState('Err', 'str')).toBe(Result.Executed)
    expect(remote.is(['Err', 'Exception'])).toBe(true)
    expect(remote.tick('Exception')).toBe(src.tick('Exception'))
    expect(remote.mirror.is('Exception')).toBe(true)
  })

  it('canAdd / canRemove run on the source (relations and negotiation handlers), changing nothing', async () => {
    const src = newSource()
    src.bind({ BusyEnter: (e: { args: Record<string, unknown> }) => e.args['ok'] !== false })
    const { remote } = await pair<typeof SourceSchema>(c, src, transport)
    const before = src.time()
    expect(await remote.canAdd('Busy')).toBe(Result.Executed)
    expect(await remote.canAdd('Busy', { ok: false })).toBe(Result.Canceled)
    expect(await remote.canAdd('Ready')).toBe(Result.Canceled) // requires Start
    expect(await remote.canRemove('Busy')).toBe(Result.Executed)
    expect(src.time()).toEqual(before)
    expect(remote.time()).toEqual(before)
  })

  it("carries the source's error text while Exception is active", async () => {
    const src = newSource()
    src.addErr(new Error('disk full'))
    const { remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval: 0 })
    expect(remote.err).toContain('disk full') // from WELCOME
    expect(String((remote.mirror.err as Error).message)).toContain('disk full')
    src.remove('Exception')
    await remote.whenNot('Exception')
    expect(remote.err).toBeUndefined()
    src.addErrState('Err', new Error('second'))
    await remote.when('Err')
    expect(remote.err).toContain('second') // from a DIFF
    await remote.remove('Exception')
    expect(await remote.addErr(new RangeError('third'))).toBe(Result.Executed)
    expect(remote.err).toContain('third') // from a REPLY
  })

  it('whenArgs: resolved by the server after the diff that activated the state', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval: 1000 })
    const w7 = remote.whenArgs('Job', { id: 7 })
    const any = remote.whenArgs('Start', {})
    await remote.ping() // the server has the watches: only activations after it received them count
    src.add('Job', { id: 1 })
    src.add('Job', { id: 7, extra: true })
    await w7
    expect(remote.tick('Job')).toBe(src.tick('Job')) // pushInterval is 1 s: the diff came with the match
    src.add('Start')
    await any
    // from this client's own mutation: the match follows the reply
    const w8 = remote.whenArgs('Job', { id: 8 })
    expect(await remote.add('Job', { id: 8 })).toBe(Result.Executed)
    await w8
    // timeout and abort: the watch is dropped on the server too
    await expect(remote.whenArgs('Job', { id: 9 }, { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError)
    const ac = new AbortController()
    const aborted = remote.whenArgs('Job', { id: 9 }, { signal: ac.signal })
    ac.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    src.add('Job', { id: 9 })
    expect(() => remote.whenArgs('Nope' as never, {})).toThrow(UnknownStateError)
    expect(() => remote.whenArgs('Job', { d: new Date() })).toThrow(TypeError)
    const pending = remote.whenArgs('Job', { id: 10 }).catch((e: unknown) => e)
    await remote.close()
    expect(await pending).toMatchObject({ code: 'ERR_RPC_CLOSED' })
  })

  it('passes args to the source handlers', async () => {
    const src = newSource()
    const seen: unknown[] = []
    src.bind({ JobState: (e: { args: Record<string, unknown> }) => void seen.push(e.args) })
    const { remote } = await pair<typeof SourceSchema>(c, src, transport)
    await remote.add('Job', { id: 7, tags: ['a'], meta: { ok: true }, gone: undefined })
    expect(seen).toEqual([{ id: 7, tags: ['a'], meta: { ok: true }, gone: null }])
  })

  it('whenTicks, whenTime and state$ resolve from pushes', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval: 0 })
    const seen: boolean[] = []
    const sub = remote.state$('Start').subscribe((v) => seen.push(v))
    c.defer(() => sub.unsubscribe())
    const ticks = remote.whenTicks('Job', 3)
    src.add('Job')
    src.add('Job')
    src.add('Start')
    src.add('Job')
    await ticks
    await remote.ping() // with pushInterval 0, every diff sent before the PONG has been applied
    expect(remote.tick('Job')).toBe(src.tick('Job'))
    const time = remote.whenTime(['Job', 'Start'], [7, 2])
    src.add('Job')
    src.remove('Start')
    await time
    await remote.whenNot('Start')
    expect(seen).toEqual([false, true, false])
  })

  it('throws on unknown states and non-plain args; rejects with TimeoutError at the deadline; honours signals', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, transport, {}, { timeout: 300 })
    expect(() => remote.is('Nope' as never)).toThrow(UnknownStateError)
    expect(() => remote.add('Nope' as never)).toThrow(UnknownStateError)
    expect(() => remote.add('Start', { d: new Date() })).toThrow(TypeError)
    expect(() => remote.add('Start', { f: () => 1 })).toThrow(TypeError)
    expect(() => remote.add('Start', { big: 1n })).toThrow(TypeError)
    await expect(remote.add('Start', undefined, { signal: AbortSignal.abort(new Error('no')) })).rejects.toThrow('no')
    // a same-thread MessagePort cannot show a deadline: the source blocks the client too (see port.spec.ts)
    if (transport === 'port') return
    // the source's handler takes longer than the call's deadline
    src.bind({ StartEnter: () => { const end = Date.now() + 150; while (Date.now() < end); } })
    const t0 = Date.now()
    await expect(remote.add('Start', undefined, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError)
    expect(Date.now() - t0).toBeLessThan(1000)
    // the late reply's diff is still applied
    await remote.when('Start', { timeout: 1000 })
    expect(remote.time()).toEqual(src.time())
  })

  it('close(): pending calls reject with ERR_RPC_CLOSED, mirror waiters with DisposedError; the server sees it', async () => {
    const src = newSource()
    const { server, remote } = await pair<typeof SourceSchema>(c, src, transport)
    await server.machine.when('ClientConnected')
    const waiting = remote.when('Ready')
    await remote.close()
    await expect(waiting).rejects.toBeInstanceOf(DisposedError)
    expect(remote.client.is('Disconnected')).toBe(true)
    expect(remote.client.is('Exception')).toBe(false)
    await expect(remote.add('Start')).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
    await expect(remote.ping()).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
    await server.machine.when('ClientDisconnected')
    expect(server.clients).toBe(0)
    expect(server.machine.is('Exception')).toBe(false)
  })

  it('server.close(): the client goes Disconnected, its calls reject', async () => {
    const src = newSource()
    const { server, remote } = await pair<typeof SourceSchema>(c, src, transport)
    await server.close()
    await remote.client.when('Disconnected', { timeout: 2000 })
    expect(remote.connected).toBe(false)
    await expect(remote.add('Start')).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
    expect(server.machine.is('Closed')).toBe(true)
  })
})
