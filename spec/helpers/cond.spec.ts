/**
 * cond: composable predicates over a machine's states (is, not, any, ticks, all, some, none, of) and cond.when().
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DisposedError, Machine, TimeoutError, UnknownStateError, schema } from '../../lib/machine/index.js'
import { internals } from '../../lib/machine/internals.js'
import { cond } from '../../lib/helpers/index.js'

const ss = schema({ Start: {}, Ready: { require: ['Start'] }, Busy: {}, Tick: { multi: true } })
type N = (typeof ss.names)[number]
const mk = (): Machine<N> => new Machine(ss, { id: 'cond' })

afterEach(() => void vi.useRealTimers())

describe('cond predicates', () => {
  it('is / not / any / ticks', () => {
    const m = mk()
    m.add(['Start', 'Ready'])
    m.add('Tick')
    m.add('Tick')
    expect(cond.is(['Start', 'Ready'])(m)).toBe(true)
    expect(cond.is(['Start', 'Busy'])(m)).toBe(false)
    expect(cond.not('Busy')(m)).toBe(true)
    expect(cond.not(['Busy', 'Start'])(m)).toBe(false)
    expect(cond.any('Busy', ['Start', 'Ready'])(m)).toBe(true)
    expect(cond.any('Busy', ['Start', 'Exception'])(m)).toBe(false)
    expect(cond.ticks({ Tick: 3, Start: 1 })(m)).toBe(true)
    expect(cond.ticks({ Tick: 1 })(m)).toBe(false)
  })

  it('all / some / none / of compose', () => {
    const m = mk()
    m.add('Start')
    const canWork = cond.all(cond.is('Start'), cond.not(['Busy', 'Exception']))
    expect(canWork(m)).toBe(true)
    expect(cond.some(cond.is('Busy'), cond.is('Ready'))(m)).toBe(false)
    expect(cond.none(cond.is('Busy'), cond.is('Ready'))(m)).toBe(true)
    expect(cond.all()(m)).toBe(true)
    const spec = cond.of({ is: 'Start', not: 'Busy', any: [['Ready'], 'Start'], ticks: { Busy: 0 } })
    expect(spec(m)).toBe(true)
    m.add('Busy')
    expect(canWork(m)).toBe(false)
    expect(spec(m)).toBe(false)
  })

  it('throw on a disposed machine and on unknown states', () => {
    const m = mk()
    const untyped: Machine<string> = m
    expect(() => cond.is('Nope')(untyped)).toThrow(UnknownStateError)
    m.dispose()
    expect(() => cond.not('Busy')(m)).toThrow(DisposedError)
    expect(() => cond.not('Busy')(m)).toThrow('machine cond is disposed: cond.not()')
  })

  it('are typed by the states they need', () => {
    const m = mk()
    m.add('Start')
    // @ts-expect-error 'Nope' is not a state of the machine
    expect(() => cond.is('Nope')(m)).toThrow(UnknownStateError)
    // @ts-expect-error a combined condition keeps every state it needs
    expect(() => cond.all(cond.is('Start'), cond.not('Missing'))(m)).toThrow(UnknownStateError)
  })
})

describe('cond.when', () => {
  it('resolves at once, or after the transition that makes the condition true', async () => {
    const m = mk()
    await expect(cond.when(m, cond.not('Busy'))).resolves.toBeUndefined()
    const p = cond.when(m, cond.of({ is: 'Ready', not: 'Busy' }))
    m.add('Busy')
    m.add(['Start', 'Ready'])
    expect(internals(m).wantsTx).toBe(true)
    m.remove('Busy')
    await expect(p).resolves.toBeUndefined()
    expect(internals(m).wantsTx).toBe(false)
  })

  it('times out, aborts, rejects on disposal, and unsubscribes', async () => {
    vi.useFakeTimers()
    const m = mk()
    const p = cond.when(m, cond.is('Busy'), { timeout: 10 })
    vi.advanceTimersByTime(10)
    await expect(p).rejects.toThrow(TimeoutError)
    expect(internals(m).wantsTx).toBe(false)
    const q = cond.when(m, cond.is('Busy'), { signal: AbortSignal.timeout(5) })
    vi.advanceTimersByTime(5)
    await expect(q).rejects.toThrow()
    const d = cond.when(m, cond.is('Busy'))
    m.dispose()
    await expect(d).rejects.toThrow(DisposedError)
    await expect(cond.when(m, cond.is('Busy'))).rejects.toThrow(DisposedError)
    expect(() => cond.when(m, cond.is('Busy'), { timeout: -1 })).toThrow(RangeError)
  })
})

describe('cond.when typing', () => {
  it('rejects a condition needing states the machine lacks', async () => {
    const m = mk()
    m.add('Busy')
    await expect(cond.when(m, cond.is('Busy'))).resolves.toBeUndefined()
    // @ts-expect-error 'Nope' is not a state of the machine
    expect(() => cond.when(m, cond.is('Nope'))).toThrow(UnknownStateError)
  })
})
