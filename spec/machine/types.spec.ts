/**
 * Types for users: the constructor's `handlers` option is checked as `bind()` checks its argument, schema mistakes
 * are reported on the property that has them, and functions generic over any schema (`Schema<N>`, `StateNames<S>`).
 * The `@ts-expect-error` lines are the type tests (`npm run typecheck` fails when one of them stops being an error);
 * the expectations check that run-time behaviour matches what the types promise.
 */
import { describe, expect, it } from 'vitest'
import {
  HandlerNameError, Machine, schema, type Event, type Handlers, type MachineOptions, type MultiStateNames, type Schema,
  type StateNames,
} from '../../lib/machine/index.js'

const ss = schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Retry: { multi: true } })

describe('types: the handlers option of new Machine()', () => {
  it('a typo in an object literal is a compile error, and still a HandlerNameError at run time', () => {
    const ReadyState = (): void => undefined
    const RedyState = ReadyState
    // @ts-expect-error 'RedyState' names no state of this schema
    expect(() => new Machine(ss, { handlers: { RedyState } })).toThrow(HandlerNameError)
    expect(() => new Machine(ss, { handlers: { ReadyState } })).not.toThrow()
  })

  it('a class instance with a typo is a compile error too; a correct one binds and runs', () => {
    class Typo {
      RedyState(): void {}
    }
    class Good {
      seen: string[] = []
      ReadyState(e: Event<StateNames<typeof ss>>): void {
        this.seen.push(e.name)
      }
      helper(): number {
        return this.seen.length
      }
    }
    // @ts-expect-error 'RedyState' names no state of this schema
    expect(() => new Machine(ss, { handlers: new Typo() })).toThrow(HandlerNameError)
    const good = new Good()
    const m = new Machine(ss, { handlers: good })
    m.add('Start')
    expect(good.seen).toEqual(['ReadyState'])
    expect(good.helper()).toBe(1)
  })

  it('handler signatures are checked: a negotiation handler returns boolean | void', () => {
    // @ts-expect-error a negotiation handler returns boolean | void, not a string
    const m = new Machine(ss, { handlers: { ReadyEnter: () => 'no' } })
    expect(m.add('Start')).toBe(0)
    // a handler's event is typed by the schema
    const n = new Machine(ss, {
      handlers: {
        ReadyEnter: (e) => e.machine.is('Start'),
        // @ts-expect-error 'Strat' is not a state of this schema
        StartState: (e) => e.machine.is('Strat'),
      },
    })
    n.add('Start')
    expect(n.is('Exception')).toBe(true) // at run time the unknown name throws in the handler
  })

  it('helper members and functions pass as bind() lets them; `as object` opts out of the check', () => {
    const handlers = { count: 0, Config: 'x', ReadyState(): void { handlers.count++ } }
    const m = new Machine(ss, { handlers })
    m.add('Start')
    expect(handlers.count).toBe(1)
    const fn = Object.assign(() => undefined, { StartState: () => undefined })
    expect(() => new Machine(ss, { handlers: fn })).not.toThrow()
    const untyped: object = { RedyState() {} }
    expect(() => new Machine(ss, { handlers: untyped })).toThrow(HandlerNameError)
  })

  it('the option is checked as bind() checks it: the same values pass and fail', () => {
    const m = new Machine(ss)
    // @ts-expect-error 'RedyState' names no state of this schema
    expect(() => m.bind({ RedyState() {} })).toThrow(HandlerNameError)
    const typed: Handlers<typeof ss> = { ReadyState: () => undefined, RetryEnter: () => true }
    expect(() => new Machine(ss, { handlers: typed })).not.toThrow()
    expect(() => m.bind(typed)).not.toThrow()
  })

  it('options built apart, typed MachineOptions of any names, are accepted', () => {
    const common: MachineOptions = { tags: ['worker'], queueLimit: 10 }
    const typed: MachineOptions<StateNames<typeof ss>> = { id: 'typed', handlers: { ReadyState: () => undefined } }
    const m = new Machine(ss, common)
    const n = new Machine(ss, typed)
    expect([m.tags, n.id]).toEqual([['worker'], 'typed'])
  })

  it('a machine over an untyped schema (names typed string) accepts any handler object', () => {
    const loose: Schema<string> = ss
    const m = new Machine(loose, { handlers: { count: 1, ReadyState: () => undefined } })
    expect(m.names).toContain('Ready')
  })
})

