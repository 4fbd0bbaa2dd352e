/**
 * The thread park's building block: a parked receiver takes the next message of its port synchronously (without
 * the event loop), whether it was posted before or while it waits, and gives up after its bounded wait.
 */
import { MessageChannel, Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { WakeReceiver, WakeSender } from '../../lib/node/thread-wake.js'

describe('WakeSender / WakeReceiver', () => {
  it('park() delivers a message already posted, synchronously, and only that one', () => {
    const { port1, port2 } = new MessageChannel()
    const sender = new WakeSender()
    const got: unknown[] = []
    const receiver = WakeReceiver.of(sender.buffer, port2, (m) => got.push(m))
    port1.postMessage({ a: 1 })
    port1.postMessage({ a: 2 })
    sender.notify()
    expect(receiver?.park()).toBe(true)
    expect(got).toEqual([{ a: 1 }]) // one message per park: the worker returns to run it
    expect(receiver?.park()).toBe(true)
    expect(got).toEqual([{ a: 1 }, { a: 2 }])
    expect(receiver?.park()).toBe(false) // nothing more: the bounded wait ends
    port1.close()
  })

  it('a message posted by another thread while the receiver waits wakes it', async () => {
    const { port1, port2 } = new MessageChannel()
    const sender = new WakeSender()
    const got: unknown[] = []
    const receiver = WakeReceiver.of(sender.buffer, port2, (m) => got.push(m)) as WakeReceiver
    // the other thread waits until this one is parked (the PARKED cell), then posts and wakes it
    const other = new Worker(`
      const { workerData } = require('node:worker_threads')
      const cells = new Int32Array(workerData.buffer)
      while (Atomics.load(cells, 1) !== 1) Atomics.wait(cells, 1, 0, 1)
      workerData.port.postMessage('hello')
      Atomics.add(cells, 0, 1)
      Atomics.notify(cells, 0, 1)
    `, { eval: true, workerData: { buffer: sender.buffer, port: port1 }, transferList: [port1] })
    const exited = new Promise((r) => other.once('exit', r))
    // parks until the other thread posts (each park is bounded: loop a bounded number of times)
    for (let i = 0; i < 5000 && got.length === 0; i++) receiver.park()
    expect(got).toEqual(['hello'])
    await exited
    port2.close()
  })

  it('of() refuses what is not a wake buffer', () => {
    const { port1, port2 } = new MessageChannel()
    expect(WakeReceiver.of(undefined, port2, () => undefined)).toBeNull()
    expect(WakeReceiver.of(new SharedArrayBuffer(4), port2, () => undefined)).toBeNull()
    expect(WakeReceiver.of(new ArrayBuffer(8), port2, () => undefined)).toBeNull()
    port1.close()
  })
})
