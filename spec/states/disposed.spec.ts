/**
 * DisposedSchema and DisposedHandlers: RegisterDisposal collects disposal functions, Disposing runs them off the
 * transition, Disposed disposes the machine. Plus the registerDisposal/dispose helpers.
 */
import { describe, expect, it, vi } from 'vitest'
import { DisposedError, Machine, Result, schema } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import {
  BasicSchema, type DisposalFn, DisposedHandlers, DisposedSchema, dispose, registerDisposal,
} from '../../lib/states/index.js'

type N = (typeof DisposedSchema.names)[number]
const sorted = (m: Machine<string>): string[] => [...m.activeStates].sort()

function mk(onError?: (err: unknown, id: string) => void): { m: Machine<N>; h: DisposedHandlers } {
  const h = new DisposedHandlers(onError ? { onError } : {})
  return { m: new Machine(DisposedSchema, { id: 'disp', handlers: h }), h }
}

/** A disposal function that resolves when `release()` is called. */
function gate(): { fn: DisposalFn; release: () => void; started: () => boolean } {
  let release!: () => void
  let started = false
  const p = new Promise<void>((r) => (release = r))
  return { fn: () => ((started = true), p), release: () => release(), started: () => started }
}

describe('DisposedSchema', () => {
  it('merges BasicSchema; Disposing and Disposed stop the machine and clear its errors', () => {
    expect(DisposedSchema.names).toEqual([...BasicSchema.names, 'RegisterDisposal', 'Disposing', 'Disposed'])
    const m = new Machine(DisposedSchema)
    m.add(['Start', 'Ready'])
    m.addErrState('ErrNetwork', new Error('x'))
    expect(sorted(m)).toEqual(['ErrNetwork', 'Exception', 'Ready', 'Start'])
    m.add('Disposing')
    expect(m.activeStates).toEqual(['Disposing'])
    expect(m.add('Start')).toBe(Result.Canceled)
    expect(m.add('Exception')).toBe(Result.Canceled)
    m.add('Disposed')
    expect(m.activeStates).toEqual(['Disposed'])
  })
})

