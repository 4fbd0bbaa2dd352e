import { afterEach, describe, expect, it } from 'vitest'
import { schema, TimeoutError } from '../../lib/index.js'
import { connect, Msg, PROTOCOL_VERSION, RpcError, schemaHash, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, RawPeer, rawServer, SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

describe('rpc handshake', () => {
  it('accepts a client that has the same schema (hash checked, nothing transferred)', async () => {
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0' }))
    const remote = c.add(await connect(server.url!, { schema: SourceSchema }))
    expect(remote.schema).toBe(SourceSchema)
    expect(remote.names).toEqual(SourceSchema.names)
  })

  it('rejects a schema mismatch with ERR_RPC_SCHEMA on both sides', async () => {
    const lines: string[] = []
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0', logLevel: 1, logger: (_, l) => lines.push(l) }))
    const other = schema({ Start: {}, Ready: {} }) // same names in part, different relations and order
    const err = await connect(server.url!, { schema: other }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcError)
    expect(err).toMatchObject({ code: 'ERR_RPC_SCHEMA' })
    await server.machine.when('ErrAuth')
    expect(server.machine.err).toMatchObject({ code: 'ERR_RPC_SCHEMA' })
    expect(lines.some((l) => l.includes('ERR_RPC_SCHEMA'))).toBe(true)
    expect(server.clients).toBe(0)
  })

  it('the schema hash depends on names, order and relations', () => {
    const a = schema({ A: {}, B: { require: ['A'] } })
    expect(schemaHash(a)).toBe(schemaHash(schema({ A: {}, B: { require: ['A'] } })))
    expect(schemaHash(a)).not.toBe(schemaHash(schema({ B: { require: ['A'] }, A: {} })))
    expect(schemaHash(a)).not.toBe(schemaHash(schema({ A: {}, B: {} })))
    expect(schemaHash(a)).not.toBe(schemaHash(schema({ A: {}, C: { require: ['A'] } })))
    expect(schemaHash(a)).toMatch(/^[0-9a-f]{16}$/)
  })

  it('rejects a wrong or missing token with ERR_RPC_AUTH; the right one passes', async () => {
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0', token: 's3cret' }))
    await expect(connect(server.url!, { token: 'nope' })).rejects.toMatchObject({ code: 'ERR_RPC_AUTH' })
    await expect(connect(server.url!)).rejects.toMatchObject({ code: 'ERR_RPC_AUTH' })
    expect(server.machine.is('ErrAuth')).toBe(true)
    const remote = c.add(await connect(server.url!, { token: 's3cret' }))
    expect(remote.client.is('Ready')).toBe(true)
    expect(server.clients).toBe(1)
  })

  it('leaves the failed client machine in Disconnected with its error state', async () => {
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0', token: 't' }))
    const err = (await connect(server.url!, { id: 'rc-x' }).catch((e: unknown) => e)) as RpcError
    expect(err.code).toBe('ERR_RPC_AUTH')
    expect(err.message).toContain('authentication failed')
  })

  it('refuses another protocol version', async () => {
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0' }))
    const peer = c.add(await RawPeer.open(server.url!))
    peer.send({ type: Msg.Hello, version: PROTOCOL_VERSION + 1, clientId: 'old', token: null, schemaHash: null,
      wantSchema: true })
    await peer.until(() => false).catch(() => undefined)
    expect(peer.closed).toBe(true)
    expect(peer.parsed()[0]).toMatchObject({ type: Msg.Error, code: 'ERR_RPC_VERSION' })
  })

  it('closes a connection that sends no HELLO in time', async () => {
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0', handshakeTimeout: 50 }))
    const peer = c.add(await RawPeer.open(server.url!))
    await peer.until(() => false, 2000).catch(() => undefined)
    expect(peer.closed).toBe(true)
    expect(peer.parsed()[0]).toMatchObject({ type: Msg.Error, code: 'ERR_RPC_HANDSHAKE_TIMEOUT' })
  })

  it('answers PING before the handshake and ignores unknown message types', async () => {
    const server = c.add(await serve(newSource(), { url: 'tcp://127.0.0.1:0' }))
    const peer = c.add(await RawPeer.open(server.url!))
    peer.write(Buffer.from([0, 0, 0, 4, 0x93, 0x63, 0x01, 0x02])) // [99, 1, 2]: a future message type
    peer.send({ type: Msg.Ping, n: 7 })
    await peer.until((m) => m.length >= 1)
    expect(peer.parsed()).toEqual([{ type: Msg.Pong, n: 7 }])
    peer.send({ type: Msg.Hello, version: PROTOCOL_VERSION, clientId: 'raw', token: null, schemaHash: null,
      wantSchema: false })
    await peer.until((m) => m.length >= 2)
    expect(peer.parsed()[1]).toMatchObject({ type: Msg.Welcome, sourceId: 'src', schema: null })
    expect(peer.closed).toBe(false)
  })

  it('rejects a refused or silent server: ERR_RPC_NETWORK and TimeoutError', async () => {
    const silent = c.add(await rawServer(() => undefined))
    const t0 = Date.now()
    await expect(connect(silent.url, { timeout: 100 })).rejects.toBeInstanceOf(TimeoutError)
    expect(Date.now() - t0).toBeLessThan(1000)
    const port = new URL(silent.url).port
    await silent.close()
    await expect(connect(`tcp://127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'ERR_RPC_NETWORK' })
  })

  it('validates arguments', async () => {
    await expect(serve({} as never)).rejects.toBeInstanceOf(TypeError)
    await expect(serve(newSource(), { url: 'http://x:1' })).rejects.toBeInstanceOf(TypeError)
    await expect(serve(newSource(), { pushInterval: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(connect('tcp://127.0.0.1')).rejects.toBeInstanceOf(TypeError)
    await expect(connect(42 as never)).rejects.toBeInstanceOf(TypeError)
  })
})
