/**
 * Handlers by naming convention: discovery, the exact call order of a transition, negotiation, bindings, the event
 * object, and what is a bind-time error.
 */
import { describe, expect, it } from 'vitest'
import { HandlerNameError, Machine, Result, schema, type Event, type Handlers } from '../../lib/machine/index.js'
import { internals } from '../../lib/machine/internals.js'
import { recorder } from '../support/recorder.js'

const abcd = schema({ A: {}, B: {}, C: {}, D: {} })

describe('handlers: call order of one transition', () => {
  it('(A B) → set(C): exits, enters, pairs, AnyEnter, ends, states, AnyState', () => {
    const r = recorder(abcd)
    const m = new Machine(abcd)
    m.add(['A', 'B'])
    m.bind(r.handlers)
    expect(m.set('C')).toBe(Result.Executed)
    expect(r.calls).toEqual(['AExit', 'BExit', 'CEnter', 'AC', 'BC', 'AnyEnter', 'AEnd', 'BEnd', 'CState', 'AnyState'])
  })

  it('(A) → set(A, B): self handler for the state that stays', () => {
    const r = recorder(abcd)
    const m = new Machine(abcd)
    m.add('A')
    m.bind(r.handlers)
    m.set(['A', 'B'])
    expect(r.calls).toEqual(['BEnter', 'AA', 'AB', 'AnyEnter', 'BState', 'AnyState'])
  })

  it('(A) → set(B, C) and (A B) → set(D, C): pairs nest targets inside the states before', () => {
    const r = recorder(abcd)
    const m = new Machine(abcd, { handlers: r.handlers })
    m.add('A')
    r.take()
    m.set(['B', 'C'])
    expect(r.take()).toEqual(['AExit', 'BEnter', 'CEnter', 'AB', 'AC', 'AnyEnter', 'AEnd', 'BState', 'CState', 'AnyState'])
    m.set(['A', 'B'])
    r.take()
    m.set(['D', 'C'])
    expect(r.take()).toEqual([
      'AExit', 'BExit', 'DEnter', 'CEnter', 'AD', 'AC', 'BD', 'BC', 'AnyEnter', 'AEnd', 'BEnd', 'DState', 'CState',
      'AnyState',
    ])
  })

  it('remove runs no self handlers, but state-state pairs', () => {
    const r = recorder(abcd)
    const m = new Machine(abcd, { handlers: r.handlers })
    m.add(['A', 'B'])
    r.take()
    m.remove('A')
    expect(r.take()).toEqual(['AExit', 'AB', 'AnyEnter', 'AEnd', 'AnyState'])
  })

  it('a no-op add still runs self, pairs, AnyEnter and AnyState', () => {
    const r = recorder(abcd)
    const m = new Machine(abcd, { handlers: r.handlers })
    m.add(['A', 'B'])
    r.take()
    m.add('A')
    expect(r.take()).toEqual(['AA', 'BB', 'AB', 'BA', 'AnyEnter', 'AnyState'])
  })

  it('multi re-entry: Enter, self and State run again; Exit and End do not', () => {
    const ss = schema({ M: { multi: true } })
    const r = recorder(ss)
    const m = new Machine(ss, { handlers: r.handlers })
    m.add('M')
    expect(r.take()).toEqual(['MEnter', 'AnyEnter', 'MState', 'AnyState'])
    m.add('M')
    expect(r.take()).toEqual(['MEnter', 'MM', 'AnyEnter', 'MState', 'AnyState'])
    expect(m.tick('M')).toBe(3)
  })

  it('handlers of states changed by relations run; targets follow require order', () => {
    const ss = schema({ Wet: { require: ['Water'] }, Dry: { remove: ['Water'] }, Water: { add: ['Wet'], remove: ['Dry'] } })
    const r = recorder(ss, { only: ['WetEnter', 'WaterEnter', 'DryExit', 'WetState', 'WaterState', 'DryEnd', 'WetExit', 'WaterExit', 'WetEnd', 'WaterEnd', 'DryEnter', 'DryState'] })
    const m = new Machine(ss, { handlers: r.handlers })
    m.add('Dry')
    r.take()
    m.add('Water')
    expect(r.take()).toEqual(['DryExit', 'WaterEnter', 'WetEnter', 'DryEnd', 'WaterState', 'WetState'])
    m.add('Dry')
    expect(r.take()).toEqual(['WaterExit', 'WetExit', 'DryEnter', 'WaterEnd', 'WetEnd', 'DryState'])
  })

  it('Foo → Bar: FooExit, BarEnter, FooBar, FooEnd, BarState', () => {
    const ss = schema({ Foo: { remove: ['Bar'] }, Bar: { remove: ['Foo'] } })
    const r = recorder(ss, { only: ['FooExit', 'BarEnter', 'FooBar', 'FooEnd', 'BarState'] })
    const m = new Machine(ss, { handlers: r.handlers })
    m.add('Foo')
    m.add('Bar')
    expect(r.calls).toEqual(['FooExit', 'BarEnter', 'FooBar', 'FooEnd', 'BarState'])
  })

  it('relation-rejected transitions run no handlers at all', () => {
    const ss = schema({ A: { require: ['B'] }, B: {} })
    const r = recorder(ss)
    const m = new Machine(ss, { handlers: r.handlers })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(r.calls).toEqual([])
  })
})

