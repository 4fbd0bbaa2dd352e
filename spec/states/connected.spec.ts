/**
 * ConnectedSchema: Connecting / Connected / Disconnecting / Disconnected are exclusive, Disconnected is auto,
 * Connecting and Connected require Start, ErrConnecting requires Exception.
 */
import { describe, expect, it } from 'vitest'
import { Machine, Result } from '../../lib/machine/index.js'
import { BasicSchema, ConnectedGroup, ConnectedSchema } from '../../lib/states/index.js'

const sorted = (m: Machine<string>): string[] => [...m.activeStates].sort()
const mk = (): Machine<(typeof ConnectedSchema.names)[number]> => new Machine(ConnectedSchema)

describe('ConnectedSchema', () => {
  it('includes BasicSchema, then the connection states', () => {
    expect(ConnectedSchema.names).toEqual([...BasicSchema.names, 'ErrConnecting', ...ConnectedGroup])
    expect(ConnectedGroup).toEqual(['Connecting', 'Connected', 'Disconnecting', 'Disconnected'])
    expect(ConnectedSchema.states.Disconnected).toEqual({
      auto: true, remove: ['Connecting', 'Connected', 'Disconnecting'],
    })
    expect(ConnectedSchema.states.Connected).toEqual({
      require: ['Start'], remove: ['Connecting', 'Disconnecting', 'Disconnected'],
    })
  })

  it('Disconnected comes by itself after the first transition', () => {
    const m = mk()
    expect(m.activeStates).toEqual([])
    m.add('Start')
    expect(sorted(m)).toEqual(['Disconnected', 'Start'])
  })

  it('walks the lifecycle with exactly one connection state active', () => {
    const m = mk()
    m.add('Start')
    const steps = [['Connecting'], ['Connected'], ['Disconnecting'], ['Disconnected']] as const
    for (const [state] of steps) {
      expect(m.add(state)).toBe(Result.Executed)
      expect(sorted(m)).toEqual([state, 'Start'].sort())
    }
  })

  it('Connecting and Connected require Start; removing Start drops them and Disconnected returns', () => {
    const m = mk()
    expect(m.add('Connecting')).toBe(Result.Canceled)
    expect(m.add('Connected')).toBe(Result.Canceled)
    m.add(['Start', 'Connected'])
    expect(sorted(m)).toEqual(['Connected', 'Start'])
    m.remove('Start')
    expect(m.activeStates).toEqual(['Disconnected'])
  })

  it('Disconnecting needs no Start', () => {
    const m = mk()
    expect(m.add('Disconnecting')).toBe(Result.Executed)
    expect(m.activeStates).toEqual(['Disconnecting'])
  })

  it('removing Disconnected alone brings it back (auto), one activation later', () => {
    const m = mk()
    m.add('Start')
    expect(m.tick('Disconnected')).toBe(1)
    m.remove('Disconnected')
    expect(m.is('Disconnected')).toBe(true)
    expect(m.tick('Disconnected')).toBe(3)
  })

  it('ErrConnecting requires Exception: addErrState adds both, removing Exception drops it', () => {
    const m = mk()
    m.add('Start')
    expect(m.add('ErrConnecting')).toBe(Result.Canceled)
    const err = new Error('refused')
    m.addErrState('ErrConnecting', err)
    expect(m.err).toBe(err)
    expect(sorted(m)).toEqual(['Disconnected', 'ErrConnecting', 'Exception', 'Start'])
    m.remove('Exception')
    expect(sorted(m)).toEqual(['Disconnected', 'Start'])
  })
})
