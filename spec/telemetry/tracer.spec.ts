/**
 * The debugger tracer's capture (issue 16 item 1): the records of a scripted transition sequence, cross-machine
 * causality, queued/canceled/auto/check records, the args mapper, and that the tracer never throws into a machine.
 */
import { describe, expect, it } from 'vitest'
import { Machine, schema, type Event } from '../../lib/index.js'
import { DbgTracer, type DbgSchema, type DbgSink, type DbgTx } from '../../lib/telemetry/index.js'

type Rec = ['schema', DbgSchema] | ['tx', Omit<DbgTx, 'at'>] | ['dispose', string]

function recorder(): { sink: DbgSink; recs: Rec[] } {
  const recs: Rec[] = []
  return {
    recs,
    sink: {
      machine: (_id, snap) => void recs.push(['schema', snap()]),
      tx: (t) => {
        const { at, ...rest } = t
        expect(typeof at).toBe('number')
        recs.push(['tx', rest])
      },
      dispose: (id) => void recs.push(['dispose', id]),
    },
  }
}

const tx = (r: Rec[]): Array<Omit<DbgTx, 'at'>> => r.flatMap((x) => (x[0] === 'tx' ? [x[1]] : []))

describe('DbgTracer: records', () => {
  it('a scripted sequence: schema once, then executed, auto, queued, canceled records with clocks and steps', () => {
    const { sink, recs } = recorder()
    const t = new DbgTracer(sink, { argsMapper: (a) => (a.id === undefined ? undefined : { id: String(a.id) }) })
    const ss = schema({ Start: { tags: ['root'] }, Ready: { auto: true, require: ['Start'] }, Busy: { remove: ['Ready'] } })
    const m = new Machine(ss, { id: 'm', tags: ['svc'], tracers: [t] })
    m.bind({
      StartState: (e: Event) => void e.machine.add('Busy', { id: 7 }),
      BusyEnter: (e: Event) => e.args.id !== 8,
    }, { id: 'h' })
    m.add('Start')
    m.add('Busy', { id: 8 })
    expect(recs[0]).toEqual(['schema', {
      type: 2, machineId: 'm', parentId: null, tags: ['svc'], queueTick: 1, time: [0, 0, 0, 0],
      states: [['Start', 0, [], [], [], [], ['root']], ['Ready', 1, [0], [], [], [], []], ['Busy', 0, [], [], [1], [], []],
        ['Exception', 2, [], [], [], [], []]],
    }])
    const common = { type: 3, machineId: 'm', canceledBy: null }
    expect(tx(recs)).toEqual([
      // Busy queued by StartState: the machine is running, so it waits
      { ...common, txId: 2, mutation: 'add', called: [2], result: 'queued', flags: 0, clock: [], queueTick: 3,
        queueLen: 1, steps: null, args: { id: '7' }, source: ['m', 1] },
      { ...common, txId: 1, mutation: 'add', called: [0], result: 'executed', flags: 0, clock: [1, 0, 0, 0],
        queueTick: 2, queueLen: 1, steps: [[0], [0], []], args: null, source: null },
      // the auto round runs before the queued mutation
      { ...common, txId: 3, mutation: 'add', called: [1], result: 'executed', flags: 1, clock: [1, 1, 0, 0],
        queueTick: 2, queueLen: 1, steps: [[0, 1], [1], []], args: null, source: null },
      { ...common, txId: 4, mutation: 'add', called: [2], result: 'executed', flags: 0, clock: [1, 2, 1, 0],
        queueTick: 3, queueLen: 0, steps: [[2, 0], [2], [1]], args: { id: '7' }, source: ['m', 1] },
      // already active, not multi: executed without a change (the negotiation does not run)
      { ...common, txId: 5, mutation: 'add', called: [2], result: 'executed', flags: 0, clock: [1, 2, 1, 0],
        queueTick: 4, queueLen: 0, steps: [[2, 0], [], []], args: { id: '8' }, source: null },
    ])
    m.remove('Busy')
    m.add('Busy', { id: 8 })
    expect(tx(recs).at(-1)).toMatchObject({ txId: 8, result: 'canceled', canceledBy: 'BusyEnter', clock: [1, 3, 2, 0],
      steps: [[2, 0], [2], [1]] }) // a canceled record's steps are what it would have done
  })

  it('cross-machine causality: a mutation made inside a handler of another machine names that transition', () => {
    const { sink, recs } = recorder()
    const t = new DbgTracer(sink)
    const worker = new Machine(schema({ Job: {}, Done: {} }), { id: 'w', tracers: [t] })
    const main = new Machine(schema({ Go: {} }), { id: 'main', tracers: [t] })
    worker.bind({ JobState: (e: Event) => void e.machine.add('Done') }, { id: 'wh' })
    main.bind({ GoState: () => void worker.add('Job') }, { id: 'mh' })
    main.add('Go')
    worker.remove('Job')
    const src = tx(recs).map((r) => `${r.machineId}#${r.txId}:${r.result}<-${r.source?.join('#') ?? '-'}`)
    expect(src).toEqual([
      'w#2:queued<-w#1', // Done, queued by JobState while w runs
      'w#1:executed<-main#1', // Job, made by main's GoState: w was idle, so it ran at once
      'w#3:executed<-w#1',
      'main#1:executed<--',
      'w#4:executed<--', // made outside any handler
    ])
  })

  it('an async handler loses the source after its first await (documented limit)', async () => {
    const { sink, recs } = recorder()
    const t = new DbgTracer(sink)
    const b = new Machine(schema({ X: {} }), { id: 'b', tracers: [t] })
    const a = new Machine(schema({ A: {} }), { id: 'a', tracers: [t] })
    let done!: () => void
    const over = new Promise<void>((r) => (done = r))
    a.bind({ AState: async () => {
      await Promise.resolve()
      b.add('X')
      done()
    } }, { id: 'h' })
    a.add('A')
    await over
    expect(tx(recs).find((r) => r.machineId === 'b')?.source).toBeNull()
  })

  it('checks are flagged; sub-machines are traced through newSubmachine (children: true)', () => {
    const { sink, recs } = recorder()
    const t = new DbgTracer(sink)
    const parent = new Machine(schema({ P: {} }), { id: 'p', tracers: [t] })
    const child = new Machine(schema({ C: {} }), { id: 'c', parent })
    expect(child.canAdd('C')).toBe(0)
    child.add('C')
    child.dispose()
    const kinds = recs.map((r) => (r[0] === 'tx' ? `tx ${r[1].machineId} ${r[1].flags}` : r[0] === 'schema'
      ? `schema ${r[1].machineId} ${r[1].parentId}` : `dispose ${r[1]}`))
    expect(kinds).toEqual(['schema p null', 'schema c p', 'tx c 2', 'tx c 0', 'dispose c'])
    const noKids = recorder()
    const t2 = new DbgTracer(noKids.sink, { children: false })
    const p2 = new Machine(schema({ P: {} }), { tracers: [t2] })
    new Machine(schema({ C: {} }), { parent: p2 }).add('C')
    expect(noKids.recs.map((r) => r[0])).toEqual(['schema'])
  })

  it('a throwing argsMapper, a throwing sink and a stopped tracer never reach the machine', () => {
    const { sink, recs } = recorder()
    const t = new DbgTracer(sink, { argsMapper: () => {
      throw new Error('nope')
    } })
    const m = new Machine(schema({ A: {}, B: {} }), { tracers: [t] })
    m.add('A', { x: 1 })
    expect(tx(recs)[0]?.args).toEqual({ '!': 'argsMapper threw: nope' })
    const bad = new DbgTracer({ machine: () => undefined, tx: () => {
      throw new Error('sink down')
    }, dispose: () => undefined })
    const m2 = new Machine(schema({ A: {} }), { tracers: [bad] })
    expect(m2.add('A')).toBe(0)
    expect(m2.is('Exception')).toBe(false)
    t.stop()
    const before = recs.length
    m.add('B')
    m.remove('B')
    expect(recs.length).toBe(before)
    expect(t.stopped).toBe(true)
    // left the machine at its first hook after stop()
    expect(m.detachTracer(t)).toBe(false)
  })
})
