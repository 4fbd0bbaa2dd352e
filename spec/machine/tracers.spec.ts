/**
 * Tracers (the hooks of asyncmachine-go's tracer interface): the hook order of a transition, `machineInit` for `opts.tracers`,
 * `newSubmachine` on the parent's tracers, `bindTracer`/`detachTracer`, and a throwing tracer never breaking the
 * machine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LogLevel, Machine, Result, schema, type Event, type Tracer } from '../../lib/machine/index.js'

const ss = schema({ A: {}, B: { auto: true }, C: { require: ['D'] }, D: {} })
/** No auto states: one mutation is one transition. */
const plain = schema({ A: {}, D: {} })

/** A tracer that records every hook as one line. */
function recording(calls: string[], tag = ''): Required<Tracer> {
  const p = tag ? `${tag} ` : ''
  return {
    machineInit: (m) => void calls.push(`${p}machineInit ${m.id}`),
    newSubmachine: (parent, child) => void calls.push(`${p}newSubmachine ${parent.id} ${child.id}`),
    mutationQueued: (m, mut) =>
      void calls.push(`${p}mutationQueued ${m.id} ${mut.type} ${mut.calledStates.join(',')} tick=${mut.queueTick}` +
        `${mut.isAuto ? ' auto' : ''}`),
    transitionInit: (tx) => void calls.push(`${p}transitionInit ${tx.calledStates.join(',')}`),
    transitionStart: (tx) => void calls.push(`${p}transitionStart ${tx.calledStates.join(',')}`),
    handlerStart: (tx, id, name) => void calls.push(`${p}handlerStart ${id} ${name}`),
    handlerEnd: (tx, id, name) => void calls.push(`${p}handlerEnd ${id} ${name}`),
    transitionEnd: (tx) =>
      void calls.push(`${p}transitionEnd ${tx.calledStates.join(',')} ` +
        `${tx.isCheck ? 'check' : tx.accepted ? 'accepted' : `canceledBy=${tx.canceledBy}`}`),
    queueEnd: (m) => void calls.push(`${p}queueEnd ${m.id}`),
    machineDispose: (id) => void calls.push(`${p}machineDispose ${id}`),
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('tracers: hook order', () => {
  it('one transition: machineInit, mutationQueued, transitionInit/Start, handlerStart/End, transitionEnd, queueEnd, machineDispose', () => {
    const calls: string[] = []
    const m = new Machine(schema({ A: {}, D: {} }), { id: 't1', tracers: [recording(calls)] })
    m.bind({ AEnter: () => true, AState: () => undefined, AnyState: () => undefined }, { id: 'h' })
    m.bind({ AState: () => undefined }, { id: 'h2' })
    m.add('A')
    m.dispose()
    expect(calls).toEqual([
      'machineInit t1',
      'mutationQueued t1 add A tick=2',
      'transitionInit A',
      'transitionStart A',
      'handlerStart h AEnter',
      'handlerEnd h AEnter',
      'handlerStart h AState',
      'handlerEnd h AState',
      'handlerStart h2 AState',
      'handlerEnd h2 AState',
      'handlerStart h AnyState',
      'handlerEnd h AnyState',
      'transitionEnd A accepted',
      'queueEnd t1',
      'machineDispose t1',
    ])
  })

  it('a queue run: queued (with their queue tick) and prepended auto mutations, one queueEnd at the end', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 't2', tracers: [recording(calls)] })
    m.bind({ AState: (e: Event) => void e.machine.add('D') }, { id: 'h' })
    m.add('A')
    expect(calls).toEqual([
      'machineInit t2',
      'mutationQueued t2 add A tick=2',
      'transitionInit A',
      'transitionStart A',
      'handlerStart h AState',
      'mutationQueued t2 add D tick=3',
      'handlerEnd h AState',
      'mutationQueued t2 add B tick=0 auto',
      'transitionEnd A accepted',
      'transitionInit B',
      'transitionStart B',
      'transitionEnd B accepted',
      'transitionInit D',
      'transitionStart D',
      'transitionEnd D accepted',
      'queueEnd t2',
    ])
  })

  it('canceled, relation-rejected and check transitions end with transitionEnd too', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 't3', tracers: [recording(calls)] })
    m.bind({ AEnter: () => false }, { id: 'h' })
    expect(m.add('A')).toBe(Result.Canceled)
    expect(m.add('C')).toBe(Result.Canceled)
    expect(m.canAdd('D')).toBe(Result.Executed)
    expect(calls).toEqual([
      'machineInit t3',
      'mutationQueued t3 add A tick=2',
      'transitionInit A',
      'transitionStart A',
      'handlerStart h AEnter',
      'handlerEnd h AEnter',
      'transitionEnd A canceledBy=AEnter',
      'queueEnd t3',
      'mutationQueued t3 add C tick=3',
      'transitionInit C',
      'transitionEnd C canceledBy=relations',
      'queueEnd t3',
      'transitionInit D',
      'transitionStart D',
      'transitionEnd D check',
      'queueEnd t3',
    ])
  })

  it('hooks see the transition as it progresses: targets at init, accepted and timeAfter at the end', () => {
    const seen: string[] = []
    const t: Tracer = {
      transitionInit: (tx) => void seen.push(`init ${tx.targetStates.join(',')} ${tx.accepted} ${tx.timeAfter.join('')}`),
      transitionEnd: (tx) => void seen.push(`end ${tx.targetStates.join(',')} ${tx.accepted} ${tx.timeAfter.join('')}`),
    }
    const m = new Machine(schema({ A: { add: ['D'] }, D: {} }), { tracers: [t] })
    m.add('A')
    // timeAfter at init is the provisional one (asyncmachine-go's newTransition), at the end the real one
    expect(seen).toEqual(['init A,D false 110', 'end A,D true 110'])
  })
})

