import { describe, expect, it } from 'vitest'
import { NodeError, WorkerSchema } from '../../lib/node/index.js'
import { alive, entries, gate, pool, until } from './support.js'

describe('NodeClient', () => {
  it('each client gets a worker of its own, mirrors its machine and delegates jobs to it; close() gives it back', async () => {
    const p = pool({ min: 1, max: 2 })
    await p.start()
    const a = p.client({ id: 'client-a' })
    const b = p.client()
    await Promise.all([a.start(), b.start()]) // the second worker is forked for b
    expect(a.machine.is(['Start', 'WorkerReady'])).toBe(true)
    const [wa, wb] = [a.workerInfo, b.workerInfo]
    expect(wa?.id).not.toBe(wb?.id)
    expect(p.workers.map((w) => w.leasedBy).sort()).toEqual(['client-a', b.id].sort())
    expect(await a.run({ op: 'pid' })).toBe(wa?.pid)
    expect(await b.run({ op: 'square', n: 9 })).toBe(81)
    // the mirror: the worker's own states, pushed over the client's connection
    const mirror = a.worker
    expect(mirror?.names).toEqual(WorkerSchema.names)
    await mirror?.when(['Ready', 'Idle'], { timeout: 2000 })
    const ticks = mirror?.tick('WorkReady') ?? 0
    await a.run({ op: 'square', n: 2 })
    await mirror?.whenTime(['WorkReady'], [ticks + 2], { timeout: 2000 })
    await expect(a.run({ op: 'throw', message: 'nope' })).rejects.toMatchObject({ code: 'ERR_NODE_JOB', remoteName: 'RangeError' })
    expect(a.machine.is('WorkerReady')).toBe(true) // a failed job is not a failed worker
    // pool.run does not use a leased worker: both are taken, so it waits for one
    const g = gate()
    const held = a.run({ op: 'gate', path: g.path })
    await b.close()
    expect(b.machine.is('Closed')).toBe(true)
    expect(p.workers.find((w) => w.id === wb?.id)?.leasedBy).toBe(null)
    expect(await p.run({ op: 'pid' })).toBe(wb?.pid)
    g.open()
    expect(await held).toBe(wa?.pid)
    await expect(b.run({ op: 'pid' })).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' })
  })

  it("the client's worker dies: its job fails with a typed error, and the next run gets another worker", async () => {
    const p = pool({ min: 1, max: 2 })
    await p.start()
    const c = p.client()
    await c.start()
    const first = c.workerInfo?.pid as number
    const g = gate()
    const job = c.run({ op: 'gate', path: g.path })
    await until(() => c.worker?.is('Working') === true, 3000, 'the job running')
    process.kill(first, 'SIGKILL')
    const err = await job.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_WORKER_LOST', pid: first, signal: 'SIGKILL' })
    expect(c.machine.is('ErrWorker')).toBe(true)
    expect(c.machine.is('WorkerReady')).toBe(false)
    expect(c.worker).toBe(null)
    const pid = await c.run<number>({ op: 'pid' }) // retried: asks for another worker
    expect(pid).not.toBe(first)
    expect(c.workerInfo?.pid).toBe(pid)
    expect(alive(first)).toBe(false)
    expect(entries(p.machine.tick('ErrWorker'))).toBe(1)
    await c.close()
  })

  it('a client closed while waiting for a worker: its start() and run() reject (ERR_NODE_CLOSED), not hang', async () => {
    const p = pool({ min: 1, max: 1 })
    await p.start()
    const a = p.client()
    await a.start() // holds the only worker
    const b = p.client()
    const started = b.start().catch((e: unknown) => e)
    const ran = b.run({ op: 'pid' }).catch((e: unknown) => e)
    await until(() => b.machine.is('WorkerRequested'), 3000, 'b waiting')
    await b.close()
    const timeout = new Promise((resolve) => setTimeout(() => resolve('pending'), 1000))
    expect(await Promise.race([started, timeout])).toMatchObject({ code: 'ERR_NODE_CLOSED' })
    expect(await Promise.race([ran, timeout])).toMatchObject({ code: 'ERR_NODE_CLOSED' })
    expect(b.machine.is('ErrSupervisor')).toBe(false)
    await a.close()
  })

  it('a closed pool refuses clients (ErrSupervisor, ERR_NODE_CLOSED)', async () => {
    const p = pool({ min: 0, max: 1 })
    await p.start()
    await p.close()
    const c = p.client()
    await expect(c.start()).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' })
    expect(c.machine.is('ErrSupervisor')).toBe(true)
    expect(() => p.client({ id: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
  })
})