describe('types: Machine is still a class for every use', () => {
  it('instanceof, subclassing with typed names, and its name', () => {
    class Downloader extends Machine<StateNames<typeof ss>> {
      start(): boolean {
        this.add('Start')
        return this.is('Ready')
      }
    }
    const d = new Downloader(ss, { id: 'dl', handlers: { ReadyState: () => undefined } })
    expect(d.start()).toBe(true)
    expect(d).toBeInstanceOf(Machine)
    expect(d).toBeInstanceOf(Downloader)
    expect(new Machine(ss)).toBeInstanceOf(Machine)
    expect([Machine.name, new Machine(ss).constructor.name]).toEqual(['Machine', 'Machine'])
    // @ts-expect-error 'Strat' is not a state of this schema
    expect(() => d.add('Strat')).toThrow()
  })
})

describe('types: schema() reports a mistake on the property that has it', () => {
  it('an unknown relation target', () => {
    const bad = () =>
      schema({
        Start: {},
        // @ts-expect-error 'Redy' is not a state of this schema: Start | Ready | Exception
        Ready: { require: ['Start'], add: ['Redy'] },
      })
    expect(bad).toThrow(/Ready.*add.*Redy/)
  })

  it('a wrongly typed field and an unknown field', () => {
    const auto = () =>
      schema({
        Start: {},
        // @ts-expect-error auto must be a boolean
        Ready: { auto: 1 },
      })
    expect(auto).toThrow(/'auto' must be a boolean/)
    const field = () =>
      schema({
        Start: {},
        // @ts-expect-error 'requires' is not a field of a state definition
        Ready: { requires: ['Start'] },
      })
    expect(field).toThrow(/unknown field 'requires'/)
  })

  it('in a later part: relations may name states of every part, and typos are reported there', () => {
    const base = schema({ Start: {} })
    const ok = schema(base, { Ready: { require: ['Start'] } }, { Done: { after: ['Ready'] } })
    expect(ok.names).toEqual(['Start', 'Exception', 'Ready', 'Done'])
    const bad = () =>
      schema(base, {
        // @ts-expect-error 'Strat' is not a state of this schema: Start | Ready | Exception
        Ready: { require: ['Strat'] },
      })
    expect(bad).toThrow(/Strat/)
  })

  it('four parts or more are still typed and checked', () => {
    const s4 = schema({ A: {} }, { B: { add: ['A'] } }, { C: {} }, { D: { multi: true, remove: ['A'] } })
    const name: StateNames<typeof s4> = 'D'
    const multi: MultiStateNames<typeof s4> = 'D'
    // @ts-expect-error 'E' is not a state of this schema
    const wrong: StateNames<typeof s4> = 'E'
    expect([name, multi, wrong]).toEqual(['D', 'D', 'E'])
    expect(s4.states.D).toEqual({ multi: true, remove: ['A'] })
    // @ts-expect-error 'E' is not a state of this schema (past the third part the whole call is marked)
    expect(() => schema({ A: {} }, { B: {} }, { C: {} }, { D: { add: ['E'] } })).toThrow(/'E'/)
  })

  it('definitions typed loosely give a schema typed string, checked at run time only', () => {
    const defs: Record<string, { require?: string[] }> = { A: {}, B: { require: ['A'] } }
    const loose = schema(defs)
    const names: readonly string[] = loose.names
    expect(names).toEqual(['A', 'B', 'Exception'])
  })
})

// --- Functions generic over any schema (docs/manual.md, "Typing") ---------------------------------------------

/** Over the names: `Schema<N>` gives `N`, and a `Machine<N>` with it. */
function startedWith<N extends string>(s: Schema<N>, first: N): Machine<N> {
  const m = new Machine(s)
  m.add(first)
  return m
}

/** Over the schema: `StateNames<S>` and `MultiStateNames<S>` read the names off the schema's type. */
function multiOf<S extends Schema>(s: S): Array<MultiStateNames<S>> {
  return s.names.filter((n) => s.states[n]?.multi) as Array<MultiStateNames<S>>
}

/** A machine parameter of any schema. */
function activeCount(m: Machine): number {
  return m.activeStates.length
}

describe('types: functions generic over any schema', () => {
  it('Schema<N> and StateNames<S> carry the names through', () => {
    const m = startedWith(ss, 'Start')
    const same: Machine<'Start' | 'Ready' | 'Retry' | 'Exception'> = m
    expect(same.is('Ready')).toBe(true)
    // @ts-expect-error 'Strat' is not a state of this schema
    expect(() => startedWith(ss, 'Strat')).toThrow()
    const multi = multiOf(ss)
    const first: 'Retry' | 'Exception' | undefined = multi[0]
    // @ts-expect-error 'Start' is not multi
    const notMulti: (typeof multi)[number] = 'Start'
    expect([first, notMulti]).toEqual(['Retry', 'Start'])
    expect(multi).toEqual(['Retry', 'Exception'])
    const names: Array<StateNames<typeof ss>> = [...ss.names]
    expect(names).toHaveLength(4)
    expect(activeCount(m)).toBe(2)
  })
})
