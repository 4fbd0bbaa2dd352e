/**
 * The mutation queue: queue ticks from handlers, synchronous drain, prepended auto/exception mutations, duplicate
 * suppression, guards, and the queue limit.
 */
import { describe, expect, it } from 'vitest'
import { Machine, Result, isQueued, resultName, schema, type Event } from '../../lib/machine/index.js'

const ss = schema({ A: {}, B: {}, C: {}, D: {}, M: { multi: true } })

describe('queue', () => {
  it('queue ticks: set takes 2, the next set 3, an add from its handler returns 4 (TestQueue)', () => {
    let fromHandler = -1
    const m = new Machine(ss, { handlers: { BEnter: (e: Event) => void (fromHandler = e.machine.add('C')) } })
    expect(m.queueTick).toBe(1)
    m.set('A')
    expect(m.queueTick).toBe(2)
    expect(m.set('B')).toBe(Result.Executed)
    expect(fromHandler).toBe(4)
    expect(isQueued(fromHandler)).toBe(true)
    expect(m.queueTick).toBe(4)
    expect(m.activeStates).toEqual(['C', 'B'])
    expect(m.queueLen).toBe(0)
  })

  it('an idle caller drains the whole queue synchronously and gets its own result', () => {
    const order: string[] = []
    const m = new Machine(ss, {
      handlers: {
        AState: (e: Event) => {
          order.push('AState')
          e.machine.add('B')
          e.machine.add('C')
          order.push(`queueLen=${e.machine.queueLen}`)
        },
        BState: () => void order.push('BState'),
        CState: () => void order.push('CState'),
      },
    })
    expect(m.add('A')).toBe(Result.Executed)
    expect(order).toEqual(['AState', 'queueLen=2', 'BState', 'CState'])
    expect(m.activeStates).toEqual(['C', 'B', 'A'])
    expect(m.queueLen).toBe(0)
  })

  it('the caller gets Canceled for its own mutation even when queued ones execute', () => {
    const m = new Machine(ss, {
      handlers: {
        AEnter: (e: Event) => {
          e.machine.add('B')
          return false
        },
      },
    })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['B'])
  })

  it('auto mutations run before mutations queued by handlers', () => {
    const order: string[] = []
    const auto = schema({ A: {}, B: {}, Z: { auto: true, require: ['A'] } })
    const m = new Machine(auto, {
      handlers: {
        AState: (e: Event) => void e.machine.add('B'),
        BState: () => void order.push('BState'),
        ZState: () => void order.push('ZState'),
      },
    })
    m.add('A')
    expect(order).toEqual(['ZState', 'BState'])
  })

  it('duplicate argless add/remove of non-multi states returns the queued tick and is not queued again', () => {
    const results: number[] = []
    const m = new Machine(ss, {
      handlers: {
        AState: (e: Event) => {
          results.push(e.machine.add(['B', 'C']))
          results.push(e.machine.add(['C', 'B']))
          results.push(e.machine.add(['B', 'C'], { x: 1 })) // args: not a duplicate
          results.push(e.machine.add('M'))
          results.push(e.machine.add('M')) // multi: never a duplicate
          results.push(e.machine.queueLen)
        },
      },
    })
    m.add('A')
    expect(results).toEqual([3, 3, 4, 5, 6, 4])
  })

  it('a remove of inactive states from a handler with an empty queue returns Executed and queues nothing', () => {
    let r = -1
    let len = -1
    const m = new Machine(ss, {
      handlers: {
        AState: (e: Event) => {
          r = e.machine.remove('D')
          len = e.machine.queueLen
        },
      },
    })
    m.add('A')
    expect(r).toBe(Result.Executed)
    expect(len).toBe(0)
  })

  it('queueLimit: Canceled while full, except one Exception add', () => {
    const results: number[] = []
    const m = new Machine(ss, {
      queueLimit: 2,
      handlers: {
        AState: (e: Event) => {
          results.push(e.machine.add('B'), e.machine.add('C'), e.machine.add('D'))
          results.push(e.machine.addErr(new Error('first')))
          results.push(e.machine.addErr(new Error('second')))
        },
      },
    })
    m.add('A')
    expect(results.map(resultName)).toEqual(['queued', 'queued', 'canceled', 'queued', 'canceled'])
    expect(m.activeStates).toEqual(['Exception', 'C', 'B', 'A'])
    // the refused error is still recorded as the last error
    expect((m.err as Error).message).toBe('second')
  })

  it('whenQueue resolves once the queue tick of a queued mutation is reached', async () => {
    let tick = 0
    let done: Promise<void> | undefined
    const m = new Machine(ss, {
      handlers: {
        AState: (e: Event) => {
          tick = e.machine.add('B')
          done = e.machine.whenQueue(tick)
        },
      },
    })
    m.add('A')
    await done
    expect(m.queueTick).toBeGreaterThanOrEqual(tick)
    expect(m.is('B')).toBe(true)
  })

  it('resultName and isQueued', () => {
    expect([0, 1, 2, 99].map(resultName)).toEqual(['executed', 'canceled', 'queued', 'queued'])
    expect([0, 1, 2].map(isQueued)).toEqual([false, false, true])
  })

  it('a handler that re-adds its multi state runs one transition per queued add, drained by the idle caller', () => {
    let n = 0
    const m = new Machine(ss, {
      queueLimit: 50,
      handlers: {
        MState: (e: Event) => {
          n++
          if (n < 10_000) e.machine.add('M')
        },
      },
    })
    m.add('M')
    // each MState queues exactly one more add, so the queue never exceeds 1 and the limit never interferes
    expect(n).toBe(10_000)
    expect(m.queueLen).toBe(0)
    expect(m.tick('M')).toBe(2 * 10_000 - 1)
  })
})
