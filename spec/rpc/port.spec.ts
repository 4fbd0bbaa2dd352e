import { once } from 'node:events'
import { MessageChannel, Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { Result, TimeoutError } from '../../lib/index.js'
import { connect, serve } from '../../lib/rpc/index.js'
import type { SourceSchema } from './support.js';
import { Cleanup, newSource } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const boot = new URL('./fixtures/worker-boot.js', import.meta.url)
const body = new URL('./fixtures/source-worker.ts', import.meta.url).href

describe('rpc over MessagePort', () => {
  it('mirrors a machine living in a real worker thread', async () => {
    const { port1, port2 } = new MessageChannel()
    const worker = new Worker(boot, { workerData: { body, rpcPort: port2 }, transferList: [port2] })
    c.defer(async () => {
      await worker.terminate()
    })
    const [up] = (await once(worker, 'message')) as [{ op: string }]
    expect(up.op).toBe('up')
    const remote = c.add(await connect<typeof SourceSchema>(port1))
    expect(remote.id).toBe('worker-src')
    expect(remote.is('Start')).toBe(true)

    const ready = remote.when('Ready')
    worker.postMessage({ op: 'add', states: ['Ready'] })
    await once(worker, 'message')
    await ready
    expect(await remote.add('Busy')).toBe(Result.Executed)
    expect(await remote.add('Idle')).toBe(Result.Executed)
    expect(remote.is('Busy')).toBe(false)
    worker.postMessage({ op: 'add', states: ['Job'] })
    const [done] = (await once(worker, 'message')) as [{ time: number[] }]
    await remote.whenTime(['Job'], [1])
    expect(remote.time()).toEqual(done.time)

    // a deadline: the worker's event loop is blocked, the call times out, its late reply is still applied
    worker.postMessage({ op: 'block', ms: 300 })
    const t0 = Date.now()
    const job = remote.tick('Job')
    await expect(remote.add('Job', undefined, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError)
    expect(Date.now() - t0).toBeLessThan(250)
    await remote.ping({ timeout: 2000 })
    expect(remote.tick('Job')).toBe(job + 2)
    expect(await remote.toggle('Busy')).toBe(Result.Executed)

    worker.postMessage({ op: 'stop' })
    await remote.client.when('Disconnected', { timeout: 2000 })
    expect(remote.connected).toBe(false)
    await expect(remote.add('Job')).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
  })

  it('serves a MessagePort in the same thread (accept)', async () => {
    const src = newSource()
    const server = c.add(await serve(src))
    expect(server.url).toBeUndefined()
    const { port1, port2 } = new MessageChannel()
    server.accept(port1)
    const remote = c.add(await connect<typeof SourceSchema>(port2))
    expect(await remote.add(['Start', 'Ready'])).toBe(Result.Executed)
    src.add('Job')
    await remote.whenTicks('Job', 1)
    expect(remote.time()).toEqual(src.time())
    await remote.close()
    await server.machine.when('ClientDisconnected')
    expect(server.clients).toBe(0)
  })
})
