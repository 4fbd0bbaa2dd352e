import { threadId } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { NodeError, NodeSupervisor } from '../../lib/node/index.js'
import { entries, gate, jsModule, pool, until, WORKER } from './support.js'

/** The thread ids of the pool's ready workers. */
function readyThreads(p: NodeSupervisor): number[] {
  return p.workers.filter((w) => w.status === 'ready').map((w) => w.threadId as number)
}

describe("NodeSupervisor, kind 'thread'", () => {
  it('runs the same worker module in worker_threads: jobs, errors, a client, scaling, shutdown', async () => {
    const p = pool({ kind: 'thread', min: 1, max: 2, idleTimeout: 100 })
    await p.start()
    expect(p.workers).toEqual([expect.objectContaining({ pid: undefined, threadId: expect.any(Number), status: 'ready' })])
    const [first] = readyThreads(p) as [number]
    expect(first).not.toBe(threadId)
    expect(await p.run({ op: 'square', n: 7 })).toBe(49)
    expect(await p.run({ op: 'thread' })).toBe(first)
    const err = await p.run({ op: 'throw', message: 'nope' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_NODE_JOB', remoteName: 'RangeError' })
    expect(await p.run({ op: 'date' }).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_NODE_JOB' })
    // two slow jobs at once: a second thread is started for the second, then retired when idle
    const g = gate()
    const two = [p.run<number>({ op: 'gate', path: g.path }), p.run<number>({ op: 'gate', path: g.path })]
    await until(() => readyThreads(p).length === 2, 5000, 'a second thread')
    g.open()
    expect(new Set(await Promise.all(two)).size).toBe(1) // both return the process's pid: threads share it
    await until(() => p.workers.length === 1, 5000, 'the idle thread retired')
    // a client leases a thread and talks to it over its own RPC connection
    const client = p.client()
    await client.start()
    expect(await client.run({ op: 'square', n: 3 })).toBe(9)
    await client.worker?.when('Idle', { timeout: 1000 })
    await client.close()
    await p.close({ timeout: 1000 })
    expect(p.machine.is('Stopped')).toBe(true)
    expect(p.workers).toEqual([])
  })

  it('a thread that exits (code 0) or throws uncaught is detected and replaced; its job fails, a retry succeeds', async () => {
    const p = pool({ kind: 'thread', min: 1, max: 1 })
    await p.start()
    const [t1] = readyThreads(p) as [number]
    const lost = await p.run({ op: 'exit', code: 0, after: 10 }).catch((e: unknown) => e)
    expect(lost).toBeInstanceOf(NodeError)
    expect(lost).toMatchObject({ code: 'ERR_NODE_WORKER_LOST', exitCode: 0, signal: null })
    expect((lost as Error).message).toContain(`(thread ${t1})`)
    expect(p.machine.err).toMatchObject({ code: 'ERR_NODE_EXIT', exitCode: 0 })
    const t2 = await p.run<number>({ op: 'thread' }) // waits for the replacement
    expect(t2).not.toBe(t1)
    expect(await p.run({ op: 'crash', message: 'boom' })).toBe(null)
    await until(() => entries(p.machine.tick('WorkerGone')) === 2, 5000, 'the crashed thread gone')
    expect(p.machine.err).toMatchObject({ code: 'ERR_NODE_EXIT', exitCode: 1 })
    expect(await p.run({ op: 'exit', code: 3 }, { retries: 1 }).catch((e: unknown) => e)).toMatchObject({ exitCode: 3 })
    expect(await p.run<number>({ op: 'thread' })).not.toBe(t2)
  })

  it('close() lets a thread finish its job, then ends it; intensity exceeded → ErrPool', async () => {
    const p = pool({ kind: 'thread', min: 1, max: 1 })
    await p.start()
    const g = gate()
    const job = p.run<number>({ op: 'gate', path: g.path })
    await until(() => p.workers[0]?.inFlight === 1, 3000, 'the job running')
    const closing = p.close({ timeout: 3000 })
    setTimeout(g.open, 50)
    expect(await job).toBe(process.pid) // drained, not killed
    await closing
    expect(p.workers).toEqual([])
    expect(p.machine.is('ErrWorker')).toBe(false) // its end was asked for: no failure

    const q = pool({ kind: 'thread', min: 1, max: 1, maxRestarts: 1, period: 60_000, backoff: { min: 0, max: 10 } })
    await q.start()
    for (let i = 0; i < 2; i++) await q.run({ op: 'exit', code: 1 }).catch(() => undefined)
    await q.machine.when('ErrPool', { timeout: 5000 })
    expect(q.machine.err).toMatchObject({ code: 'ERR_NODE_POOL' })
    await until(() => q.workers.length === 0, 3000, 'no thread left')
  })

  it('a hung thread misses its health checks: terminated (ERR_NODE_HEALTH) and replaced', async () => {
    const p = pool({ kind: 'thread', min: 1, max: 1, health: { interval: 100, timeout: 150, misses: 2 } })
    await p.start()
    const [t1] = readyThreads(p) as [number]
    const hung = p.run({ op: 'hang' })
    await p.machine.when('ErrWorker', { timeout: 5000 })
    expect(p.machine.err).toMatchObject({ code: 'ERR_NODE_HEALTH', signal: null })
    await expect(hung).rejects.toMatchObject({ code: 'ERR_NODE_WORKER_LOST' })
    await p.machine.when('PoolReady', { timeout: 5000 })
    expect(await p.run<number>({ op: 'thread' })).not.toBe(t1)
  })

  it('a bad entry file: bounded spawn retries with the module error, then ErrPool', async () => {
    const p = pool({ kind: 'thread', entry: jsModule('missing-import.cjs', "require('./no-such-module.cjs')\n"),
      spawnRetries: 3, backoff: { min: 10, max: 20 } })
    const err = await p.start().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_NODE_POOL' })
    expect(p.machine.is('ErrPool')).toBe(true)
    expect(entries(p.machine.tick('ErrSpawn'))).toBe(3)
    expect(entries(p.machine.tick('ForkWorker'))).toBeLessThanOrEqual(4)
    expect((err as NodeError).message).toContain('no-such-module')
  })

  it('a TypeScript entry runs through tsx in the thread; options are checked', async () => {
    const p = pool({ kind: 'thread', entry: WORKER, spawnTimeout: 20_000 })
    await p.start()
    expect(await p.run({ op: 'square', n: 12 })).toBe(144)
    expect(() => new NodeSupervisor({ entry: WORKER, kind: 'fiber' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => new NodeSupervisor({ entry: WORKER, kind: 'thread', cwd: '/' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
  }, 30_000)
})
