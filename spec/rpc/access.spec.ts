import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, Result, UnknownStateError } from '../../lib/index.js'
import { connect, Msg, RpcError, serve, type HelloInfo } from '../../lib/rpc/index.js'
import { Cleanup, newSource, pair, RawPeer, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

async function refused(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(RpcError)
  return err as RpcError
}

describe('rpc authenticate(hello)', () => {
  it('accepts on true (sync or async) and sees the HELLO; the client id and token reach it', async () => {
    const seen: HelloInfo[] = []
    const src = newSource()
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', authenticate: async (h) => {
      seen.push(h)
      await new Promise((r) => setTimeout(r, 5))
      return h.token === 'good'
    } }))
    const remote = c.add(await connect(server.url!, { token: 'good', id: 'rc-me' }))
    expect(remote.client.is('Ready')).toBe(true)
    expect(seen[0]).toMatchObject({ version: 1, clientId: 'rc-me', token: 'good', schemaHash: null })
    expect(Object.isFrozen(seen[0])).toBe(true)
    const sync = c.add(await serve(src, { url: 'ws://127.0.0.1:0/rpc', authenticate: () => true }))
    expect((c.add(await connect(sync.url!))).client.is('Ready')).toBe(true)
  })

  const hostile: [string, (h: HelloInfo) => unknown][] = [
    ['false', () => false],
    ['a truthy non-true value', () => 'yes'],
    ['undefined', () => undefined],
    ['a throw', () => {
      throw new Error('db down')
    }],
    ['a throw of a non-error', () => {
      throw Symbol('odd')
    }],
    ['a rejection', () => Promise.reject(new Error('nope'))],
    ['a promise of false', () => Promise.resolve(false)],
    ['a thenable whose then getter throws', () => ({ get then() {
      throw new Error('trap')
    } })],
    ['a thenable whose then throws', () => ({ then() {
      throw new Error('trap')
    } })],
    ['a promise that never settles (bounded by handshakeTimeout)', () => new Promise(() => undefined)],
  ]
  for (const [what, hook] of hostile) {
    it(`refuses with ERR_RPC_AUTH on ${what}; the server logs why, the client only sees the code`, async () => {
      const lines: string[] = []
      const src = newSource()
      const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', handshakeTimeout: 200, logLevel: 1,
        logger: (_, l) => void lines.push(l), authenticate: hook as never }))
      const err = await refused(connect(server.url!, { timeout: 2000 }))
      expect(err.code).toBe('ERR_RPC_AUTH')
      expect(err.message).not.toMatch(/db down|trap|nope/)
      await server.machine.when('ErrAuth', { timeout: 1000 })
      expect(lines.some((l) => l.includes('refused: authenticate()'))).toBe(true)
      expect(server.clients).toBe(0)
      // the server goes on serving
      expect(src.is('Exception')).toBe(false)
    })
  }

  it('a message other than PING while authenticate() runs is a protocol error; the token is checked first', async () => {
    const src = newSource()
    let calls = 0
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', token: 't', authenticate: () => {
      calls++
      return new Promise<boolean>((r) => setTimeout(() => r(true), 100))
    } }))
    expect((await refused(connect(server.url!, { token: 'wrong' }))).code).toBe('ERR_RPC_AUTH')
    expect(calls).toBe(0)
    const peer = c.add(await RawPeer.open(server.url!))
    peer.send({ type: Msg.Hello, version: 1, clientId: 'raw', token: 't', schemaHash: null, wantSchema: false })
    peer.send({ type: Msg.Ping, n: 4 })
    await peer.until((ms) => ms.length >= 1)
    expect(peer.parsed()[0]).toEqual({ type: Msg.Pong, n: 4 })
    peer.send({ type: Msg.Sync })
    await peer.until(() => false, 1000).catch(() => undefined)
    expect(peer.closed).toBe(true)
    expect(peer.parsed().map((m) => m?.type)).toEqual([Msg.Pong, Msg.Error])
  })

  it('a client gone, or the server closed, while authenticate() runs: its late answer is ignored', async () => {
    const src = newSource()
    const answers: ((v: boolean) => void)[] = []
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', authenticate: () =>
      new Promise<boolean>((r) => answers.push(r)) }))
    const peer = await RawPeer.open(server.url!)
    peer.send({ type: Msg.Hello, version: 1, clientId: 'gone', token: null, schemaHash: null, wantSchema: false })
    const end = Date.now() + 2000
    while (answers.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    await peer.close()
    await server.machine.when('ClientDisconnected', { timeout: 1000 })
    answers[0]!(true)
    await new Promise((r) => setTimeout(r, 20))
    expect(server.clients).toBe(0)
    const pending = refused(connect(server.url!, { timeout: 2000 }))
    while (answers.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
    await server.close()
    answers[1]!(true)
    expect((await pending).code).toBe('ERR_RPC_CLOSED')
    expect(server.machine.is('Closed')).toBe(true)
  })

  it('validates the options', async () => {
    const src = newSource()
    await expect(serve(src, { authenticate: 5 as never })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(serve(src, { mutable: { allow: ['Nope' as never] } })).rejects.toBeInstanceOf(UnknownStateError)
    await expect(serve(src, { mutable: { deny: 'Start' as never } })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(serve(src, { argsKeys: [1] as never })).rejects.toBeInstanceOf(InvalidArgumentError)
    const trap = new Proxy({}, { get() {
      throw new Error('trap')
    } })
    await expect(serve(src, { mutable: trap })).rejects.toThrow(/reading it threw: trap/)
  })
})

