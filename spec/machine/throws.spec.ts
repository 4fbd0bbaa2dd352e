/**
 * Errors inside handlers become the Exception state, with asyncmachine-go's roll-back (the states whose final
 * handler did not complete return to where they were, see `rollback` in lib/machine/transition.ts); async final
 * handlers report rejections unless their state moved on. The process never crashes because of a handler.
 */
import { describe, expect, it } from 'vitest'
import { Machine, Result, schema, type Event, type ExceptionArgs } from '../../lib/machine/index.js'
import { recorder } from '../support/recorder.js'

const ss = schema({ A: {}, B: {}, C: {} })
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

describe('throws in handlers', () => {
  it('a throw in a negotiation handler cancels and adds Exception with the error (TestPartialNegotiationPanic)', () => {
    let excArgs: ExceptionArgs | undefined
    const m = new Machine(ss, {
      handlers: {
        BEnter: () => {
          throw new Error('nope')
        },
        ExceptionState: (e: Event) => void (excArgs = e.args as ExceptionArgs),
      },
    })
    m.add('A')
    expect(m.add('B')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Exception', 'A'])
    expect((m.err as Error).message).toBe('nope')
    expect(excArgs?.err).toBe(m.err)
    expect(excArgs?.handler).toBe('BEnter')
  })

  it('a throw in a State handler rolls back the states whose State handlers did not complete (TestPartialFinalPanic)', () => {
    const r = recorder(ss, { throws: ['BState'], only: ['AState', 'BState', 'CState', 'AnyState'] })
    const m = new Machine(ss, { handlers: r.handlers })
    expect(m.add(['A', 'B', 'C'])).toBe(Result.Canceled)
    // CState and the failed transition's AnyState never run; the AnyState is the Exception transition's
    expect(r.calls).toEqual(['AState', 'BState', 'AnyState'])
    expect(m.activeStates).toEqual(['Exception', 'A'])
    // B and C were applied (tick 1), then rolled back (tick 2)
    expect(m.time()).toEqual([1, 2, 2, 1])
  })

  it('a throw in an End handler restores the exits that did not complete (diff: asyncmachine-go restores none)', () => {
    const m = new Machine(ss, {
      handlers: {
        AEnd: () => {
          throw new Error('end')
        },
      },
    })
    m.add(['A', 'B'])
    expect(m.remove(['A', 'B'])).toBe(Result.Canceled)
    expect(m.is(['A', 'B', 'Exception'])).toBe(true)
    expect(m.time()).toEqual([3, 3, 0, 1])
  })

  it('a throw while handling Exception does not re-add it (no loop, no crash)', () => {
    let calls = 0
    const m = new Machine(ss, {
      handlers: {
        ExceptionState: () => {
          calls++
          throw new Error('handler of errors fails')
        },
      },
    })
    m.addErr(new Error('original'))
    expect(calls).toBe(1)
    expect((m.err as Error).message).toBe('handler of errors fails')
    // nor does it roll Exception back: the error is not lost behind an inactive Exception
    expect(m.is('Exception')).toBe(true)
  })

  it('addErr: stores err, adds Exception (multi: +2 each time) with args.err', () => {
    const seen: unknown[] = []
    const m = new Machine(ss, { handlers: { ExceptionState: (e: Event) => void seen.push(e.args.err) } })
    const e1 = new Error('one')
    const e2 = new Error('two')
    expect(m.addErr(e1, { id: 1 })).toBe(Result.Executed)
    m.addErr(e2)
    expect(seen).toEqual([e1, e2])
    expect(m.err).toBe(e2)
    expect(m.tick('Exception')).toBe(3)
  })

  it('addErrState adds the error state too; addErr(undefined) still records an Error', () => {
    const es = schema({ ErrNetwork: { require: ['Exception'] }, Ready: {} })
    const m = new Machine(es)
    m.addErrState('ErrNetwork', new Error('down'))
    expect(m.activeStates).toEqual(['Exception', 'ErrNetwork'])
    const n = new Machine(es)
    n.addErr(undefined)
    expect(n.err).toBeInstanceOf(Error)
    expect(n.is('Exception')).toBe(true)
  })

  it('an async State handler’s rejection is passed to addErr', async () => {
    const m = new Machine(ss, {
      handlers: {
        AState: async () => {
          await flush()
          throw new Error('late')
        },
      },
    })
    expect(m.add('A')).toBe(Result.Executed)
    await m.whenErr({ timeout: 1000 })
    expect((m.err as Error).message).toBe('late')
    expect(m.is(['A', 'Exception'])).toBe(true)
  })

  it('a rejection of stale work (the state moved on) is ignored', async () => {
    const m = new Machine(ss, {
      handlers: {
        AState: async (e: Event) => {
          await flush()
          e.signal.throwIfAborted()
        },
      },
    })
    m.add('A')
    m.remove('A')
    await flush()
    await flush()
    expect(m.is('Exception')).toBe(false)
    expect(m.err).toBeUndefined()
  })

  it('a throw in AnyState or AnyEnter becomes Exception, never a crash', () => {
    const m = new Machine(ss, {
      handlers: {
        AnyEnter: (e: Event) => {
          if (e.transition.calledStates.includes('C')) throw new Error('any enter')
        },
      },
    })
    expect(m.add('C')).toBe(Result.Canceled)
    expect(m.activeStates).toEqual(['Exception'])
    const n = new Machine(ss, {
      handlers: {
        AnyState: (e: Event) => {
          if (e.transition.calledStates.includes('A')) throw new Error('any state')
        },
      },
    })
    n.add('A')
    expect(n.is('Exception')).toBe(true)
    expect((n.err as Error).message).toBe('any state')
  })
})
