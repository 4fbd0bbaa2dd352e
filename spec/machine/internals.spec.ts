/**
 * `onActivity` (lib/machine/internals.ts), the rxjs-free `state$` the actor layer uses to watch `Exception` on every
 * actor: the current value at once, then one call per change of activity, none after it is stopped or the machine
 * is disposed, and nothing left registered.
 */
import { describe, expect, it } from 'vitest'
import { Machine, schema, UnknownStateError } from '../../lib/machine/index.js'
import { onActivity, pendingWaiters } from '../../lib/machine/internals.js'

const ss = schema({ A: {}, B: { multi: true }, C: { require: ['A'] } })

describe('onActivity', () => {
  it('reports the current value, then every change of activity (not re-entries), until stopped', () => {
    const m = new Machine(ss) as Machine<string>
    m.add('B')
    const seen: string[] = []
    const stopB = onActivity(m, 'B', (a) => void seen.push(`B:${a}`))
    const stopC = onActivity(m, 'C', (a) => void seen.push(`C:${a}`))
    m.add('B') // multi re-entry: ticks, stays active
    m.add(['A', 'C'])
    m.remove('A') // C loses its requirement
    m.remove('B')
    stopB()
    m.add('B')
    expect(seen).toEqual(['B:true', 'C:false', 'C:true', 'C:false', 'B:false'])
    stopC()
    expect(pendingWaiters(m)).toBe(0)
  })

  it('stops with the machine, and refuses unknown states', () => {
    const m = new Machine(ss) as Machine<string>
    const seen: boolean[] = []
    onActivity(m, 'A', (a) => void seen.push(a))
    m.dispose()
    m.add('A') // canceled: disposed
    expect(seen).toEqual([false])
    // on a disposed machine: nothing is called, nothing registered
    const late: boolean[] = []
    onActivity(m, 'A', (a) => void late.push(a))()
    expect(late).toEqual([])
    expect(pendingWaiters(m)).toBe(0)
    expect(() => onActivity(new Machine(ss) as Machine<string>, 'Nope', () => undefined)).toThrow(UnknownStateError)
  })
})
