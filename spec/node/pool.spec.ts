import { describe, expect, it } from 'vitest'
import { NodeError } from '../../lib/node/index.js'
import { alive, entries, gate, pool, readyPids, until, WORKER } from './support.js'

describe('NodeSupervisor: the pool', () => {
  it('reaches min ready workers (real processes; a .ts entry through tsx), runs jobs on them and closes leaving no process', async () => {
    const p = pool({ entry: WORKER, min: 2, max: 2 })
    const gone: unknown[] = []
    p.machine.bind({ WorkerGoneState: (e) => void gone.push(e.args) })
    await p.start()
    expect(p.machine.is(['Start', 'PoolReady', 'WorkersAvailable'])).toBe(true)
    const pids = readyPids(p)
    expect(pids).toHaveLength(2)
    expect(pids.every(alive)).toBe(true)
    expect(pids).not.toContain(process.pid)
    expect(await p.run({ op: 'square', n: 12 })).toBe(144)
    const squares = await Promise.all([1, 2, 3, 4, 5].map((n) => p.run({ op: 'square', n })))
    expect(squares).toEqual([1, 4, 9, 16, 25])
    const ran = new Set(await Promise.all([0, 1, 2, 3].map(() => p.run<number>({ op: 'sleep', ms: 50 }))))
    expect([...ran].sort()).toEqual([...pids].sort()) // both workers took jobs
    await p.close()
    expect(p.machine.is('Stopped')).toBe(true)
    expect(p.workers).toEqual([])
    expect(pids.filter(alive)).toEqual([])
    expect(entries(p.machine.tick('ErrWorker'))).toBe(0) // retiring is not a failure
    // drained and exited on their own (not killed)
    expect(gone).toEqual(pids.map(() => expect.objectContaining({ exitCode: 0, signal: null, expected: true })))
  }, 60_000) // each worker compiles the library through tsx: slow on a loaded host

  it('scales up under load (up to max) and back down to min when idle', async () => {
    const p = pool({ min: 1, max: 3, idleTimeout: 200 })
    await p.start()
    expect(p.workers).toHaveLength(1)
    const g = gate()
    const jobs = [0, 1, 2, 3].map(() => p.run<number>({ op: 'gate', path: g.path }))
    await until(() => readyPids(p).length === 3, 10_000, '3 ready workers')
    expect(p.workers.length).toBe(3) // max, though 4 jobs wait
    const all = readyPids(p)
    g.open()
    const pids = new Set(await Promise.all(jobs))
    expect([...pids].sort()).toEqual([...all].sort()) // the queued jobs went to the new workers
    await until(() => p.workers.length === 1, 5000, 'scale down to min')
    expect(all.filter(alive)).toHaveLength(1)
    expect(p.machine.is('PoolReady')).toBe(true)
    expect(entries(p.machine.tick('KillWorker'))).toBe(2) // two retired
    expect(entries(p.machine.tick('ErrWorker'))).toBe(0)
  })

  it('keeps warm spares beyond the busy workers', async () => {
    const p = pool({ min: 1, max: 3, warm: 1, idleTimeout: 100 })
    await p.start()
    expect(p.workers).toHaveLength(1) // idle: the one worker is the spare
    const g = gate()
    const job = p.run({ op: 'gate', path: g.path })
    await until(() => readyPids(p).length === 2, 10_000, 'a spare beside the busy worker')
    g.open()
    await job
    await until(() => p.workers.length === 1, 5000, 'back to one')
  })

  it('tasksPerWorker: that many jobs in flight per worker, the rest queued in the pool', async () => {
    const p = pool({ min: 1, max: 1, tasksPerWorker: 2 })
    await p.start()
    const g = gate()
    const jobs = [0, 1, 2].map(() => p.run<number>({ op: 'gate', path: g.path }))
    await until(() => p.workers[0]?.inFlight === 2, 3000, 'two in flight')
    expect(p.queued).toBe(1)
    expect(p.machine.is('WorkersAvailable')).toBe(false)
    g.open()
    expect(new Set(await Promise.all(jobs)).size).toBe(1)
    expect(p.queued).toBe(0)
  })

  it('a job that throws fails alone with ERR_NODE_JOB; the worker goes on', async () => {
    const p = pool({ min: 1, max: 1 })
    await p.start()
    const [pid] = readyPids(p)
    const err = await p.run({ op: 'throw', message: 'bad n' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NodeError)
    expect((err as NodeError).code).toBe('ERR_NODE_JOB')
    expect((err as NodeError).remoteName).toBe('RangeError')
    expect((err as NodeError).message).toContain('bad n')
    await expect(p.run({ op: 'reject', message: 'async bad' })).rejects.toMatchObject({ code: 'ERR_NODE_JOB' })
    await expect(p.run({ op: 'date' })).rejects.toMatchObject({ code: 'ERR_NODE_JOB', remoteName: 'InvalidArgumentError' })
    expect(await p.run({ op: 'pid' })).toBe(pid)
    expect(entries(p.machine.tick('ErrWorker'))).toBe(0)
  })

  it('checks its arguments: options, run input and run options', async () => {
    expect(() => pool({ min: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
    expect(() => pool({ min: 3, max: 2 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
    expect(() => pool({ entry: 42 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => pool({ health: 'often' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => pool({ backoff: { min: -5 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
    const p = pool({ min: 1, max: 1 })
    await expect(p.run({ op: 'pid' })).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' }) // not started
    await p.start()
    await expect(p.run({ f: () => 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    // a Proxy passes the plain-data walk but not the channel's clone: refused, not dropped on the way (a hang)
    const other = p.run({ op: 'square', n: 4 }) // sent in the same batch
    await expect(p.run({ op: 'pid', x: new Proxy({}, {}) }, { timeout: 2000 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    expect(await other).toBe(16)
    await expect(p.run({ op: 'proxy' }, { timeout: 2000 })).rejects.toMatchObject({ code: 'ERR_NODE_JOB' })
    await expect(p.run({ op: 'pid' }, { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
    await expect(p.run({ op: 'pid' }, { retries: 1.5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
    // an abort rejects with its reason, even a null one (it used to resolve the run with undefined)
    const ac = new AbortController()
    ac.abort(null)
    await expect(p.run({ op: 'pid' }, { signal: ac.signal })).rejects.toBe(null)
    const later = new AbortController()
    const held = p.run({ op: 'sleep', ms: 200 }, { signal: later.signal })
    later.abort(null)
    await expect(held).rejects.toBe(null)
    expect(await p.run({ op: 'square', n: 3 })).toBe(9) // the bad calls left nothing behind
  })

  it('a run times out or is aborted without blocking the pool; queue bound', async () => {
    const p = pool({ min: 1, max: 1, maxQueue: 1 })
    await p.start()
    const slow = p.run({ op: 'sleep', ms: 300 })
    await expect(p.run({ op: 'pid' }, { timeout: 20 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' })
    const ac = new AbortController()
    const aborted = p.run({ op: 'pid' }, { signal: ac.signal })
    await expect(p.run({ op: 'pid' })).rejects.toMatchObject({ code: 'ERR_NODE_QUEUE_FULL' })
    ac.abort(new Error('changed my mind'))
    await expect(aborted).rejects.toThrow('changed my mind')
    expect(p.queued).toBe(0)
    await slow
    expect(await p.run({ op: 'square', n: 2 })).toBe(4)
  })

  it('close() drains jobs in flight, rejects queued ones, and kills a worker that does not finish in time', async () => {
    const p = pool({ min: 2, max: 2 })
    await p.start()
    const pids = readyPids(p)
    const finishing = p.run({ op: 'sleep', ms: 200, value: 'done' })
    const stuck = p.run({ op: 'sleep', ms: 60_000 })
    const queued = p.run({ op: 'pid' })
    queued.catch(() => undefined) // rejected by close(), checked below
    const t0 = Date.now()
    await p.close({ timeout: 700 })
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(await finishing).toBe('done')
    await expect(stuck).rejects.toMatchObject({ code: 'ERR_NODE_WORKER_LOST', signal: 'SIGKILL' })
    await expect(queued).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' })
    expect(pids.filter(alive)).toEqual([])
    expect(p.machine.is('Stopped')).toBe(true)
    await expect(p.run({ op: 'pid' })).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' })
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' })
  })
})
