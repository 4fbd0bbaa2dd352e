import { describe, expect, it } from 'vitest'
import { NodeError } from '../../lib/node/index.js'
import { entries, jsModule, pool } from './support.js'

/** Crashes before it calls runWorker(): a spawn failure. */
const EXIT_BEFORE_READY = "process.stderr.write('Error: fixture: crashing before ready\\n')\nprocess.exit(3)\n"
/** Never calls runWorker() and stays alive: spawnTimeout must end it. */
const NEVER_READY = 'setInterval(() => undefined, 1000)\n'

describe('NodeSupervisor: spawn failures', () => {
  it('a bad entry file: ErrSpawn per attempt, backed off, then ErrPool after spawnRetries; never a storm', async () => {
    const p = pool({ entry: new URL('./fixtures/no-such-worker.cjs', import.meta.url), min: 2, max: 4,
      spawnRetries: 3, backoff: { min: 50, max: 100 } })
    const err = await p.start().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_POOL' })
    expect((err as NodeError).message).toContain('3 spawn failures in a row')
    expect(((err as NodeError).cause as NodeError).message).toMatch(/exited with code 1 before it was ready: Error: Cannot find module/)
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
    const p = pool({ entry: jsModule('exit-before-ready.cjs', EXIT_BEFORE_READY), min: 1, max: 1,
      spawnRetries: 2, backoff: { min: 10, max: 20 } })
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_NODE_POOL' })
    const spawnErr = (p.machine.err as NodeError).cause as NodeError
    expect(spawnErr).toMatchObject({ code: 'ERR_NODE_SPAWN' })
    expect(spawnErr.message).toContain('exited with code 3 before it was ready')
    expect(spawnErr.message).toContain('crashing before ready')
    expect(entries(p.machine.tick('ForkWorker'))).toBe(2)
  })

  it('a worker that never reports ready is killed after spawnTimeout (ErrSpawn)', async () => {
    const p = pool({ entry: jsModule('never-ready.cjs', NEVER_READY), min: 1, max: 1,
      spawnRetries: 1, spawnTimeout: 300 })
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_NODE_POOL' })
    expect(((p.machine.err as NodeError).cause as NodeError).message).toContain('signal SIGKILL before it was ready')
    expect(p.workers).toEqual([])
  })
})
