import { describe, expect, it } from 'vitest'
import { NodeError } from '../../lib/node/index.js'
import { entries, pool } from './support.js'

describe('NodeSupervisor: spawn failures', () => {
  it('a bad entry file: ErrSpawn per attempt, backed off, then ErrPool after spawnRetries; never a storm', async () => {
    const p = pool({ entry: new URL('./fixtures/no-such-worker.ts', import.meta.url), min: 2, max: 4,
      spawnRetries: 3, backoff: { min: 50, max: 100 } })
    const err = await p.start().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_POOL' })
    expect((err as NodeError).message).toContain('3 spawn failures in a row')
    expect(p.machine.is(['ErrPool', 'ErrSpawn'])).toBe(true)
    const forks = entries(p.machine.tick('ForkWorker'))
    // the first round forks min (2); each later fork waits for the backoff: at most spawnRetries + min - 1
    expect(forks).toBeGreaterThanOrEqual(3)
    expect(forks).toBeLessThanOrEqual(4)
    expect(entries(p.machine.tick('ErrSpawn'))).toBe(3) // a fork still starting when the pool gave up is killed
    await new Promise((r) => setTimeout(r, 400))
    expect(entries(p.machine.tick('ForkWorker'))).toBe(forks) // nothing after giving up
    expect(p.workers).toEqual([])
    await expect(p.run({ op: 'pid' })).rejects.toMatchObject({ code: 'ERR_NODE_POOL' })
  })

  it('a worker that crashes before it is ready: ErrSpawn with its exit code and stderr', async () => {
    const p = pool({ entry: new URL('./fixtures/exit-before-ready.ts', import.meta.url), min: 1, max: 1,
      spawnRetries: 2, backoff: { min: 10, max: 20 } })
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_NODE_POOL' })
    const spawnErr = (p.machine.err as NodeError).cause as NodeError
    expect(spawnErr).toMatchObject({ code: 'ERR_NODE_SPAWN' })
    expect(spawnErr.message).toContain('exited with code 3 before it was ready')
    expect(spawnErr.message).toContain('crashing before ready')
    expect(entries(p.machine.tick('ForkWorker'))).toBe(2)
  })

  it('a worker that never reports ready is killed after spawnTimeout (ErrSpawn)', async () => {
    const p = pool({ entry: new URL('./fixtures/never-ready.ts', import.meta.url), min: 1, max: 1,
      spawnRetries: 1, spawnTimeout: 300 })
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_NODE_POOL' })
    expect(((p.machine.err as NodeError).cause as NodeError).message).toContain('signal SIGKILL before it was ready')
    expect(p.workers).toEqual([])
  })
})