describe('rpc access lists', () => {
  it('mutable.allow / deny: other mutations get ERR_RPC_FORBIDDEN and never reach the source', async () => {
    const src = newSource()
    const tx: string[] = []
    src.transitions$.subscribe((t) => void tx.push(t.calledStates.join(',')))
    const { remote } = await pair<typeof SourceSchema>(c, src, 'tcp',
      { mutable: { allow: ['Start', 'Ready', 'Job', 'Busy', 'Idle'], deny: ['Busy'] } })
    expect(await remote.add('Start')).toBe(Result.Executed)
    expect(await remote.add('Job', { n: 1 })).toBe(Result.Executed)
    const before = tx.length
    for (const call of [
      () => remote.add('Busy'), () => remote.add(['Start', 'Busy']), () => remote.remove('Busy'),
      () => remote.toggle('Busy'), () => remote.canAdd('Busy'), () => remote.addErr(new Error('x')),
      () => remote.addErrState('Err', new Error('x')),
    ]) {
      const err = await refused(call())
      expect(err.code).toBe('ERR_RPC_FORBIDDEN')
      expect(err.message).toMatch(/clients may not mutate (Busy|Exception|Err)/)
    }
    expect(tx.length).toBe(before)
    src.add('Busy') // the source itself may; now set() would remove Busy: forbidden too
    await remote.ping()
    expect((await refused(remote.set(['Start']))).code).toBe('ERR_RPC_FORBIDDEN')
    src.remove('Busy')
    expect(await remote.set(['Start', 'Idle'])).toBe(Result.Executed)
    expect(remote.client.is('Ready')).toBe(true) // the connection stays
    expect(remote.time()).toEqual(src.time())
  })

  it('argsKeys bounds remote whenArgs (a watch is an oracle on the source\'s args)', async () => {
    const src = newSource()
    const { remote } = await pair<typeof SourceSchema>(c, src, 'ws', { argsKeys: ['id'] })
    const err = await refused(remote.whenArgs('Job', { secret: 'guess' }, { timeout: 1000 }))
    expect(err.code).toBe('ERR_RPC_FORBIDDEN')
    expect(err.message).toMatch(/args keys secret/)
    const ok = remote.whenArgs('Job', { id: 7 }, { timeout: 1000 })
    await remote.ping()
    src.add('Job', { id: 7, secret: 's' })
    await ok
  })
})
