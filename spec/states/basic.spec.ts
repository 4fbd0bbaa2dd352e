/**
 * BasicSchema: Exception, ErrNetwork, ErrHandlerTimeout, Start, Ready, Healthcheck, Heartbeat, with their relations.
 */
import { describe, expect, it } from 'vitest'
import { Machine, Result, schema } from '../../lib/machine/index.js'
import { BasicSchema } from '../../lib/states/index.js'

const sorted = (m: Machine<string>): string[] => [...m.activeStates].sort()

describe('BasicSchema', () => {
  it('declares the basic states in order, Exception first', () => {
    expect(BasicSchema.names).toEqual(['Exception', 'ErrNetwork', 'ErrHandlerTimeout', 'Start', 'Ready', 'Healthcheck',
      'Heartbeat'])
    expect(BasicSchema.states).toEqual({
      Exception: { multi: true },
      ErrNetwork: { multi: true, add: ['Exception'], require: ['Exception'] },
      ErrHandlerTimeout: { multi: true, add: ['Exception'], require: ['Exception'] },
      Start: {},
      Ready: { require: ['Start'] },
      Healthcheck: { multi: true },
      Heartbeat: {},
    })
  })

  it('Ready requires Start, and goes when Start goes', () => {
    const m = new Machine(BasicSchema)
    expect(m.add('Ready')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual([])
    expect(m.add(['Start', 'Ready'])).toBe(Result.Executed)
    expect(sorted(m)).toEqual(['Ready', 'Start'])
    expect(m.remove('Start')).toBe(Result.Executed)
    expect(m.activeStates).toEqual([])
  })

  it.each(['ErrNetwork', 'ErrHandlerTimeout'] as const)('%s adds Exception, is multi, and goes with Exception', (err) => {
    const m = new Machine(BasicSchema)
    expect(m.add(err)).toBe(Result.Executed)
    expect(sorted(m)).toEqual([err, 'Exception'].sort())
    expect(m.add(err)).toBe(Result.Executed)
    expect(m.tick(err)).toBe(3)
    expect(m.remove('Exception')).toBe(Result.Executed)
    expect(m.activeStates).toEqual([])
  })

  it('addErrState(ErrNetwork) stores the error', () => {
    const m = new Machine(BasicSchema)
    const err = new Error('ECONNRESET')
    m.add('Start')
    m.addErrState('ErrNetwork', err)
    expect(m.err).toBe(err)
    expect(sorted(m)).toEqual(['ErrNetwork', 'Exception', 'Start'])
  })

  it('Healthcheck is multi (re-enters), Heartbeat is not', () => {
    const m = new Machine(BasicSchema)
    m.add('Healthcheck')
    m.add('Healthcheck')
    m.add('Heartbeat')
    m.add('Heartbeat')
    expect(m.clock(['Healthcheck', 'Heartbeat'])).toEqual({ Healthcheck: 3, Heartbeat: 1 })
  })

  it('merges into a user schema; health adds trigger no auto states', () => {
    const ss = schema(BasicSchema, { Working: { auto: true, require: ['Start'] } })
    expect(ss.names.slice(0, 7)).toEqual(BasicSchema.names)
    const m = new Machine(ss)
    m.add('Healthcheck')
    expect(m.activeStates).toEqual(['Healthcheck'])
    m.add('Start')
    expect(sorted(m)).toEqual(['Healthcheck', 'Start', 'Working'])
  })
})
