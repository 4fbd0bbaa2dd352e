/**
 * schema() and extend(): declaration order as the index, Exception appended, sanitising, validation errors,
 * merging, and compile-time relation checks.
 */
import { describe, expect, it } from 'vitest'
import { Machine, SchemaError, extend, isSchema, schema, type StateNames } from '../../lib/machine/index.js'

describe('schema()', () => {
  it('keeps declaration order and appends Exception last, as a multi state', () => {
    const ss = schema({ Start: {}, Ready: { require: ['Start'] } })
    expect(ss.names).toEqual(['Start', 'Ready', 'Exception'])
    expect(ss.states.Exception).toEqual({ multi: true })
    expect(isSchema(ss)).toBe(true)
    expect(isSchema({ names: [], states: {} })).toBe(false)
    expect(Object.isFrozen(ss)).toBe(true)
    expect(Object.isFrozen(ss.states.Ready)).toBe(true)
  })

  it('a declared Exception keeps its place and is forced multi', () => {
    const ss = schema({ Exception: {}, A: {} })
    expect(ss.names).toEqual(['Exception', 'A'])
    expect(ss.states.Exception.multi).toBe(true)
  })

  it('infers the literal union of names, Exception included', () => {
    const ss = schema({ A: {}, B: { add: ['A'] } })
    expect(ss.names).toEqual(['A', 'B', 'Exception'])
    const name: StateNames<typeof ss> = 'Exception'
    // @ts-expect-error 'C' is not a state of this schema
    const bad: StateNames<typeof ss> = 'C'
    expect([name, bad]).toHaveLength(2)
  })

  it('relation typos are compile errors and SchemaErrors at run time', () => {
    // @ts-expect-error 'Strat' is not a state
    expect(() => schema({ Start: {}, Ready: { require: ['Strat'] } })).toThrow(SchemaError)
    expect(() => schema({ Start: {}, Ready: { require: ['Strat'] } } as never)).toThrow(/Ready.*require.*Strat/)
  })

  it('sanitises: self remove/after dropped, add wins over remove, self-require dropped', () => {
    const ss = schema({ A: { remove: ['A', 'B'], after: ['A'], add: ['B'] }, B: { require: ['B'] } })
    expect(ss.states.A).toEqual({ add: ['B'] })
    expect(ss.states.B).toEqual({})
  })

  it('require ∩ remove is a SchemaError (diff)', () => {
    expect(() => schema({ A: { require: ['B'], remove: ['B'] }, B: {} })).toThrow(/requires and removes/)
  })

  it('reserved and invalid names are SchemaErrors', () => {
    // @ts-expect-error 'Any' is reserved, also at compile time
    expect(() => schema({ Any: {} })).toThrow(SchemaError)
    for (const bad of ['FooEnter', 'FooExit', 'FooState', 'FooEnd', '1A', 'a-b', '']) {
      expect(() => schema({ [bad]: {} } as Record<string, object>), bad).toThrow(SchemaError)
    }
  })

  it('bad field types and unknown fields are SchemaErrors naming the state', () => {
    expect(() => schema({ A: { auto: 'yes' } } as never)).toThrow(/'A'.*auto/)
    expect(() => schema({ A: { requires: [] } } as never)).toThrow(/unknown field 'requires'/)
    expect(() => schema({ A: { add: 'B' }, B: {} } as never)).toThrow(/must be an array/)
    expect(() => schema({ A: { tags: [1] } } as never)).toThrow(/tags/)
    expect(() => schema({ A: null } as never)).toThrow(SchemaError)
    expect(() => (schema as (...a: unknown[]) => unknown)()).toThrow(SchemaError)
  })

  it('merges several parts: later parts replace whole definitions, order is first appearance', () => {
    const base = schema({ Start: {}, Ready: { require: ['Start'] } })
    const ss = schema(base, { Ready: { auto: true }, Extra: { add: ['Ready'] } })
    expect(ss.names).toEqual(['Start', 'Ready', 'Exception', 'Extra'])
    expect(ss.states.Ready).toEqual({ auto: true })
    const m = new Machine(ss)
    m.add('Extra')
    expect(m.activeStates).toEqual(['Extra', 'Ready'])
  })

  it('relations may name states of earlier parts', () => {
    const base = schema({ Start: {} })
    const ss = schema(base, { Ready: { require: ['Start'] } })
    expect(ss.states.Ready.require).toEqual(['Start'])
  })

  it('extend() unions relation lists and tags; auto/multi are only switched on', () => {
    const d = extend<'A' | 'B' | 'C'>(
      { require: ['A'], remove: ['B'], tags: ['x'], auto: true },
      { require: ['A', 'C'], tags: ['y'], auto: false },
    )
    expect(d).toEqual({ auto: true, require: ['A', 'C'], remove: ['B'], tags: ['x', 'y'] })
  })
})
