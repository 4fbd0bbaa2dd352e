import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, Machine, Result, schema } from '../../lib/index.js'
import { connect, Msg, MuxSchema, RpcError, serveMux } from '../../lib/rpc/index.js'
import { Cleanup, newSource, RawPeer, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const OtherSchema = schema({ Open: {}, Closed: { remove: ['Open'] } })

async function refused(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(RpcError)
  return err as RpcError
}

describe('rpc mux: many machines on one address', () => {
  for (const url of ['tcp://127.0.0.1:0', 'ws://127.0.0.1:0/mux']) {
    it(`${url.split(':')[0]}: clients pick a machine by id; each server keeps its own options`, async () => {
      const mux = c.add(await serveMux({ url }))
      const a = newSource('orders')
      const b = new Machine(OtherSchema, { id: 'billing' })
      await mux.serve(a, { pushInterval: 0 })
      await mux.serve(b, { token: 's3cret', mutable: { deny: ['Closed'] } })
      expect(mux.ids).toEqual(['orders', 'billing'])
      expect(mux.url).toMatch(/:[1-9]\d*/)
      const ra = c.add(await connect<typeof SourceSchema>(mux.url, { machine: 'orders' }))
      const rb = c.add(await connect<typeof OtherSchema>(mux.url, { machine: 'billing', token: 's3cret', schema: OtherSchema }))
      expect(ra.id).toBe('orders')
      expect(rb.id).toBe('billing')
      expect(ra.names).toEqual(a.names)
      expect(await ra.add('Start')).toBe(Result.Executed)
      expect(await rb.add('Open')).toBe(Result.Executed)
      expect(a.is('Start') && b.is('Open')).toBe(true)
      expect((await refused(rb.add('Closed'))).code).toBe('ERR_RPC_FORBIDDEN')
      b.add('Closed')
      await rb.whenNot('Open', { timeout: 1000 })
      expect((await refused(connect(mux.url, { machine: 'billing' }))).code).toBe('ERR_RPC_AUTH')
      expect((await refused(connect(mux.url, { machine: 'nope' }))).code).toBe('ERR_RPC_NO_MACHINE')
      expect((await refused(connect(mux.url))).code).toBe('ERR_RPC_NO_MACHINE') // two served: a name is needed
      await mux.remove('billing')
      await rb.client.when('Disconnected', { timeout: 1000 })
      const only = c.add(await connect(mux.url)) // one left: HELLO without a machine gets it
      expect(only.id).toBe('orders')
      expect(ra.connected).toBe(true)
    })
  }

  it('refuses a second machine with the same id; a connection without HELLO is closed on close()', async () => {
    const mux = await serveMux({ url: 'tcp://127.0.0.1:0', handshakeTimeout: 10_000 })
    await mux.serve(newSource('x'))
    await expect(mux.serve(newSource('x'))).rejects.toBeInstanceOf(InvalidArgumentError)
    const peer = c.add(await RawPeer.open(mux.url))
    peer.send({ type: Msg.Ping, n: 1 })
    await peer.until((ms) => ms.length > 0)
    const t0 = Date.now()
    await mux.close()
    expect(Date.now() - t0).toBeLessThan(2000)
    await peer.until(() => false, 1000).catch(() => undefined)
    expect(peer.closed).toBe(true)
    expect(mux.machine.is('Closed')).toBe(true)
  })

  it('mux.machine follows MuxSchema: machines added and removed, clients routed, refusals as ErrRpc', async () => {
    const mux = c.add(await serveMux({ url: 'tcp://127.0.0.1:0' }))
    expect(mux.machine.schema).toBe(MuxSchema)
    expect(mux.machine.is(['Start', 'Listening', 'Ready'])).toBe(true)
    const added: unknown[] = []
    const routed: unknown[] = []
    mux.machine.bind({
      MachineAddedState: (e: { args: Record<string, unknown> }) => void added.push(e.args['machine']),
      ClientRoutedState: (e: { args: Record<string, unknown> }) => void routed.push([e.args['clientId'], e.args['machine']]),
    })
    await mux.serve(newSource('a'))
    await mux.serve(newSource('b'))
    expect(added).toEqual(['a', 'b'])
    c.add(await connect(mux.url, { machine: 'b', id: 'rc-test' }))
    expect(routed).toEqual([['rc-test', 'b']])
    expect(mux.machine.is('Exception')).toBe(false)
    await refused(connect(mux.url, { machine: 'zzz' }))
    await mux.machine.when('ErrRpc', { timeout: 1000 })
    expect(mux.machine.err).toMatchObject({ code: 'ERR_RPC_NO_MACHINE' })
    await mux.remove('a')
    expect(mux.machine.tick('MachineRemoved')).toBe(1)
    await mux.remove('a') // not served: nothing happens
    expect(mux.machine.tick('MachineRemoved')).toBe(1)
  })

  it('validates its options and serve() arguments', async () => {
    await expect(serveMux({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(serveMux({ url: 'http://x:1' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(serveMux({ url: 'tcp://127.0.0.1:0', handshakeTimeout: 0 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
    await expect(serveMux({ url: 'tcp://127.0.0.1:0', maxFrame: 1.5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
    await expect(serveMux({ url: 'tcp://127.0.0.1:0', id: 5 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    const mux = c.add(await serveMux({ url: 'tcp://127.0.0.1:0' }))
    await expect(mux.serve({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })
})
