import { afterEach, describe, expect, it } from 'vitest'
import { Machine, schema, TimeoutError } from '../../lib/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { connect, serve, type RemoteMachine } from '../../lib/rpc/index.js'
import { Cleanup } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const BusySchema = schema({ Start: {}, Ready: {}, Step: { multi: true }, Chain: { multi: true } })
type Names = (typeof BusySchema.names)[number]

/**
 * A source that is busy across macrotasks: `Chain` queues `steps` mutations at once and the drain budget of 1 runs
 * one per macrotask, so a remote mutation arriving meanwhile is queued behind them.
 */
async function busySource(steps = 300): Promise<{ src: Machine<Names>; remote: RemoteMachine<Names>; server: Awaited<ReturnType<typeof serve>> }> {
  // a logger: the core reports the long run as a probable cycle
  const src = new Machine(BusySchema, { id: 'busy', drainBudget: 1, logLevel: 2, logger: () => undefined })
  src.bind({ ChainState: () => {
    for (let i = 0; i < steps; i++) src.add('Step', { i })
  } })
  const server = c.add(await serve(src, { url: 'tcp://127.0.0.1:0', pushInterval: 0 }))
  const remote = c.add(await connect<typeof BusySchema>(server.url!, { keepAlive: 0 }))
  return { src, remote, server }
}

describe('rpc CANCEL: a call the client gave up on', () => {
  it('aborted while the source holds it queued: dropped from the source queue, its queue tick still consumed', async () => {
    const { src, remote, server } = await busySource()
    src.add('Chain')
    expect(src.queueLen).toBeGreaterThan(100) // the run goes on in macrotasks
    const ac = new AbortController()
    const call = remote.add('Start', undefined, { signal: ac.signal })
    ac.abort(new Error('gave up')) // MUTATE and CANCEL leave in the same write
    await expect(call).rejects.toThrow('gave up')
    const kept = remote.add('Ready') // the same situation, not canceled: it runs
    const tick = await kept
    expect(tick).toBeGreaterThanOrEqual(2) // Queued, with its queue tick
    expect(src.queueLen).toBeGreaterThan(0)
    const own = src.add('Start') // the same argless add, queued anew: not a duplicate of the dropped entry
    expect(own).toBeGreaterThan(tick)
    await src.whenQueue(tick, { timeout: 5000 })
    expect(src.is('Ready')).toBe(true)
    expect(src.tick('Start')).toBe(0) // the dropped one never ran; Ready ran at its tick: later ticks did not move
    await src.whenQueueEnds({ timeout: 5000 })
    expect(src.tick('Start')).toBe(1) // only the source's own add
    expect(server.queued).toBe(0)
    await remote.ping()
    expect(remote.time()).toEqual(src.time())
  })

  it('timed out while queued: dropped as well', async () => {
    const { src, remote, server } = await busySource()
    src.add('Chain')
    const call = remote.add('Start', undefined, { timeout: 5 })
    const t0 = Date.now()
    while (Date.now() - t0 < 20); // the deadline passes before the loop can read a reply
    await expect(call).rejects.toBeInstanceOf(TimeoutError)
    await src.whenQueueEnds({ timeout: 5000 })
    expect(src.tick('Start')).toBe(0)
    expect(server.queued).toBe(0)
  })

  it('a mutation that already ran, or a queued duplicate owned by the source, is not undone', async () => {
    const { src, remote } = await busySource()
    const ac = new AbortController()
    await remote.add('Ready', undefined, { signal: ac.signal }) // executed at once: the source was idle
    ac.abort()
    await remote.ping()
    expect(src.is('Ready')).toBe(true)
    // the source queues an argless add of Start itself; the client's identical add is that same entry (a duplicate)
    src.bind({ ChainState: () => void src.add('Start') })
    src.add('Chain')
    const ac2 = new AbortController()
    const dup = remote.add('Start', undefined, { signal: ac2.signal }).catch((e: unknown) => e)
    ac2.abort(new Error('no'))
    await dup
    await src.whenQueueEnds({ timeout: 5000 })
    expect(src.is('Start')).toBe(true) // the source's own mutation was not dropped
  })
})

describe('rpc waiters released on the server and on the mirror (no leaks)', () => {
  it('whenArgs watches: released by a match, a timeout, an abort, and when the client leaves', async () => {
    const { src, remote, server } = await busySource(0)
    const matched = remote.whenArgs('Step', { i: 1 })
    const timedOut = remote.whenArgs('Step', { i: 2 }, { timeout: 20 }).catch((e: unknown) => e)
    const ac = new AbortController()
    const aborted = remote.whenArgs('Step', { i: 3 }, { signal: ac.signal }).catch((e: unknown) => e)
    await remote.ping()
    expect(server.watches).toBe(3)
    ac.abort()
    expect(await timedOut).toBeInstanceOf(TimeoutError)
    await aborted
    await remote.ping()
    expect(server.watches).toBe(1)
    src.add('Step', { i: 1 })
    await matched
    expect(server.watches).toBe(0)
    const left = remote.whenArgs('Step', { i: 4 }).catch((e: unknown) => e)
    await remote.ping()
    expect(server.watches).toBe(1)
    await remote.close()
    await left
    await server.machine.when('ClientDisconnected', { timeout: 1000 })
    expect(server.watches).toBe(0)
  })

  it('local waiters of the mirror (when, whenTicks) release their registration on timeout and abort', async () => {
    const { remote } = await busySource(0)
    await expect(remote.when('Start', { timeout: 10 })).rejects.toBeInstanceOf(TimeoutError)
    const ac = new AbortController()
    const w = remote.whenTicks('Step', 3, { signal: ac.signal }).catch((e: unknown) => e)
    expect(pendingWaiters(remote.mirror)).toBe(1)
    ac.abort()
    await w
    expect(pendingWaiters(remote.mirror)).toBe(0)
  })
})
