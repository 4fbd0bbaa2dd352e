import { describe, expect, it } from 'vitest'
import { NodeError } from '../../lib/node/index.js'
import { alive, entries, gate, pool, readyPids, until } from './support.js'

describe('NodeSupervisor: failures', () => {
  it('kill -9 of a worker: its job fails over to another worker, ErrWorker records the signal, a replacement comes', async () => {
    const p = pool({ min: 2, max: 2 })
    await p.start()
    const [a, b] = readyPids(p) as [number, number]
    const g = gate()
    const first = p.run<number>({ op: 'gate', path: g.path }, { retries: 1 })
    const second = p.run<number>({ op: 'gate', path: g.path })
    await until(() => p.workers.every((w) => w.inFlight === 1), 3000, 'both busy')
    const victim = p.workers.find((w) => w.pid === a)
    expect(victim?.inFlight).toBe(1)
    process.kill(a, 'SIGKILL')
    await p.machine.when('ErrWorker', { timeout: 5000 })
    const err = p.machine.err as NodeError
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_EXIT', pid: a, signal: 'SIGKILL', exitCode: null })
    expect(p.machine.is('PoolReady')).toBe(false) // one of two left: below min
    await p.machine.when('PoolReady', { timeout: 10_000 })
    const now = readyPids(p)
    expect(now).toContain(b)
    expect(now).not.toContain(a)
    expect(alive(a)).toBe(false)
    g.open()
    // whichever job was on the killed worker ran again on a live one (retries: 1), or failed (no retries)
    const results = await Promise.allSettled([first, second])
    const lost = results.filter((r) => r.status === 'rejected')
    expect(lost.length).toBeLessThanOrEqual(1)
    for (const r of lost) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_NODE_WORKER_LOST', signal: 'SIGKILL' })
    for (const r of results) if (r.status === 'fulfilled') expect(r.value).not.toBe(a)
    expect(entries(p.machine.tick('WorkerGone'))).toBe(1)
  })

  it('exit(0) in the middle of a job is a crash: the job fails with ERR_NODE_WORKER_LOST, the worker is replaced, a retry succeeds', async () => {
    const p = pool({ min: 1, max: 1 })
    await p.start()
    const [pid] = readyPids(p) as [number]
    const err = await p.run({ op: 'exit', code: 0, after: 20 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_WORKER_LOST', pid, exitCode: 0, signal: null })
    expect(p.machine.is('ErrWorker')).toBe(true)
    expect(p.machine.err).toMatchObject({ code: 'ERR_NODE_EXIT', exitCode: 0 })
    const again = await p.run<number>({ op: 'pid' }) // waits for the replacement
    expect(again).not.toBe(pid)
    expect(alive(pid)).toBe(false)
    // with retries the caller never sees the loss
    expect(await p.run({ op: 'square', n: 5 })).toBe(25)
  })

  it('a hung worker misses its health checks: killed (ERR_NODE_HEALTH) and replaced', async () => {
    const p = pool({ min: 1, max: 1, health: { interval: 100, timeout: 150, misses: 2 } })
    await p.start()
    const [pid] = readyPids(p) as [number]
    const hung = p.run({ op: 'hang' })
    await p.machine.when('ErrWorker', { timeout: 5000 })
    expect(p.machine.err).toMatchObject({ code: 'ERR_NODE_HEALTH', pid, signal: 'SIGKILL' })
    expect(entries(p.machine.tick('KillWorker'))).toBe(1)
    await expect(hung).rejects.toMatchObject({ code: 'ERR_NODE_WORKER_LOST', signal: 'SIGKILL' })
    await p.machine.when('PoolReady', { timeout: 10_000 })
    expect(await p.run({ op: 'square', n: 3 })).toBe(9)
    expect(alive(pid)).toBe(false)
  })

  it('more failures than maxRestarts within period: ErrPool, every worker gone, runs rejected with ERR_NODE_POOL', async () => {
    const p = pool({ min: 2, max: 2, maxRestarts: 1, period: 60_000 })
    await p.start()
    const pids = readyPids(p)
    await expect(p.run({ op: 'exit', code: 1 })).rejects.toMatchObject({ code: 'ERR_NODE_WORKER_LOST', exitCode: 1 })
    expect(p.machine.is('ErrPool')).toBe(false) // one failure is within the intensity
    await expect(p.run({ op: 'exit', code: 2 })).rejects.toMatchObject({ code: 'ERR_NODE_WORKER_LOST', exitCode: 2 })
    await p.machine.when('ErrPool', { timeout: 5000 })
    expect(p.machine.err).toMatchObject({ code: 'ERR_NODE_POOL' })
    expect(p.machine.is(['PoolReady'])).toBe(false)
    await expect(p.run({ op: 'pid' })).rejects.toMatchObject({ code: 'ERR_NODE_POOL' })
    await until(() => p.workers.length === 0, 5000, 'workers killed')
    expect(pids.filter(alive)).toEqual([])
  })
})
