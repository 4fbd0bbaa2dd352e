/**
 * A value that passes the plain-data check but that the channel cannot serialize (a `Uint8Array` over a detached
 * buffer) fails its own job with a typed error, on both kinds of worker; the jobs sent in the same batch and the
 * worker itself go on.
 */
import { describe, expect, it } from 'vitest'
import { NodeError } from '../../lib/node/index.js'
import { pool } from './support.js'

function detached(): Uint8Array {
  const bytes = new Uint8Array(8)
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] })
  return bytes
}

describe.each(['process', 'thread'] as const)('send errors (kind %s)', (kind) => {
  it('an input the channel cannot carry fails that job with ERR_NODE_SEND; its batch and the worker go on', async () => {
    const p = pool({ kind, min: 1, max: 1, tasksPerWorker: 8 })
    await p.start()
    // sent in one turn: one batch of three lane messages
    const [a, bad, c] = await Promise.allSettled([
      p.run({ op: 'square', n: 3 }), p.run({ op: 'square', n: detached() }), p.run({ op: 'square', n: 4 })])
    expect(a).toEqual({ status: 'fulfilled', value: 9 })
    expect(c).toEqual({ status: 'fulfilled', value: 16 })
    expect(bad.status).toBe('rejected')
    const err = (bad as PromiseRejectedResult).reason as unknown
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_SEND', workerId: p.workers[0]?.id })
    expect(await p.run({ op: 'square', n: 5 })).toBe(25)
    expect(p.machine.is('ErrWorker')).toBe(false)
  }, 30_000)

  it('a result the channel cannot carry fails that job (ERR_NODE_JOB, remote code ERR_NODE_SEND); the worker goes on', async () => {
    const p = pool({ kind, min: 1, max: 1 })
    await p.start()
    const pid = await p.run({ op: 'pid' })
    const err = await p.run({ op: 'detached' }).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(NodeError)
    expect(err).toMatchObject({ code: 'ERR_NODE_JOB', remoteName: 'NodeError' })
    expect((err as Error).message).toContain('ERR_NODE_SEND')
    expect(await p.run({ op: 'pid' })).toBe(pid)
  }, 30_000)
})