describe('DisposedHandlers', () => {
  it('runs registered functions in order, off the transition, then Disposed disposes the machine', async () => {
    const { m, h } = mk()
    const calls: string[] = []
    m.add('Start')
    m.add('RegisterDisposal', { disposal: (id: string) => void calls.push(`a:${id}`) })
    m.add('RegisterDisposal', {
      disposal: async (_id: string, signal: AbortSignal) => {
        // Off the transition stack: a mutation here runs at once instead of being queued.
        calls.push(`b:${m.add('Heartbeat')}:${m.is('Disposing')}:${signal.aborted}`)
        await new Promise((r) => setTimeout(r, 5))
        calls.push('b-done')
      },
    })
    expect(h.pending).toBe(2)
    expect(m.add('Disposing')).toBe(Result.Executed)
    expect(calls).toEqual([])
    expect(m.disposed).toBe(false)
    await m.whenDisposed()
    expect(calls).toEqual(['a:disp', `b:${Result.Executed}:true:false`, 'b-done'])
    expect(h.pending).toBe(0)
    expect(m.disposed).toBe(true)
    expect(pendingWaiters(m)).toBe(0)
  })

  it('rejects RegisterDisposal without a function and adds Exception (not in a dry run)', () => {
    const { m, h } = mk()
    expect(m.canAdd('RegisterDisposal', { disposal: 'nope' })).toBe(Result.Canceled)
    expect(m.is('Exception')).toBe(false)
    expect(m.add('RegisterDisposal', { disposal: 42 })).toBe(Result.Canceled)
    expect(m.is('Exception')).toBe(true)
    expect(m.err).toBeInstanceOf(TypeError)
    expect((m.err as Error).message).toBe('machine disp: RegisterDisposal: args.disposal must be a function, got number 42')
    expect(h.pending).toBe(0)
  })

  it('a throwing disposal function goes to onError; the others still run and the machine is disposed', async () => {
    const errors: unknown[] = []
    const { m } = mk((err, id) => errors.push([id, (err as Error).message]))
    const ran: number[] = []
    m.add('RegisterDisposal', { disposal: () => { throw new Error('boom') } })
    m.add('RegisterDisposal', { disposal: async () => Promise.reject(new Error('async boom')) })
    m.add('RegisterDisposal', { disposal: () => void ran.push(3) })
    m.add('Disposing')
    await m.whenDisposed()
    expect(errors).toEqual([['disp', 'boom'], ['disp', 'async boom']])
    expect(ran).toEqual([3])
  })

  it('the default onError prints to console.error', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const { m } = mk()
      m.add('RegisterDisposal', { disposal: () => { throw new Error('printed') } })
      m.add('Disposing')
      await m.whenDisposed()
      expect(spy).toHaveBeenCalledTimes(1)
      expect(String(spy.mock.calls[0]?.[0])).toContain('[disp] disposal function threw')
    } finally {
      spy.mockRestore()
    }
  })

  it('stops when Disposing ends early; the functions not run yet run on the next Disposing', async () => {
    const { m, h } = mk()
    const g = gate()
    let signal: AbortSignal | undefined
    const later = vi.fn()
    m.add('RegisterDisposal', { disposal: (_: string, s: AbortSignal) => ((signal = s), g.fn('', s)) })
    m.add('RegisterDisposal', { disposal: later })
    m.add('Disposing')
    await vi.waitFor(() => expect(g.started()).toBe(true))
    m.remove('Disposing')
    expect(signal?.aborted).toBe(true)
    g.release()
    await new Promise((r) => setTimeout(r, 5))
    expect(later).not.toHaveBeenCalled()
    expect(m.is('Disposed')).toBe(false)
    expect(m.disposed).toBe(false)
    expect(h.pending).toBe(1)
    m.add('Disposing')
    await m.whenDisposed()
    expect(later).toHaveBeenCalledWith('disp', expect.any(AbortSignal))
  })

  it('adding Disposed directly disposes at once (functions registered are not run)', () => {
    const { m } = mk()
    const fn = vi.fn()
    m.add('RegisterDisposal', { disposal: fn })
    m.add('Disposed')
    expect(m.disposed).toBe(true)
    expect(fn).not.toHaveBeenCalled()
  })
})

describe('registerDisposal() and dispose()', () => {
  it('use the Disposed states when the schema has them', async () => {
    const { m, h } = mk()
    const fn = vi.fn()
    registerDisposal(m, fn)
    expect(h.pending).toBe(1)
    expect(m.tick('RegisterDisposal')).toBe(1)
    const done = dispose(m)
    expect(m.is('Disposing')).toBe(true)
    expect(m.disposed).toBe(false)
    await done
    expect(m.disposed).toBe(true)
    expect(fn).toHaveBeenCalledWith('disp', expect.any(AbortSignal))
  })

  it('fall back to onDispose / dispose() without them', async () => {
    const m = new Machine(schema({ A: {} }), { id: 'plain' })
    const fn = vi.fn((_id: string, signal: AbortSignal) => void expect(signal.aborted).toBe(false))
    registerDisposal(m, fn)
    expect(fn).not.toHaveBeenCalled()
    const done = dispose(m)
    expect(m.disposed).toBe(true)
    expect(fn).toHaveBeenCalledTimes(1)
    await expect(done).resolves.toBeUndefined()
    await expect(dispose(m)).resolves.toBeUndefined()
  })

  it('bad input: disposed machine, not a function, timeouts', async () => {
    const m = new Machine(schema({ A: {} }), { id: 'gone' })
    expect(() => registerDisposal(m, 'x' as unknown as DisposalFn)).toThrow(TypeError)
    m.dispose()
    expect(() => registerDisposal(m, () => undefined)).toThrow(DisposedError)
    const { m: stuck } = mk()
    stuck.bind({ DisposingEnter: () => false })
    expect(() => dispose(stuck, { timeout: -1 })).toThrow(RangeError)
    await expect(dispose(stuck, { timeout: 10 })).rejects.toThrow('machine disp: whenDisposed() timed out after 10 ms')
  })
})
