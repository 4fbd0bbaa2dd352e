import { afterEach, describe, expect, it } from 'vitest'
import { backoffDelay, connect, FrameReader, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, pair, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const INVALID = { code: 'ERR_INVALID_ARG' }
const RANGE = { code: 'ERR_OUT_OF_RANGE' }

describe('rpc option validation: every public option is checked, with a code and its name', () => {
  it('serve()', async () => {
    const src = newSource()
    const bad: [Record<string, unknown> | number, object, RegExp][] = [
      [5, INVALID, /options must be an object/],
      [{ pushInterval: '2' }, INVALID, /pushInterval must be a number/],
      [{ pushInterval: -1 }, RANGE, /pushInterval/],
      [{ pushInterval: Infinity }, RANGE, /pushInterval/],
      [{ handshakeTimeout: 0 }, RANGE, /handshakeTimeout/],
      [{ maxFrame: 0 }, RANGE, /maxFrame/],
      [{ maxFrame: 1.5 }, RANGE, /maxFrame/],
      [{ maxBuffered: -1 }, RANGE, /maxBuffered/],
      [{ token: 7 }, INVALID, /token must be a string/],
      [{ id: {} }, INVALID, /id must be a string/],
      [{ tls: 'yes' }, INVALID, /tls/],
      [{ url: 'http://127.0.0.1:0' }, INVALID, /url/],
      [{ rateLimit: { perSecond: 0 } }, RANGE, /perSecond/],
      [{ authenticate: 'yes' }, INVALID, /authenticate/],
      [{ mutable: { allow: 'Start' } }, INVALID, /mutable.allow/],
      [{ get pushInterval(): number { throw new Error('hostile') } }, INVALID, /pushInterval must be a readable value/],
    ]
    for (const [opts, code, msg] of bad) {
      const err = await serve(src, opts as never).then(() => null, (e: unknown) => e)
      expect(err, String(msg)).toMatchObject(code)
      expect((err as Error).message, String(msg)).toMatch(msg)
    }
    await expect(serve({} as never)).rejects.toMatchObject(INVALID)
  })

  it('connect()', async () => {
    const src = newSource()
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    const url = server.url!
    const bad: [unknown, object, RegExp][] = [
      ['x', INVALID, /options must be an object/],
      [{ timeout: 0 }, RANGE, /timeout/],
      [{ timeout: 'soon' }, INVALID, /timeout must be a number/],
      [{ keepAlive: -5 }, RANGE, /keepAlive/],
      [{ token: 1 }, INVALID, /token/],
      [{ machine: 1 }, INVALID, /machine/],
      [{ schema: { names: 'A' } }, INVALID, /schema/],
      [{ reconnect: 'often' }, INVALID, /reconnect/],
      [{ reconnect: { retries: 1.5 } }, RANGE, /reconnect.retries/],
      [{ reconnect: { minDelay: -1 } }, RANGE, /reconnect.minDelay/],
      [{ maxFrame: -1 }, RANGE, /maxFrame/],
      [{ id: 3 }, INVALID, /id/],
    ]
    for (const [opts, code, msg] of bad) {
      const err = await connect(url, opts as never).then((r) => r.close(), (e: unknown) => e)
      expect(err, JSON.stringify(opts)).toMatchObject(code)
      expect((err as Error).message, JSON.stringify(opts)).toMatch(msg)
    }
    await expect(connect(42 as never)).rejects.toMatchObject(INVALID)
    expect(server.clients).toBe(0)
  })

  it('calls, whenArgs, server.send and the exported helpers', async () => {
    const { server, remote } = await pair<typeof SourceSchema>(c, newSource(), 'tcp')
    // a bad argument throws at the call, as a bad state name does
    expect(() => remote.add('Start', undefined, { timeout: -1 })).toThrow(expect.objectContaining(RANGE) as Error)
    expect(() => remote.add('Start', undefined, { signal: {} as never })).toThrow(expect.objectContaining(INVALID) as Error)
    expect(() => remote.ping({ timeout: 'x' as never })).toThrow(expect.objectContaining(INVALID) as Error)
    expect(() => remote.whenArgs('Job', {}, { timeout: NaN })).toThrow(expect.objectContaining(RANGE) as Error)
    expect(() => server.send('x', 1, { clientId: 5 as never })).toThrow(expect.objectContaining(INVALID) as Error)
    expect(() => backoffDelay(-1, { retries: 1, minDelay: 1, maxDelay: 1 })).toThrow(expect.objectContaining(RANGE) as Error)
    expect(() => new FrameReader(0)).toThrow(expect.objectContaining(RANGE) as Error)
    // nothing was sent for the refused calls: the connection is fine
    expect(await remote.add('Start')).toBe(0)
  })
})
