import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../lib/index.js'
import { connect } from '../../lib/rpc/index.js'
import { Cleanup, newSource, pair, TRANSPORTS, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

describe.each(TRANSPORTS)('rpc payloads over %s', (transport) => {
  it('server.send() reaches every client, or one by id, in order with the diffs; payloads$ completes on close', async () => {
    const src = newSource()
    const { server, remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval: 0 }, { id: 'rc-a' })
    const got: unknown[] = []
    let completed = false
    remote.payloads$.subscribe({ next: (p) => void got.push(p), complete: () => void (completed = true) })
    src.bind({ ReadyState: () => void server.send('ready-report', { at: src.tick('Ready'), rows: [1, 'x', null] }) })
    src.add(['Start', 'Ready'])
    expect(server.send('direct', new Uint8Array([1, 2]), { clientId: 'rc-a' })).toBe(1)
    expect(server.send('nobody', 1, { clientId: 'rc-zzz' })).toBe(0)
    await remote.ping()
    expect(got[0]).toEqual({ name: 'ready-report', data: { at: 1, rows: [1, 'x', null] } })
    const direct = got[1] as { name: string; data: Uint8Array }
    expect(direct.name).toBe('direct')
    expect(direct.data).toBeInstanceOf(Uint8Array) // a Buffer on Node sockets
    expect([...direct.data]).toEqual([1, 2])
    expect(got).toHaveLength(2)
    expect(remote.is('Ready')).toBe(true)
    expect(() => server.send('bad', new Date())).toThrow(InvalidArgumentError)
    expect(() => server.send(5 as never, 1)).toThrow(InvalidArgumentError)
    await remote.close()
    expect(completed).toBe(true)
  })
})

describe('rpc payloads', () => {
  it('go to every connected client', async () => {
    const src = newSource()
    const { server, remote } = await pair<typeof SourceSchema>(c, src, 'tcp')
    const second = c.add(await connect<typeof SourceSchema>(server.url!))
    const a: unknown[] = []
    const b: unknown[] = []
    remote.payloads$.subscribe((p) => void a.push(p.data))
    second.payloads$.subscribe((p) => void b.push(p.data))
    expect(server.send('n', 7)).toBe(2)
    await remote.ping()
    await second.ping()
    expect([a, b]).toEqual([[7], [7]])
  })
})
