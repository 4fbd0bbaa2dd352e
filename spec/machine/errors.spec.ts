/**
 * Typed errors: class, name, fields, and a message naming the machine and the state(s).
 */
import { describe, expect, it } from 'vitest'
import {
  DisposedError, HandlerError, HandlerNameError, Machine, SchemaError, TimeoutError, UnknownStateError, schema,
} from '../../lib/machine/index.js'

const ss = schema({ Ready: {}, Busy: {} })

function caught(fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

describe('errors', () => {
  it('UnknownStateError names machine, states and method', () => {
    const m = new Machine(ss, { id: 'm1' }) as Machine<string>
    const err = caught(() => m.add(['Redy', 'Bussy'])) as UnknownStateError
    expect(err).toBeInstanceOf(UnknownStateError)
    expect(err.name).toBe('UnknownStateError')
    expect(err.machineId).toBe('m1')
    expect(err.states).toEqual(['Redy', 'Bussy'])
    expect(err.message).toBe("machine m1: unknown states 'Redy', 'Bussy' in add()")
  })

  it('SchemaError names the state', () => {
    const err = caught(() => schema({ A: { add: ['B'] } } as never)) as SchemaError
    expect(err).toBeInstanceOf(SchemaError)
    expect(err.state).toBe('A')
    expect(err.message).toContain("'A'")
  })

  it('HandlerNameError names machine and handler', () => {
    const m = new Machine(ss, { id: 'm2' })
    const err = caught(() => m.bind({ RedyState() {} } as object)) as HandlerNameError
    expect(err).toBeInstanceOf(HandlerNameError)
    expect(err.handler).toBe('RedyState')
    expect(err.message).toMatch(/^machine m2: handler 'RedyState' names no state/)
  })

  it('HandlerError names machine and handler', () => {
    const m = new Machine(ss, { id: 'm3', handlers: { ReadyEnter: () => Promise.resolve() as unknown as boolean } })
    m.add('Ready')
    const err = m.err as HandlerError
    expect(err).toBeInstanceOf(HandlerError)
    expect(err.handler).toBe('ReadyEnter')
    expect(err.message).toMatch(/^machine m3: handler 'ReadyEnter'/)
  })

  it('TimeoutError and DisposedError name the machine and what waited', async () => {
    const m = new Machine(ss, { id: 'm4' })
    const t = await m.when('Ready', { timeout: 1 }).catch((e: unknown) => e as TimeoutError)
    expect(t).toBeInstanceOf(TimeoutError)
    expect(t?.machineId).toBe('m4')
    expect(t?.timeout).toBe(1)
    expect(t?.message).toContain('Ready')
    const waiting = m.when('Busy').catch((e: unknown) => e as DisposedError)
    m.dispose()
    const d = await waiting
    expect(d).toBeInstanceOf(DisposedError)
    expect(d?.message).toMatch(/^machine m4 is disposed/)
  })
})
