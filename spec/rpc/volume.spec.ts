import { afterEach, describe, expect, it } from 'vitest'
import { Result } from '../../lib/index.js'
import { connect, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

describe('rpc volume', () => {
  it('100 000 mutations from 4 clients (pipelined): zero loss, final ticks equal on the source and every mirror', async () => {
    const src = newSource()
    let jobs = 0
    src.bind({ JobState: () => void jobs++ })
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    const remotes = await Promise.all([0, 1, 2, 3].map(() => connect<typeof SourceSchema>(server.url!, { timeout: 30_000 })))
    for (const r of remotes) c.add(r)
    const perClient = 25_000
    const window = 500
    const t0 = performance.now()
    await Promise.all(remotes.map(async (r) => {
      for (let sent = 0; sent < perClient; sent += window) {
        const results = await Promise.all(Array.from({ length: window }, () => r.add('Job')))
        expect(results.every((x) => x === Result.Executed)).toBe(true)
      }
    }))
    const ms = performance.now() - t0
    const total = 4 * perClient
    expect(jobs).toBe(total)
    expect(src.tick('Job')).toBe(2 * total - 1) // 1 on activation, +2 per re-entry
    for (const r of remotes) {
      await r.ping()
      expect(r.time()).toEqual(src.time())
      expect(r.queueTick).toBe(src.queueTick)
      expect(r.resyncs).toBe(0)
    }
    console.info(`rpc: ${total} mutations from 4 TCP clients in ${ms.toFixed(0)} ms (${(total / ms * 1000).toFixed(0)}/s)`)
  }, 120_000)
})