describe('tracers: machineInit and newSubmachine', () => {
  it('machineInit runs for opts.tracers only, in order, with the new machine', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 'mi', tracers: [recording(calls, 'one'), recording(calls, 'two')] })
    m.bindTracer(recording(calls, 'late'))
    expect(calls).toEqual(['one machineInit mi', 'two machineInit mi'])
  })

  it('creating a machine with `parent` calls newSubmachine(parent, child) on the parent’s tracers only', () => {
    const parentCalls: string[] = []
    const childCalls: string[] = []
    const parent = new Machine(ss, { id: 'parent', tracers: [recording(parentCalls)] })
    const child = new Machine(ss, { id: 'child', parent, tracers: [recording(childCalls)] })
    const grandchild = new Machine(ss, { id: 'grand', parent: child })
    expect(parentCalls).toEqual(['machineInit parent', 'newSubmachine parent child'])
    expect(childCalls).toEqual(['machineInit child', 'newSubmachine child grand'])
    expect(child.parentId).toBe('parent')
    expect(grandchild.parentId).toBe('child')
  })

  it('tracers are not inherited; a parent tracer may bind one to the child in newSubmachine', () => {
    const parentCalls: string[] = []
    const parent = new Machine(plain, { id: 'p', tracers: [recording(parentCalls)] })
    const inherit: Tracer = { newSubmachine: (_, c) => c.bindTracer(recording(parentCalls, 'inherited')) }
    parent.bindTracer(inherit)
    const child = new Machine(plain, { id: 'c', parent })
    parentCalls.length = 0
    child.add('D')
    expect(parentCalls).toEqual([
      'inherited mutationQueued c add D tick=2',
      'inherited transitionInit D',
      'inherited transitionStart D',
      'inherited transitionEnd D accepted',
      'inherited queueEnd c',
    ])
  })
})

