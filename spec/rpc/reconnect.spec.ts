import { afterEach, describe, expect, it } from 'vitest'
import { Result } from '../../lib/index.js'
import { backoffDelay, connect, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const fast = { retries: 100, minDelay: 10, maxDelay: 50 }

describe('rpc reconnect', () => {
  it('backoffDelay doubles up to maxDelay, half of it jitter', () => {
    const b = { retries: 10, minDelay: 50, maxDelay: 1000 }
    expect(backoffDelay(0, b, () => 0)).toBe(25)
    expect(backoffDelay(0, b, () => 1)).toBe(50)
    expect(backoffDelay(3, b, () => 0.5)).toBe(300)
    expect(backoffDelay(10, b, () => 1)).toBe(1000)
  })

  for (const scheme of ['tcp', 'ws'] as const) {
    it(`${scheme}: after a server restart the client reconnects and the mirror equals the new source`, async () => {
      const src1 = newSource()
      src1.add(['Start', 'Busy'])
      const url0 = scheme === 'tcp' ? 'tcp://127.0.0.1:0' : 'ws://127.0.0.1:0/rpc'
      const server1 = await serve(src1, { url: url0 })
      const url = server1.url!
      const remote = c.add(await connect<typeof SourceSchema>(url, { reconnect: fast }))
      const idle = remote.when('Idle') // survives the restart
      await server1.close()
      await remote.client.when('Disconnected')
      expect(remote.client.is('Reconnecting')).toBe(true)
      await expect(remote.add('Job')).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })

      const src2 = newSource()
      src2.add(['Start', 'Ready', 'Job'])
      const server2 = c.add(await serve(src2, { url }))
      await remote.client.when('Ready', { timeout: 3000 })
      expect(remote.reconnects).toBe(1)
      expect(remote.client.is('Reconnecting')).toBe(false)
      expect(remote.time()).toEqual(src2.time())
      expect(remote.is('Busy')).toBe(false)
      src2.add('Idle')
      await idle
      expect(await remote.add('Job')).toBe(Result.Executed)
      expect(remote.time()).toEqual(src2.time())
      expect(server2.clients).toBe(1)
    })
  }

  it('gives up after `retries` attempts: Disconnected with ErrNetwork; close() still settles', async () => {
    const src = newSource()
    const server = await serve(src, { url: 'tcp://127.0.0.1:0' })
    const lines: string[] = []
    const remote = c.add(await connect(server.url!, { reconnect: { retries: 3, minDelay: 5, maxDelay: 10 }, logLevel: 1,
      logger: (_, l) => void lines.push(l) }))
    await server.close()
    const end = Date.now() + 3000
    while (!lines.some((l) => l.includes('giving up')) && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    expect(lines.filter((l) => l.includes('reconnect attempt')).length).toBe(3)
    expect(remote.client.is(['Disconnected', 'ErrNetwork'])).toBe(true)
    expect(remote.connected).toBe(false)
  })

  it('close() while reconnecting stops the attempts', async () => {
    const src = newSource()
    const server = await serve(src, { url: 'tcp://127.0.0.1:0' })
    const lines: string[] = []
    const remote = await connect(server.url!, { reconnect: { retries: 1000, minDelay: 5, maxDelay: 5 }, logLevel: 1,
      logger: (_, l) => void lines.push(l) })
    await server.close()
    await new Promise((r) => setTimeout(r, 40))
    await remote.close()
    const n = lines.length
    await new Promise((r) => setTimeout(r, 40))
    expect(lines.length).toBe(n)
    expect(remote.mirror.disposed).toBe(true)
  })

  it('validates the reconnect options', async () => {
    await expect(connect('tcp://127.0.0.1:1', { reconnect: { retries: -1 } })).rejects.toBeInstanceOf(RangeError)
  })
})
