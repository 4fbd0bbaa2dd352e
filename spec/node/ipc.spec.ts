import { EventEmitter } from 'node:events'
import type { MessagePort } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { IpcHub, runWorker, type IpcEndpoint } from '../../lib/node/index.js'
import { connect, serve } from '../../lib/rpc/index.js'

/** Two ends of an in-memory "IPC channel" (what child.send / process.send do, without a process). */
function channel(): [IpcEndpoint & EventEmitter, IpcEndpoint & EventEmitter] {
  const a = Object.assign(new EventEmitter(), { connected: true }) as unknown as IpcEndpoint & EventEmitter & { connected: boolean }
  const b = Object.assign(new EventEmitter(), { connected: true }) as unknown as IpcEndpoint & EventEmitter & { connected: boolean }
  a.send = (m: unknown) => (setImmediate(() => b.emit('message', structuredClone(m))), true)
  b.send = (m: unknown) => (setImmediate(() => a.emit('message', structuredClone(m))), true)
  const end = (): void => {
    a.connected = false
    b.connected = false
    a.emit('disconnect')
    b.emit('disconnect')
  }
  ;(a as unknown as { end: () => void }).end = end
  return [a, b]
}

describe('IpcHub / IpcPort', () => {
  it('carries RPC connections over one channel, numbered, beside messages that are not its own', async () => {
    const [up, down] = channel()
    const source = new Machine(schema({ Ready: {}, Job: { multi: true } }), { id: 'src' })
    const server = await serve(source)
    const workerSide = new IpcHub(down)
    workerSide.onOpen = (port) => server.accept(port as unknown as MessagePort)
    const supervisorSide = new IpcHub(up)
    const r1 = await connect(supervisorSide.open() as unknown as MessagePort, { keepAlive: 0 })
    const r2 = await connect(supervisorSide.open() as unknown as MessagePort, { keepAlive: 0 })
    up.send?.({ hello: 'a user message' }) // ignored by the hub
    up.send?.([99, new Uint8Array(3)]) // bytes for a channel nobody opened: ignored
    expect(await r1.add('Ready')).toBe(0)
    await r2.when('Ready', { timeout: 1000 })
    expect(server.clients).toBe(2)
    await r1.close() // closes its port only
    expect(await r2.add('Job')).toBe(0)
    ;(up as unknown as { end: () => void }).end() // the channel goes away: every port ends
    await r2.client.when('Disconnected', { timeout: 1000 })
    expect(supervisorSide.ended && workerSide.ended).toBe(true)
    await r2.close()
    await server.close()
  })

  it('sends the lane messages of one turn as one batch, before any message written after them', async () => {
    const [up, down] = channel()
    const sent: unknown[] = []
    const send = up.send?.bind(up)
    up.send = (m: unknown) => (sent.push(m), send?.(m) ?? false)
    const supervisorSide = new IpcHub(up)
    const workerSide = new IpcHub(down)
    const got: unknown[] = []
    workerSide.onJob = (m) => got.push(m)
    workerSide.onControl = (m) => got.push(m)
    for (let j = 1; j <= 3; j++) supervisorSide.lane({ pm: 'job', j, i: { n: j } })
    supervisorSide.lane({ pm: 'job', j: 4, i: null })
    supervisorSide.control({ pm: 'drained' }) // flushes the lane first: order is kept
    supervisorSide.lane({ pm: 'job', j: 5, i: null })
    await new Promise((r) => setTimeout(r, 20))
    expect(sent.length).toBe(3) // a batch of 4, the control message, the last job alone
    expect(got).toEqual([
      { pm: 'job', j: 1, i: { n: 1 } }, { pm: 'job', j: 2, i: { n: 2 } }, { pm: 'job', j: 3, i: { n: 3 } },
      { pm: 'job', j: 4, i: null }, { pm: 'drained' }, { pm: 'job', j: 5, i: null },
    ])
    down.emit('message', { pm: 'batch', b: [null, 7, { pm: 'job' }, { pm: 'done', j: 9, v: 1 }] }) // junk is skipped
    expect(got.at(-1)).toEqual({ pm: 'done', j: 9, v: 1 })
    expect(got.length).toBe(7)
  })

  it('runWorker() outside a forked process throws, and checks its function', () => {
    expect(() => runWorker(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => runWorker(() => 1, null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    if (typeof process.send !== 'function') {
      expect(() => runWorker(() => 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPERATION' }))
    }
  })
})