describe('tracers: bindTracer and detachTracer', () => {
  it('bindTracer adds a tracer once; detachTracer removes it and says whether it was bound', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 'bt' })
    const t = recording(calls)
    m.add('D')
    expect(calls).toEqual([])
    m.bindTracer(t)
    m.bindTracer(t)
    m.remove('D')
    expect(calls.filter((c) => c.startsWith('transitionEnd'))).toEqual(['transitionEnd D accepted'])
    expect(m.detachTracer(t)).toBe(true)
    expect(m.detachTracer(t)).toBe(false)
    calls.length = 0
    m.add('D')
    m.dispose()
    expect(calls).toEqual([])
  })

  it('several tracers are called in bind order for each hook', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 'bo' })
    m.bindTracer(recording(calls, '1'))
    m.bindTracer(recording(calls, '2'))
    m.add('D')
    expect(calls.slice(0, 4)).toEqual([
      '1 mutationQueued bo add D tick=2', '2 mutationQueued bo add D tick=2', '1 transitionInit D', '2 transitionInit D',
    ])
  })

  it('a tracer detached from inside a hook gets no further hooks', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 'dh' })
    const t: Tracer = {
      transitionStart: (tx) => {
        calls.push('start')
        tx.machine.detachTracer(t)
      },
      transitionEnd: () => void calls.push('end'),
    }
    m.bindTracer(t)
    m.add('D')
    m.add('A')
    expect(calls).toEqual(['start'])
  })

  it('machineDispose is called once, with the id, even when dispose() is called twice', () => {
    const calls: string[] = []
    const m = new Machine(ss, { id: 'md', tracers: [recording(calls)] })
    m.dispose()
    m.dispose()
    expect(calls).toEqual(['machineInit md', 'machineDispose md'])
  })
})

describe('tracers: a throwing tracer does not break the machine', () => {
  const boom = (hook: string) => () => {
    throw new Error(`boom in ${hook}`)
  }
  const throwing: Tracer = {
    machineInit: boom('machineInit'),
    mutationQueued: boom('mutationQueued'),
    transitionInit: boom('transitionInit'),
    transitionStart: boom('transitionStart'),
    handlerStart: boom('handlerStart'),
    handlerEnd: boom('handlerEnd'),
    transitionEnd: boom('transitionEnd'),
    queueEnd: boom('queueEnd'),
    machineDispose: boom('machineDispose'),
  }

  it('the transition completes, handlers run, other tracers still get every hook', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const calls: string[] = []
    const handled: string[] = []
    const m = new Machine(ss, { id: 'tt', tracers: [throwing, recording(calls)] })
    m.bind({ AEnter: () => void handled.push('AEnter'), AState: () => void handled.push('AState') }, { id: 'h' })
    expect(m.add('A')).toBe(Result.Executed)
    expect(m.is(['A', 'B'])).toBe(true)
    expect(m.is('Exception')).toBe(false)
    expect(m.err).toBeUndefined()
    expect(handled).toEqual(['AEnter', 'AState'])
    expect(calls).toContain('transitionEnd A accepted')
    expect(calls).toContain('queueEnd tt')
    m.dispose()
    expect(calls.at(-1)).toBe('machineDispose tt')
  })

  it('each throw is reported as an [error] line naming the hook when logging, on console.error when not', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const lines: string[] = []
    const logged = new Machine(plain, { id: 'lg', logLevel: LogLevel.Changes, logger: (_, l) => lines.push(l) })
    logged.bindTracer({ transitionStart: boom('transitionStart') })
    logged.add('D')
    expect(lines).toEqual(['[lg] [error] tracer transitionStart threw: boom in transitionStart', '[lg] [state] +D'])
    expect(consoleError).not.toHaveBeenCalled()

    const silent = new Machine(ss, { id: 'sl', tracers: [{ machineInit: boom('machineInit') }] })
    silent.bindTracer({ queueEnd: boom('queueEnd') })
    silent.add('D')
    expect(silent.is('D')).toBe(true)
    expect(consoleError.mock.calls).toEqual([
      ['polymachine [sl] tracer machineInit threw: boom in machineInit'],
      ['polymachine [sl] tracer queueEnd threw: boom in queueEnd'],
    ])
  })

  it('a throwing newSubmachine does not prevent creating the child', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const parent = new Machine(ss, { id: 'par', tracers: [{ newSubmachine: boom('newSubmachine') }] })
    const child = new Machine(ss, { id: 'kid', parent })
    expect(child.parentId).toBe('par')
    expect(child.add('D')).toBe(Result.Executed)
  })
})