describe('handlers: negotiation', () => {
  it('false from an Enter handler cancels the transition; no ticks, no finals', () => {
    const lines: string[] = []
    const r = recorder(abcd, { cancel: ['DEnter'] })
    const m = new Machine(abcd, { id: 'neg', handlers: r.handlers, logLevel: 3, logger: (_l, s) => lines.push(s) })
    m.add('A')
    r.take()
    expect(m.add('D')).toBe(Result.Canceled)
    expect(r.take()).toEqual(['DEnter'])
    expect(m.time()).toEqual([1, 0, 0, 0, 0])
    expect(lines).toContain('[neg] [cancel] (D A) by DEnter')
  })

  it('false from an Exit handler cancels a remove', () => {
    const lines: string[] = []
    const r = recorder(abcd, { cancel: ['AExit'] })
    const m = new Machine(abcd, { id: 'neg', handlers: r.handlers, logLevel: 3, logger: (_l, s) => lines.push(s) })
    m.add('A')
    expect(m.remove('A')).toBe(Result.Canceled)
    expect(m.is('A')).toBe(true)
    expect(lines).toContain('[neg] [cancel] () by AExit')
  })

  it('AnyEnter runs last and can cancel; self and pair handlers can cancel', () => {
    for (const cancel of ['AnyEnter', 'AA', 'AB']) {
      const r = recorder(abcd, { cancel: [cancel] })
      const m = new Machine(abcd)
      m.add('A')
      m.bind(r.handlers)
      expect(m.add(['A', 'B'])).toBe(Result.Canceled)
      expect(m.activeStates).toEqual(['A'])
      expect(r.calls.at(-1)).toBe(cancel)
    }
  })

  it('is() shows the old states in negotiation and the new ones in finals', () => {
    const seen: Record<string, boolean> = {}
    const m = new Machine(abcd, {
      handlers: {
        AEnter: (e: Event) => void (seen.enter = e.machine.is('A')),
        AState: (e: Event) => void (seen.state = e.machine.is('A')),
      },
    })
    m.add('A')
    expect(seen).toEqual({ enter: false, state: true })
  })

  it('several bindings run in bind order; a false stops the later ones; unbind removes one', () => {
    const calls: string[] = []
    const m = new Machine(abcd)
    const first = m.bind({ AEnter: () => void calls.push('1:AEnter'), AState: () => void calls.push('1:AState') })
    m.bind({ AEnter: () => (calls.push('2:AEnter'), false) })
    m.bind({ AEnter: () => void calls.push('3:AEnter') })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(calls).toEqual(['1:AEnter', '2:AEnter'])
    expect(typeof first).toBe('string')
    calls.length = 0
    const m2 = new Machine(abcd)
    const id1 = m2.bind({ AState: () => void calls.push('1') })
    m2.bind({ AState: () => void calls.push('2') })
    m2.unbind(id1)
    m2.add('A')
    expect(calls).toEqual(['2'])
  })

  it('auto partial acceptance by Enter: a refused auto state and what only it implied are dropped', () => {
    const ss = schema({ A: {}, B: { auto: true, add: ['D'] }, C: { auto: true }, D: {} })
    const m = new Machine(ss, { handlers: { BEnter: () => false } })
    m.add('A')
    expect(m.activeStates).toEqual(['C', 'A'])
  })

  it('auto: a cancel by a non-auto state handler cancels the whole auto transition', () => {
    const ss = schema({ A: {}, B: { auto: true }, C: {} })
    const m = new Machine(ss, { handlers: { CB: () => false } })
    m.add('C')
    expect(m.activeStates).toEqual(['C'])
    m.add('A')
    expect(m.activeStates).toEqual(['A', 'C'])
  })

  it('a negotiation handler returning a Promise cancels and adds Exception with a HandlerError', async () => {
    const m = new Machine(abcd, { handlers: { AEnter: () => Promise.resolve(true) as unknown as boolean } })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Exception'])
    expect(m.err).toBeInstanceOf(Error)
    expect((m.err as Error).name).toBe('HandlerError')
    expect((m.err as Error).message).toMatch(/AEnter/)
    await Promise.resolve()
  })
})

