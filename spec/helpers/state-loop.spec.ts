/**
 * stateLoop: more than `maxIterations` activations of a state within `window` ms add a StateLoopError (once) and
 * stop the guard.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DisposedError, type Event, Machine, UnknownStateError, schema } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { StateLoopError, stateLoop } from '../../lib/helpers/index.js'

const ss = schema({ Poll: { multi: true }, Flip: {}, ErrLoop: { require: ['Exception'] } })
type N = (typeof ss.names)[number]
const mk = (): Machine<N> => new Machine(ss, { id: 'loop' })

beforeEach(() => void vi.useFakeTimers({ now: 0 }))
afterEach(() => void vi.useRealTimers())

describe('stateLoop', () => {
  it('breaks a handler that re-adds its own state forever', () => {
    const m = mk()
    const loop = stateLoop(m, 'Poll', { maxIterations: 10, window: 1_000 })
    m.bind({ PollState: (e: Event<N>) => void (loop.ok() && e.machine.add('Poll')) })
    m.add('Poll')
    expect(m.is('Exception')).toBe(true)
    expect(m.err).toBeInstanceOf(StateLoopError)
    expect((m.err as Error).message).toBe("machine loop: state 'Poll' looped: activated more than 10 times within 1000 ms")
    expect(loop.ok()).toBe(false)
    expect(loop.error).toBe(m.err)
    expect(loop.iterations).toBe(11)
    // The 11th activation's handler had already re-added Poll before the guard saw it: one more, then it stops.
    expect(m.tick('Poll')).toBe(23)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('lets a loop go on while it stays under the limit (sliding window)', () => {
    const m = mk()
    const loop = stateLoop(m, 'Flip', { maxIterations: 3, window: 100 })
    const flip = (): void => {
      m.add('Flip')
      m.remove('Flip')
    }
    flip(); flip(); flip()
    vi.advanceTimersByTime(100)
    flip(); flip()
    vi.advanceTimersByTime(50)
    flip()
    expect(loop.ok()).toBe(true)
    expect(loop.iterations).toBe(6)
    flip()
    expect(loop.ok()).toBe(false)
    expect(m.is('Exception')).toBe(true)
  })

  it('counts activations only, and uses errState when given', () => {
    const m = mk()
    const loop = stateLoop(m, 'Flip', { maxIterations: 1, window: Infinity, errState: 'ErrLoop' })
    m.add('Flip')
    m.remove('Flip')
    expect(loop.iterations).toBe(1)
    expect(loop.ok()).toBe(true)
    m.add('Flip')
    expect([...m.activeStates].sort()).toEqual(['ErrLoop', 'Exception', 'Flip'])
    expect(m.err).toBeInstanceOf(StateLoopError)
  })

  it('is released by dispose() or the machine being disposed', () => {
    const m = mk()
    const loop = stateLoop(m, 'Poll')
    expect(pendingWaiters(m)).toBe(1)
    loop.dispose()
    expect(pendingWaiters(m)).toBe(0)
    expect(loop.ok()).toBe(false)
    const other = stateLoop(m, 'Poll')
    m.dispose()
    expect(other.ok()).toBe(false)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('bad input', () => {
    const m = mk()
    for (const maxIterations of [0, -1, 1.5, NaN]) {
      expect(() => stateLoop(m, 'Poll', { maxIterations })).toThrow(RangeError)
    }
    for (const window of [0, -1, NaN]) expect(() => stateLoop(m, 'Poll', { window })).toThrow(RangeError)
    expect(() => stateLoop(m, 'Nope' as N)).toThrow(UnknownStateError)
    expect(() => stateLoop(m, 'Poll', { errState: 'Nope' as N })).toThrow(UnknownStateError)
    m.dispose()
    expect(() => stateLoop(m, 'Poll')).toThrow(DisposedError)
  })
})
