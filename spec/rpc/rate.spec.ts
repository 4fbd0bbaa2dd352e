import { afterEach, describe, expect, it } from 'vitest'
import { OutOfRangeError, Result } from '../../lib/index.js'
import { connect, RpcError, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

describe('rpc per-client rate limit', () => {
  it('requests over the limit are refused with ERR_RPC_RATE_LIMIT, never reach the source; the bucket refills', async () => {
    const src = newSource()
    let jobs = 0
    src.transitions$.subscribe((t) => void (jobs += t.calledStates.includes('Job') ? 1 : 0))
    const lines: string[] = []
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', rateLimit: { perSecond: 4, burst: 5 },
      logLevel: 1, logger: (_, l) => void lines.push(l) }))
    const remote = c.add(await connect<typeof SourceSchema>(server.url!))
    const other = c.add(await connect<typeof SourceSchema>(server.url!))
    const results = await Promise.all(Array.from({ length: 20 }, () => remote.add('Job').then((r) => r, (e: unknown) => e)))
    const ok = results.filter((r) => r === Result.Executed)
    const refused = results.filter((r) => r instanceof RpcError)
    expect(ok.length).toBeGreaterThanOrEqual(5)
    expect(ok.length).toBeLessThan(8) // 5 at once, plus what refilled meanwhile (4/s)
    expect(ok.length + refused.length).toBe(20)
    expect(refused.every((e) => (e as RpcError).code === 'ERR_RPC_RATE_LIMIT')).toBe(true)
    expect(jobs).toBe(ok.length)
    expect(lines.filter((l) => l.includes('over the rate limit'))).toHaveLength(1)
    // another client has its own bucket
    expect(await other.add('Start')).toBe(Result.Executed)
    await new Promise((r) => setTimeout(r, 300)) // ≥ 1 token back
    expect(await remote.add('Job')).toBe(Result.Executed)
    expect(remote.client.is('Ready')).toBe(true)
    expect(remote.time()).toEqual(src.time())
  })

  it('validates the option', async () => {
    await expect(serve(newSource(), { rateLimit: { perSecond: 0 } })).rejects.toBeInstanceOf(OutOfRangeError)
    await expect(serve(newSource(), { rateLimit: { perSecond: 5, burst: 0.5 } })).rejects.toBeInstanceOf(OutOfRangeError)
    await expect(serve(newSource(), { rateLimit: 5 as never })).rejects.toThrow(/rateLimit/)
  })
})