describe('handlers: the event', () => {
  it('carries name, machine, shared args and the transition', () => {
    const events: Event[] = []
    const push = (e: Event): void => void events.push(e)
    const m = new Machine(abcd, { handlers: { AExit: push, BEnter: push, BState: push, AEnd: push, AnyState: push } })
    m.add('A')
    events.length = 0
    const args = { id: 7 }
    m.set('B', args)
    expect(events.map((e) => e.name)).toEqual(['AExit', 'BEnter', 'AEnd', 'BState', 'AnyState'])
    const [exit] = events
    expect(exit?.machine).toBe(m)
    for (const e of events) expect(e.args).toBe(events[0]?.args)
    expect(exit?.args).toEqual({ id: 7 })
    const tx = exit?.transition
    expect(tx?.type).toBe('set')
    expect(tx?.calledStates).toEqual(['B'])
    expect(tx?.statesBefore).toEqual(['A'])
    expect(tx?.targetStates).toEqual(['B'])
    expect(tx?.enters).toEqual(['B'])
    expect(tx?.exits).toEqual(['A'])
    expect(tx?.isAuto).toBe(false)
    expect(tx?.timeBefore).toEqual([1, 0, 0, 0, 0])
    expect(tx?.timeAfter).toEqual([2, 1, 0, 0, 0])
    expect(tx?.accepted).toBe(true)
  })

  it('e.signal of a negotiation handler is aborted when the transition ends', () => {
    let signal: AbortSignal | undefined
    const m = new Machine(abcd, { handlers: { AEnter: (e: Event) => void (signal = e.signal) } })
    m.add('A')
    expect(signal?.aborted).toBe(true)
  })

  it('e.signal of FooState is Foo’s state signal, aborted when Foo deactivates', () => {
    let signal: AbortSignal | undefined
    const m = new Machine(abcd, { handlers: { AState: (e: Event) => void (signal = e.signal) } })
    m.add('A')
    expect(signal?.aborted).toBe(false)
    expect(signal).toBe(m.stateSignal('A'))
    m.remove('A')
    expect(signal?.aborted).toBe(true)
  })
})

describe('handlers: bind-time checks', () => {
  it('a handler-shaped name of no state is a HandlerNameError naming it', () => {
    const m = new Machine(abcd, { id: 'bind' })
    const bad: object = { RedyState() {} }
    expect(() => m.bind(bad)).toThrow(HandlerNameError)
    expect(() => m.bind(bad)).toThrow(/RedyState/)
    expect(() => m.bind({ AnyFoo() {} } as object)).toThrow(HandlerNameError)
    expect(() => m.bind({ ZEnter() {} } as object)).toThrow(/bind/)
  })

  it('a handler name that is not a method is a HandlerNameError', () => {
    const m = new Machine(abcd)
    expect(() => m.bind({ AState: 5 } as object)).toThrow(HandlerNameError)
  })

  it('an ambiguous pair name is a HandlerNameError', () => {
    const ss = schema({ A: {}, AB: {}, B: {}, BB: {} })
    const m = new Machine(ss)
    expect(() => m.bind({ ABB() {} } as object)).toThrow(/ambiguous/)
  })

  it('unrelated helper methods and lower-case members are accepted', () => {
    const m = new Machine(abcd)
    class H {
      count = 0
      helper(): number {
        return this.count
      }
      AState(): void {
        this.count++
      }
    }
    const h = new H()
    m.bind(h)
    m.add('A')
    expect(h.count).toBe(1)
  })

  it('types: Handlers<typeof ss> and bind() reject typo’d handler names at compile time', () => {
    const m = new Machine(abcd)
    // @ts-expect-error 'RedyState' names no state
    const typed: Handlers<typeof abcd> = { RedyState: () => undefined }
    expect(typed).toBeDefined()
    // @ts-expect-error a typed bind() rejects a handler-shaped name of no state
    expect(() => m.bind({ RedyState() {} })).toThrow(HandlerNameError)
  })

  it('prototype-chain methods are bound, with `this` the bound object', () => {
    class Base {
      seen: string[] = []
      AState(): void {
        this.seen.push('A')
      }
    }
    class Derived extends Base {
      BState(): void {
        this.seen.push('B')
      }
    }
    const d = new Derived()
    const m = new Machine(abcd, { handlers: d })
    m.add(['A', 'B'])
    expect(d.seen).toEqual(['A', 'B'])
  })

  it('instances of one class share dispatch tables; an own handler-like property gets its own', () => {
    class H {
      seen: string[] = []
      AState(): void {
        this.seen.push('A')
      }
    }
    class WithField extends H {
      BState = (): void => void this.seen.push('B-field')
    }
    const [h1, h2, f] = [new H(), new H(), new WithField()]
    const [m1, m2, m3] = [new Machine(abcd, { handlers: h1 }), new Machine(abcd, { handlers: h2 }), new Machine(abcd, { handlers: f })]
    const tables = (m: Machine<string>) => internals(m).bindings[0]?.state
    expect(tables(m1)).toBe(tables(m2))
    expect(tables(m3)).not.toBe(tables(m1))
    for (const m of [m1, m2, m3]) m.add(['A', 'B'])
    // each machine calls its own object's methods
    expect([h1.seen, h2.seen, f.seen]).toEqual([['A'], ['A'], ['A', 'B-field']])
    // a bad name in a shared prototype is reported for every instance, not only the first
    class Bad {
      RedyState(): void {}
    }
    // @ts-expect-error the constructor's handlers option is checked as bind() is, class instances too
    expect(() => new Machine(abcd, { handlers: new Bad() })).toThrow(HandlerNameError)
    // @ts-expect-error 'RedyState' names no state of this schema
    expect(() => new Machine(abcd, { handlers: new Bad() })).toThrow(HandlerNameError)
  })
})
