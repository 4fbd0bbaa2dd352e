/**
 * Reading, text formats, export/import and disposal.
 */
import { describe, expect, it } from 'vitest'
import {
  DisposedError, LogLevel, Machine, Result, SchemaError, UnknownStateError, schema, type Event,
} from '../../lib/machine/index.js'

const ss = schema({ A: {}, B: { multi: true }, C: {}, D: {} })

describe('reading', () => {
  it('is/not/any/has and unknown names (diff: is/not throw)', () => {
    const m = new Machine(ss, { id: 'read' })
    m.add(['A', 'B'])
    expect(m.is(['A', 'B'])).toBe(true)
    expect(m.is([])).toBe(true)
    expect(m.is(['A', 'C'])).toBe(false)
    expect(m.not(['C', 'D'])).toBe(true)
    expect(m.not(['A', 'C'])).toBe(false)
    expect(m.any(['C', 'D'], 'A')).toBe(true)
    expect(m.any('C', ['D'])).toBe(false)
    expect(m.has('A')).toBe(true)
    expect(m.has('Nope')).toBe(false)
    const loose = m as Machine<string>
    expect(() => loose.is('Nope')).toThrow(UnknownStateError)
    expect(() => loose.not(['A', 'Nope'])).toThrow(/read.*Nope/)
    expect(() => loose.add('Nope')).toThrow(UnknownStateError)
    expect(() => loose.tick('Nope')).toThrow(UnknownStateError)
    expect(() => loose.add(42 as unknown as string)).toThrow(TypeError)
  })

  it('toString, toStringAll and inspect (TestString, TestInspect formats)', () => {
    const m = new Machine(schema({ A: { auto: true, require: ['C'] }, B: { multi: true, add: ['C'] }, C: {} }))
    expect(m.toString()).toBe('()')
    m.add('C')
    expect(m.toString()).toBe('(A:1 C:1)')
    expect(m.toStringAll()).toBe('(A:1 C:1) [B:0 Exception:0]')
    expect(m.inspect(['A', 'B'])).toBe(
      ['1 A', '    |Tick     1', '    |Auto     true', '    |Require  C', '0 B', '    |Tick     0', '    |Multi    true',
        '    |Add      C'].join('\n'),
    )
  })

  it('identity: id (random 16 hex by default), parentId, tags, schema, names', () => {
    const parent = new Machine(ss, { id: 'parent' })
    const m = new Machine(ss, { parent, tags: ['x'] })
    expect(m.id).toMatch(/^[0-9a-f]{16}$/)
    expect(new Machine(ss).id).not.toBe(m.id)
    expect(m.parentId).toBe('parent')
    expect(parent.parentId).toBeUndefined()
    expect(m.tags).toEqual(['x'])
    expect(m.schema).toBe(ss)
    expect(m.names).toEqual(['A', 'B', 'C', 'D', 'Exception'])
  })
})

describe('export / import', () => {
  it('round-trips clocks, active states and queueTick; runs no handlers', () => {
    const a = new Machine(ss, { id: 'a' })
    a.add(['A', 'B'])
    a.add('B')
    a.set(['C', 'B'])
    const snap = JSON.parse(JSON.stringify(a.export())) as ReturnType<typeof a.export>
    expect(snap).toEqual({ id: 'a', names: ['A', 'B', 'C', 'D', 'Exception'], time: [2, 5, 1, 0, 0], queueTick: 4 })

    const calls: string[] = []
    const b = new Machine(ss, { id: 'b', handlers: { AnyState: (e: Event) => void calls.push(e.name) } })
    b.import(snap)
    expect(calls).toEqual([])
    expect(b.time()).toEqual(a.time())
    expect(b.activeStates).toEqual(['B', 'C'])
    expect(b.queueTick).toBe(4)
    expect(b.id).toBe('b')
    // the restored machine goes on from there
    b.add('B')
    expect(b.tick('B')).toBe(7)
  })

  it('adds MachineRestored when the schema has it', () => {
    const rs = schema({ Ready: {}, MachineRestored: {} })
    const a = new Machine(rs)
    a.add('Ready')
    const b = new Machine(rs)
    b.import(a.export())
    expect(b.activeStates).toEqual(['MachineRestored', 'Ready'])
  })

  it('rejects snapshots of another schema or with bad ticks (SchemaError)', () => {
    const m = new Machine(ss)
    const good = m.export()
    expect(() => m.import({ ...good, names: ['A', 'C', 'B', 'D', 'Exception'] })).toThrow(SchemaError)
    expect(() => m.import({ ...good, time: [0, 0] })).toThrow(/ticks/)
    expect(() => m.import({ ...good, time: [0, -1, 0, 0, 0] })).toThrow(/tick of B/)
    expect(() => m.import({ ...good, queueTick: 0 })).toThrow(/queueTick/)
    expect(() => m.import(null as never)).toThrow(SchemaError)
    expect(m.time()).toEqual([0, 0, 0, 0, 0])
  })
})

