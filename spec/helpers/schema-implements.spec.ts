/**
 * schemaImplements / assertImplements: contract checks listing missing states and mismatching flags or relations.
 */
import { describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/machine/index.js'
import { ContractError, assertImplements, schemaImplements } from '../../lib/helpers/index.js'
import { BasicSchema, ConnectedSchema, DisposedSchema } from '../../lib/states/index.js'

describe('schemaImplements', () => {
  it('returns undefined when the contract holds (extra states and relations are fine)', () => {
    expect(schemaImplements(ConnectedSchema, BasicSchema)).toBeUndefined()
    expect(schemaImplements(DisposedSchema, BasicSchema)).toBeUndefined()
    const wider = schema(BasicSchema, { Ready: { require: ['Start', 'Extra'], remove: ['Busy'] }, Extra: {}, Busy: {} })
    expect(schemaImplements(wider, BasicSchema)).toBeUndefined()
    expect(schemaImplements(wider, ['Start', 'Ready'])).toBeUndefined()
  })

  it('lists missing states', () => {
    const err = schemaImplements(schema({ Start: {} }), BasicSchema)
    expect(err).toBeInstanceOf(ContractError)
    expect(err?.missing).toEqual(['ErrNetwork', 'ErrHandlerTimeout', 'Ready', 'Healthcheck', 'Heartbeat'])
    expect(err?.message).toBe("schema does not implement the required schema: missing states 'ErrNetwork', " +
      "'ErrHandlerTimeout', 'Ready', 'Healthcheck', 'Heartbeat'")
    expect(err?.state).toBe('ErrNetwork')
  })

  it('lists flag and relation mismatches', () => {
    const broken = schema({
      Start: {}, Connecting: { require: ['Start'] }, Connected: { multi: true, remove: ['Connecting'] },
      Disconnecting: {}, Disconnected: {}, ErrConnecting: { require: ['Exception'] },
      ErrNetwork: {}, ErrHandlerTimeout: { multi: true, add: ['Exception'], require: ['Exception'] }, Ready: {},
      Healthcheck: { multi: true }, Heartbeat: {},
    })
    const err = schemaImplements(broken, ConnectedSchema)
    expect(err?.missing).toEqual([])
    expect(err?.mismatches.map((m) => m.message)).toEqual([
      "'ErrNetwork' must be multi",
      "'ErrNetwork' must require 'Exception'",
      "'ErrNetwork' must add 'Exception'",
      "'Ready' must require 'Start'",
      "'Connecting' must remove 'Connected', 'Disconnecting', 'Disconnected'",
      "'Connected' must not be multi",
      "'Connected' must require 'Start'",
      "'Connected' must remove 'Disconnecting', 'Disconnected'",
      "'Disconnecting' must remove 'Connecting', 'Connected', 'Disconnected'",
      "'Disconnected' must be auto",
      "'Disconnected' must remove 'Connecting', 'Connected', 'Disconnecting'",
    ])
    expect(err?.mismatches[0]).toEqual({ state: 'ErrNetwork', field: 'multi', expected: true,
      message: "'ErrNetwork' must be multi" })
    expect(err?.mismatches[3]).toMatchObject({ state: 'Ready', field: 'require', expected: ['Start'] })
  })

  it('names the machine when given one', () => {
    const m = new Machine(schema({ Start: {} }), { id: 'w1' })
    expect(schemaImplements(m, ['Start', 'Ready'])?.message)
      .toBe("machine w1 does not implement the required schema: missing state 'Ready'")
  })

  it('assertImplements throws the ContractError; bad input throws TypeError', () => {
    expect(() => assertImplements(schema({ A: {} }), ['A', 'B'])).toThrow(ContractError)
    expect(() => assertImplements(BasicSchema, BasicSchema)).not.toThrow()
    expect(() => schemaImplements({} as never, [])).toThrow(TypeError)
    expect(() => schemaImplements(BasicSchema, 'Start' as never)).toThrow(TypeError)
  })
})
