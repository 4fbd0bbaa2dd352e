/**
 * Pipes never block the source (the target runs later, can refuse or fail), and are removed by dispose() or when
 * either machine is disposed, leaving no binding or waiter behind. Bad input throws.
 */
import { describe, expect, it } from 'vitest'
import { DisposedError, Result, UnknownStateError } from '../../lib/machine/index.js'
import { internals, pendingWaiters } from '../../lib/machine/internals.js'
import { pipe } from '../../lib/states/index.js'
import { bindings, flush, mk, sorted } from './pipe-fixtures.js'

describe('pipes do not block the source', () => {
  it('the target can refuse or fail without touching the source', async () => {
    const { src, dst } = mk()
    pipe.bindMany(src, dst, ['A', 'B'])
    dst.bind({ AEnter: () => false, BState: () => { throw new Error('target handler') } })
    expect(src.add('A')).toBe(Result.Executed)
    expect(src.add('B')).toBe(Result.Executed)
    await flush()
    expect(sorted(src)).toEqual(['A', 'B'])
    expect(src.is('Exception')).toBe(false)
    expect(dst.activeStates).toEqual(['Exception'])
  })

  it('target handlers run after the source transition, not on its stack', async () => {
    const { src, dst } = mk()
    pipe.add(src, dst, 'A')
    const results: number[] = []
    dst.bind({ AState: () => void results.push(src.add('B'), src.queueLen) })
    src.add('A')
    expect(results).toEqual([])
    await flush()
    // Had it run inside the source's transition, add('B') would have been queued (a queue tick ≥ 2).
    expect(results).toEqual([Result.Executed, 0])
  })

  it('two-way pipes settle', async () => {
    const { src, dst } = mk()
    pipe.bind(src, dst, 'A')
    pipe.bind(dst, src, 'A')
    src.add('A')
    await flush()
    expect([src.tick('A'), dst.tick('A')]).toEqual([1, 1])
    dst.remove('A')
    await flush()
    expect([src.tick('A'), dst.tick('A')]).toEqual([2, 2])
  })

  it('a change the source rolled back (a later State handler threw) is not replayed', async () => {
    const { src, dst } = mk()
    pipe.bindMany(src, dst, ['A', 'B'])
    src.bind({ BState: () => { throw new Error('B failed') } })
    src.add(['A', 'B'])
    expect(sorted(src)).toEqual(['A', 'Exception'])
    await flush()
    expect(dst.activeStates).toEqual(['A'])
  })
})

describe('pipe removal', () => {
  it('dispose() unbinds and unregisters; later changes are not mirrored', async () => {
    const { src, dst } = mk()
    const p = pipe.bind(src, dst, 'A')
    expect(bindings(src)).toBe(1)
    expect([pendingWaiters(src), pendingWaiters(dst)]).toEqual([1, 1])
    p.dispose()
    p.dispose()
    expect(p.active).toBe(false)
    expect(bindings(src)).toBe(0)
    await flush()
    expect([pendingWaiters(src), pendingWaiters(dst)]).toEqual([0, 0])
    src.add('A')
    await flush()
    expect(dst.is('A')).toBe(false)
  })

  it('a change made right before dispose() is dropped', async () => {
    const { src, dst } = mk()
    const p = pipe.add(src, dst, 'A')
    src.add('A')
    p.dispose()
    await flush()
    expect(dst.is('A')).toBe(false)
  })

  it('works with `using`', async () => {
    const { src, dst } = mk()
    {
      using p = pipe.add(src, dst, 'A')
      expect(p.active).toBe(true)
    }
    await flush()
    expect(bindings(src)).toBe(0)
    expect(pendingWaiters(dst)).toBe(0)
  })

  it('disposing the target removes the pipe from the source', async () => {
    const { src, dst } = mk()
    const p = pipe.bindMany(src, dst, ['A', 'B'])
    src.add('A')
    dst.dispose()
    await flush()
    expect(p.active).toBe(false)
    expect(bindings(src)).toBe(0)
    expect(pendingWaiters(src)).toBe(0)
    expect(src.add('B')).toBe(Result.Executed)
  })

  it('disposing the source removes the pipe and the target registration', async () => {
    const { src, dst } = mk()
    const p = pipe.add(src, dst, 'A')
    src.dispose()
    await flush()
    expect(p.active).toBe(false)
    expect(pendingWaiters(dst)).toBe(0)
    expect(internals(dst).disposeFns ?? []).toEqual([])
  })

  it('a pipe from a machine to itself', async () => {
    const { src } = mk()
    const p = pipe.bind(src, src, 'A', 'B')
    src.add('A')
    await flush()
    expect(sorted(src)).toEqual(['A', 'B'])
    src.dispose()
    await flush()
    expect(p.active).toBe(false)
  })
})

describe('pipe bad input', () => {
  it('unknown states throw UnknownStateError naming the machine', () => {
    const { src, dst } = mk()
    expect(() => pipe.add(src, dst, 'Only' as 'A')).toThrow(UnknownStateError) // the target lacks it
    expect(() => pipe.add(src, dst, 'Only' as 'A')).toThrow("machine dst: unknown state 'Only' in pipe.add()")
    expect(() => pipe.bind(src, dst, 'Nope' as 'A')).toThrow("machine src: unknown state 'Nope' in pipe.bind()")
    expect(() => pipe.bindConnected(src, dst, { connected: 'X' })).toThrow("machine src: unknown state 'Connected'")
    expect(() => pipe.bindMany(src, dst, 'A' as unknown as ['A'])).toThrow(TypeError)
    expect(bindings(src)).toBe(0)
  })

  it('a disposed machine throws DisposedError', () => {
    const { src, dst } = mk()
    dst.dispose()
    expect(() => pipe.add(src, dst, 'A')).toThrow(DisposedError)
    expect(() => pipe.sync(src, dst, ['A'])).toThrow(DisposedError)
  })

  it('state names are type-checked', () => {
    const { src, dst } = mk()
    // @ts-expect-error 'Only' is not a state of the target
    expect(() => pipe.add(src, dst, 'Only')).toThrow(UnknownStateError)
    // @ts-expect-error 'Nope' is not a state of the source
    expect(() => pipe.add(src, dst, 'Nope', 'A')).toThrow(UnknownStateError)
    // @ts-expect-error 'Fail' is not a state of the target
    expect(() => pipe.bindMany(src, dst, { A: 'Fail' })).toThrow(UnknownStateError)
  })
})
