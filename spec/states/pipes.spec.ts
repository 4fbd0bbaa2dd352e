/**
 * Pipes: each kind mirrors states of a source machine into a target one microtask after the source's transition.
 */
import { describe, expect, it } from 'vitest'
import { type Event, Machine, Result, schema } from '../../lib/machine/index.js'
import { pendingWaiters } from '../../lib/machine/internals.js'
import { ConnectedSchema, pipe } from '../../lib/states/index.js'
import { bindings, flush, mk, sorted } from './pipe-fixtures.js'

describe('pipe.add / pipe.remove', () => {
  it('add mirrors activations one microtask later, with a copy of the args', async () => {
    const { src, dst } = mk()
    const p = pipe.add(src, dst, 'A')
    const seen: unknown[] = []
    dst.bind({ AState: (e: Event) => void seen.push(e.args) })
    const args = { id: 7 }
    expect(src.add('A', args)).toBe(Result.Executed)
    expect(dst.is('A')).toBe(false)
    await flush()
    expect(dst.activeStates).toEqual(['A'])
    expect(seen).toEqual([{ id: 7 }])
    expect(seen[0]).not.toBe(args)
    src.remove('A')
    await flush()
    expect(dst.is('A')).toBe(true)
    expect(p.active).toBe(true)
  })

  it('add maps to another state and forwards multi re-entries', async () => {
    const { src, dst } = mk()
    pipe.add(src, dst, 'Multi', 'Multi')
    pipe.add(src, dst, 'B', 'X')
    src.add('Multi')
    src.add('Multi')
    src.add('B')
    await flush()
    expect(dst.tick('Multi')).toBe(3)
    expect(sorted(dst)).toEqual(['Multi', 'X'])
  })

  it('remove mirrors deactivations only', async () => {
    const { src, dst } = mk()
    pipe.remove(src, dst, 'A', 'X')
    dst.add('X')
    src.add('A')
    await flush()
    expect(dst.is('X')).toBe(true)
    src.remove('A')
    await flush()
    expect(dst.is('X')).toBe(false)
  })

  it('an Err* target is added with addErrState: Exception too, and the target err is set', async () => {
    const { src, dst } = mk()
    pipe.add(src, dst, 'Fail', 'ErrUpstream')
    const err = new Error('upstream failed')
    src.add('Fail', { err })
    await flush()
    expect(sorted(dst)).toEqual(['ErrUpstream', 'Exception'])
    expect(dst.err).toBe(err)
  })
})

describe('pipe.bind / bindMany / bindAny / bindErr / bindConnected / bindStart / bindReady / sync', () => {
  it('bind mirrors both ways; with an off-state it swaps the two', async () => {
    const { src, dst } = mk()
    pipe.bind(src, dst, 'A')
    pipe.bind(src, dst, 'B', 'Up', 'Down')
    src.add(['A', 'B'])
    await flush()
    expect(sorted(dst)).toEqual(['A', 'Up'])
    src.remove(['A', 'B'])
    await flush()
    expect(dst.activeStates).toEqual(['Down'])
  })

  it('bindMany replays one source transition as one add, so target relations between them hold', async () => {
    const src = new Machine(schema({ P: {}, Q: {} }))
    const dst = new Machine(schema({ Pd: { require: ['Qd'] }, Qd: {} }))
    pipe.bindMany(src, dst, { P: 'Pd', Q: 'Qd' })
    src.add(['P', 'Q'])
    await flush()
    expect(sorted(dst)).toEqual(['Pd', 'Qd'])
    src.remove('Q')
    await flush()
    expect(dst.activeStates).toEqual([])
  })

  it('bindMany accepts a list of shared names', async () => {
    const { src, dst } = mk()
    pipe.bindMany(src, dst, ['A', 'B'])
    src.add(['A', 'B', 'Fail'])
    await flush()
    expect(sorted(dst)).toEqual(['A', 'B'])
  })

  it('bindAny mirrors every shared state but Exception and the exceptions given', async () => {
    const { src, dst } = mk()
    pipe.bindAny(src, dst, { except: ['B'] })
    src.add(['A', 'B', 'Multi', 'Only'])
    src.addErr(new Error('not mirrored'))
    await flush()
    expect(sorted(dst)).toEqual(['A', 'Multi'])
    src.remove('A')
    await flush()
    expect(dst.activeStates).toEqual(['Multi'])
  })

  it('bindErr forwards the source error to an error state of the target', async () => {
    const { src, dst } = mk()
    pipe.bindErr(src, dst, 'ErrUpstream')
    const err = new Error('disk full')
    src.addErr(err)
    await flush()
    expect(sorted(dst)).toEqual(['ErrUpstream', 'Exception'])
    expect(dst.err).toBe(err)
    const plain = new Machine(schema({ A: {} }))
    pipe.bindErr(src, plain)
    src.addErr(new Error('again'))
    await flush()
    expect(plain.activeStates).toEqual(['Exception'])
  })

  it('bindConnected maps the connection states', async () => {
    const conn = new Machine(ConnectedSchema)
    const app = new Machine(schema({ Dialing: {}, Online: {}, Offline: {} }))
    pipe.bindConnected(conn, app, { connecting: 'Dialing', connected: 'Online', disconnected: 'Offline' })
    conn.add('Start')
    await flush()
    expect(app.activeStates).toEqual(['Offline'])
    conn.add('Connecting')
    await flush()
    expect(app.activeStates).toEqual(['Dialing'])
    conn.add('Connected')
    await flush()
    expect(app.activeStates).toEqual(['Online'])
    conn.add('Disconnecting')
    await flush()
    expect(app.activeStates).toEqual([])
  })

  it('bindStart and bindReady', async () => {
    const a = new Machine(ConnectedSchema)
    const b = new Machine(schema({ Start: {}, WorkerReady: {}, WorkerBusy: {} }))
    pipe.bindStart(a, b)
    pipe.bindReady(a, b, 'WorkerReady', 'WorkerBusy')
    a.add('Start')
    await flush()
    expect(b.activeStates).toEqual(['Start']) // no off-state until Ready ends
    a.add('Ready')
    await flush()
    expect(sorted(b)).toEqual(['Start', 'WorkerReady'])
    a.remove('Start')
    await flush()
    expect(b.activeStates).toEqual(['WorkerBusy'])
  })

  it('sync copies the current states once, synchronously', () => {
    const { src, dst } = mk()
    src.add('A')
    dst.add(['B', 'Y'])
    pipe.sync(src, dst, { A: 'X', B: 'B' })
    expect(sorted(dst)).toEqual(['X', 'Y'])
    expect(bindings(src)).toBe(0)
    expect(pendingWaiters(dst)).toBe(0)
  })
})
