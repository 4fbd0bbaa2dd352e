import { afterEach, describe, expect, it } from 'vitest'
import { Result, TimeoutError, UnknownStateError } from '../../lib/index.js'
import { connect, serve } from '../../lib/rpc/index.js'
import type { SourceSchema } from './support.js';
import { Cleanup, newSource } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

describe('rpc over TCP: the mirror', () => {
  it('mirrors the clock at connect and after source mutations (pushes)', async () => {
    const src = newSource()
    src.add(['Start', 'Busy'])
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    expect(server.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
    expect(server.url).not.toMatch(/:0$/)
    const remote = c.add(await connect(server.url!))
    expect(remote.id).toBe('src')
    expect(remote.names).toEqual(src.names)
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
    expect(remote.activeStates).toEqual(['Start', 'Ready', 'Idle'])
    expect(remote.clock(['Start', 'Idle'])).toEqual({ Start: 1, Idle: 1 })
    expect(remote.toString()).toBe(src.toString())
  })

  it('forwards mutations and resolves with the real result, the mirror already updated', async () => {
    const src = newSource()
    src.bind({ BusyEnter: (e: { args: Record<string, unknown> }) => e.args['ok'] !== false })
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', pushInterval: 1000 }))
    const remote = c.add(await connect<typeof SourceSchema>(server.url!))
    expect(await remote.add('Start')).toBe(Result.Executed)
    expect(remote.is('Start')).toBe(true) // from the reply's diff, not a push (pushInterval 1 s)
    expect(await remote.add('Ready')).toBe(Result.Executed)
    expect(await remote.add('Busy', { ok: false })).toBe(Result.Canceled)
    expect(src.is('Busy')).toBe(false)
    expect(await remote.add('Busy', { ok: true })).toBe(Result.Executed)
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
  })

  it('whenTicks and state$ resolve from pushes', async () => {
    const src = newSource()
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', pushInterval: 0 }))
    const remote = c.add(await connect<typeof SourceSchema>(server.url!))
    const seen: boolean[] = []
    const sub = remote.state$('Start').subscribe((v) => seen.push(v))
    c.defer(() => sub.unsubscribe())
    const ticks = remote.whenTicks('Job', 3)
    src.add('Job')
    src.add('Job')
    src.add('Start')
    src.add('Job')
    await ticks
    expect(remote.tick('Job')).toBe(src.tick('Job'))
    src.remove('Start')
    await remote.whenNot('Start')
    expect(seen).toEqual([false, true, false])
  })

  it('throws on unknown states and non-plain args; rejects with TimeoutError at the deadline', async () => {
    const src = newSource()
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    const remote = c.add(await connect(server.url!, { timeout: 300 }))
    expect(() => remote.is('Nope')).toThrow(UnknownStateError)
    expect(() => remote.add('Nope')).toThrow(UnknownStateError)
    expect(() => remote.add('Start', { d: new Date() })).toThrow(TypeError)
    expect(() => remote.add('Start', { f: () => 1 })).toThrow(TypeError)
    // the source's handler takes longer than the call's deadline
    src.bind({ StartEnter: () => { const end = Date.now() + 150; while (Date.now() < end); } })
    const t0 = Date.now()
    await expect(remote.add('Start', undefined, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError)
    expect(Date.now() - t0).toBeLessThan(1000)
    // the late reply's diff is still applied
    await remote.when('Start', { timeout: 1000 })
    expect(remote.time()).toEqual(src.time())
  })
})
