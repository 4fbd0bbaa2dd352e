import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { isQueued } from '../../lib/index.js'
import { connect, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, pair, SourceSchema, type SourceNames } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const STATES = SourceSchema.names.filter((n) => n !== 'Exception') as SourceNames[]
type Op = { side: 'source' | 'mirror'; kind: 'add' | 'remove' | 'set' | 'toggle'; states: SourceNames[] }
const op: fc.Arbitrary<Op> = fc.record({
  side: fc.constantFrom('source', 'mirror'),
  kind: fc.constantFrom('add', 'remove', 'set', 'toggle'),
  states: fc.subarray(STATES, { minLength: 1, maxLength: 3 }),
})

/** Polls until `f()` holds (bounded). */
async function eventually(f: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error('eventually: timed out')
    await new Promise((r) => setTimeout(r, 1))
  }
}

describe('rpc model: random mutations from both sides', () => {
  for (const [transport, pushInterval] of [['tcp', 0], ['tcp', 3], ['ws', 0], ['port', 3]] as const) {
    it(`the mirror equals the source after every settle (${transport}, pushInterval ${pushInterval})`, async () => {
      const src = newSource()
      const { remote } = await pair<typeof SourceSchema>(c, src, transport, { pushInterval })
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        for (const o of ops) {
          if (o.side === 'source') {
            const r = src[o.kind](o.states)
            expect(isQueued(r)).toBe(false)
          } else {
            const before = src.time()
            const r = await remote[o.kind](o.states)
            expect(isQueued(r)).toBe(false)
            // the reply carried the diff: the mirror is up to date when the call resolves
            expect(remote.time()).toEqual(src.time())
            if (r === 1) expect(src.time()).toEqual(before)
          }
          if (pushInterval === 0) await remote.ping()
          else await eventually(() => remote.time().join() === src.time().join() && remote.queueTick === src.queueTick)
          expect(remote.time()).toEqual(src.time())
          expect(remote.queueTick).toBe(src.queueTick)
          expect(remote.mirror.time()).toEqual(src.time())
        }
      }), { numRuns: 30 })
      expect(remote.resyncs).toBe(0)
    })
  }

  it('4 clients × 500 mutations each, plus source mutations: zero loss, every mirror equals the source', async () => {
    const src = newSource()
    let jobs = 0
    src.bind({ JobState: () => void jobs++ })
    const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
    const remotes = await Promise.all([0, 1, 2, 3].map(() => connect<typeof SourceSchema>(server.url!)))
    for (const r of remotes) c.add(r)
    const N = 500
    const timer = setInterval(() => src.toggle('Busy'), 1)
    c.defer(() => clearInterval(timer))
    const rtts: number[] = []
    await Promise.all(remotes.map(async (r) => {
      for (let i = 0; i < N; i++) {
        const t0 = performance.now()
        expect(await r.add('Job')).toBe(0)
        rtts.push(performance.now() - t0)
      }
    }))
    clearInterval(timer)
    expect(jobs).toBe(4 * N)
    expect(src.tick('Job')).toBe(2 * 4 * N - 1) // 1 on activation, +2 per re-entry
    for (const r of remotes) {
      await r.ping()
      await eventually(() => r.time().join() === src.time().join())
      expect(r.tick('Job')).toBe(8 * N - 1)
    }
    rtts.sort((a, b) => a - b)
    console.info(`rpc TCP add() round trip with 4 concurrent clients: p50 ${rtts[rtts.length >> 1]!.toFixed(3)} ms`)
  })
})