describe('dispose', () => {
  it('runs every onDispose callback even when one unregisters itself while running', () => {
    const m = new Machine(ss)
    const order: string[] = []
    const off = m.onDispose(() => {
      order.push('first')
      off()
    })
    m.onDispose(() => order.push('second'))
    m.onDispose(() => order.push('third'))
    m.dispose()
    expect(order).toEqual(['first', 'second', 'third'])
  })

  it('is idempotent; mutations return Canceled; is/not false; clocks stay readable', async () => {
    const m = new Machine(ss)
    m.add('A')
    const order: string[] = []
    m.onDispose(() => order.push('first'))
    m.onDispose(() => order.push('second'))
    const disposed = m.whenDisposed()
    const waiting = m.when('C')
    m.dispose()
    m.dispose()
    expect(order).toEqual(['first', 'second'])
    expect(m.disposed).toBe(true)
    await disposed
    await expect(waiting).rejects.toBeInstanceOf(DisposedError)
    expect(m.add('C')).toBe(Result.Canceled)
    expect(m.remove('A')).toBe(Result.Canceled)
    expect(m.addErr(new Error('x'))).toBe(Result.Canceled)
    expect(m.is('A')).toBe(false)
    expect(m.not('A')).toBe(false)
    expect(m.activeStates).toEqual([])
    expect(m.tick('A')).toBe(1)
    expect(() => m.onDispose(() => undefined)).toThrow(DisposedError)
    expect(() => m.bind({})).toThrow(DisposedError)
    await expect(m.when('A')).rejects.toBeInstanceOf(DisposedError)
  })

  it('inside a handler it runs after the current queue run', () => {
    const seen: string[] = []
    const m = new Machine(ss, {
      handlers: {
        AState: (e: Event) => {
          e.machine.dispose()
          seen.push(`disposed in handler: ${e.machine.disposed}`)
          e.machine.add('C')
        },
        CState: () => void seen.push('CState'),
      },
    })
    m.onDispose(() => seen.push('onDispose'))
    expect(m.add('A')).toBe(Result.Executed)
    expect(seen).toEqual(['disposed in handler: false', 'CState', 'onDispose'])
    expect(m.disposed).toBe(true)
  })

  it('Symbol.dispose disposes (using)', () => {
    let outer: Machine<'A' | 'B' | 'C' | 'D' | 'Exception'> | undefined
    {
      using m = new Machine(ss)
      outer = m
      m.add('A')
    }
    expect(outer.disposed).toBe(true)
  })

  it('a throwing onDispose callback does not stop the others and is logged', () => {
    const lines: string[] = []
    const m = new Machine(ss, { logLevel: LogLevel.Changes, logger: (_l, s) => lines.push(s) })
    const order: number[] = []
    m.onDispose(() => {
      throw new Error('cleanup failed')
    })
    m.onDispose(() => order.push(2))
    m.dispose()
    expect(order).toEqual([2])
    expect(lines.some((l) => l.includes('cleanup failed'))).toBe(true)
  })
})

describe('dispose details', () => {
  it('onDispose returns a function that unregisters the callback', () => {
    const m = new Machine(ss)
    const calls: string[] = []
    const off = m.onDispose(() => calls.push('removed'))
    m.onDispose(() => calls.push('kept'))
    off()
    off()
    m.dispose()
    expect(calls).toEqual(['kept'])
  })

  it('a FooState signal first read after dispose is aborted with DisposedError', () => {
    let ev: { signal: AbortSignal } | undefined
    const m = new Machine(ss, { handlers: { AState: (e: Event) => void (ev = e) } })
    m.add('A')
    m.dispose()
    expect((ev?.signal.reason as Error).name).toBe('DisposedError')
  })
})
