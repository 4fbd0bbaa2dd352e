/**
 * The Stately inspector bridge (issue 16 item 3): the frames of a scripted sequence, the generated statechart,
 * children and cross-machine sources, the inspector path (`createInspector` of `@statelyai/inspect`), the frame
 * types checked against the package's own, a relay through its `createInspectorServer` on 127.0.0.1, and that the
 * bridge never throws into a machine.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { Machine, schema, type Event } from '../../lib/index.js'
import {
  STATELY_PROTOCOL_VERSION, inspectMachine, parseStatelyFrame, statechartOf, type StatelyActorFrame,
  type StatelyEventFrame, type StatelyFrame, type StatelyInspectorLike, type StatelySnapshotFrame,
} from '../../lib/telemetry/index.js'
import { runChild } from '../support/child.js'

const ss = schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Busy: { remove: ['Ready'] } })

/** Frames without the fields that vary (time, generated ids), `definition` parsed. */
function strip(f: StatelyFrame): Record<string, unknown> {
  expect(f._version).toBe(STATELY_PROTOCOL_VERSION)
  expect(Number(f.createdAt)).toBeGreaterThan(0)
  const { createdAt: _c, id: _i, _version: _v, ...rest } = f
  return rest.type === '@xstate.actor' ? { ...rest, definition: JSON.parse(rest.definition) as unknown } : rest
}

const off = { Start: 'off', Ready: 'off', Busy: 'off', Exception: 'off' }
const zero = { Start: 0, Ready: 0, Busy: 0, Exception: 0 }

describe('inspectMachine: frames', () => {
  it('an actor with its statechart, an event per mutation, a snapshot per transition, stopped on dispose', () => {
    const m = new Machine(ss, { id: 'app' })
    m.bind({ BusyEnter: (e: Event) => e.args.ok !== false }, { id: 'h' })
    const frames: StatelyFrame[] = []
    inspectMachine(m, { send: (f) => void frames.push(f), args: ['id'] })
    m.add('Start')
    m.add('Busy', { ok: false, id: 1, secret: 's' })
    m.canAdd('Busy') // a dry run: no frame
    m.dispose()
    const active = { status: 'active', output: undefined, error: undefined }
    const on2 = { ...off, Start: 'on', Ready: 'on' }
    const t2 = { ...zero, Start: 1, Ready: 1 }
    expect(frames.map(strip)).toEqual([
      { type: '@xstate.actor', sessionId: 'app', name: 'app', parentId: undefined, rootId: 'app',
        definition: statechartOf(ss, 'app'), snapshot: { ...active, value: off, context: { time: zero, queueTick: 1 } } },
      { type: '@xstate.event', sessionId: 'app', rootId: 'app', sourceId: undefined,
        event: { type: 'add', states: ['Start'], auto: false } },
      // Ready's auto mutation is queued (prepended) while Start's transition ends
      { type: '@xstate.event', sessionId: 'app', rootId: 'app', sourceId: undefined,
        event: { type: 'add', states: ['Ready'], auto: true } },
      { type: '@xstate.snapshot', sessionId: 'app', rootId: 'app',
        event: { type: 'add', states: ['Start'], auto: false, result: 'executed' },
        snapshot: { ...active, value: { ...off, Start: 'on' }, context: { time: { ...zero, Start: 1 }, queueTick: 2 } } },
      { type: '@xstate.snapshot', sessionId: 'app', rootId: 'app',
        event: { type: 'add', states: ['Ready'], auto: true, result: 'executed' },
        snapshot: { ...active, value: on2, context: { time: t2, queueTick: 2 } } },
      { type: '@xstate.event', sessionId: 'app', rootId: 'app', sourceId: undefined,
        event: { type: 'add', states: ['Busy'], auto: false, args: { id: '1' } } },
      { type: '@xstate.snapshot', sessionId: 'app', rootId: 'app',
        event: { type: 'add', states: ['Busy'], auto: false, args: { id: '1' }, result: 'canceled', canceledBy: 'BusyEnter' },
        snapshot: { ...active, value: on2, context: { time: t2, queueTick: 3 } } },
      { type: '@xstate.snapshot', sessionId: 'app', rootId: 'app', event: { type: 'xstate.stop' },
        snapshot: { ...active, status: 'stopped', value: on2, context: { time: t2, queueTick: 3 } } },
    ])
    expect(new Set(frames.map((f) => f.id)).size).toBe(frames.length)
  })

  it('the statechart: a parallel state, a region per state with off/on, relations in description and meta', () => {
    const s = schema({ A: { tags: ['x'] }, B: { auto: true, multi: true, require: ['A'], add: ['C'], remove: ['D'],
      after: ['A'] }, C: {}, D: {} })
    const chart = statechartOf(s, 'm')
    expect(chart.id).toBe('m')
    expect(chart.type).toBe('parallel')
    expect(Object.keys(chart.states)).toEqual(['A', 'B', 'C', 'D', 'Exception'])
    expect(chart.states.B).toEqual({
      initial: 'off', description: 'auto; multi; requires A; adds C; removes D; after A',
      meta: { require: ['A'], add: ['C'], remove: ['D'], after: ['A'], auto: true, multi: true, tags: [] },
      states: { off: { on: { add: { target: 'on' }, set: { target: 'on' } } },
        on: { on: { remove: { target: 'off' }, set: { target: 'off' }, add: { target: 'on', reenter: true } } } },
    })
    expect(chart.states.A?.description).toBe('tags x')
    expect(chart.states.C?.states.on.on).toEqual({ remove: { target: 'off' }, set: { target: 'off' } })
  })

  it('children are child actors (parentId, rootId); a handler of one machine is the source of its mutations', () => {
    const parent = new Machine(schema({ Go: {} }), { id: 'p' })
    const frames: StatelyFrame[] = []
    inspectMachine(parent, { send: (f) => void frames.push(f) })
    const child = new Machine(schema({ Job: {} }), { id: 'c', parent })
    parent.bind({ GoState: () => void child.add('Job') }, { id: 'h' })
    parent.add('Go')
    const actor = frames.find((f): f is StatelyActorFrame => f.type === '@xstate.actor' && f.sessionId === 'c')
    expect(actor && { parentId: actor.parentId, rootId: actor.rootId }).toEqual({ parentId: 'p', rootId: 'p' })
    const ev = frames.filter((f): f is StatelyEventFrame => f.type === '@xstate.event')
      .map((f) => [f.sessionId, f.event.states, f.sourceId, f.rootId])
    expect(ev).toEqual([['p', ['Go'], undefined, 'p'], ['c', ['Job'], 'p', 'p']])
    child.add('Job') // not made by a handler: no source
    expect(frames.at(-2)).toMatchObject({ type: '@xstate.event', sourceId: undefined })
    expect(frames.at(-1)).toMatchObject({ type: '@xstate.snapshot', snapshot: { value: { Job: 'on' } } })
  })

  it('detach stops the frames; children: false leaves sub-machines out', () => {
    const m = new Machine(ss, { id: 'd' })
    const frames: StatelyFrame[] = []
    const bridge = inspectMachine(m, { send: (f) => void frames.push(f), children: false })
    new Machine(ss, { id: 'sub', parent: m }).add('Start')
    expect(frames.map((f) => f.sessionId)).toEqual(['d'])
    bridge.detach()
    bridge.detach()
    m.add('Start')
    m.dispose()
    expect(frames).toHaveLength(1)
    expect(bridge.detached).toBe(true)
  })

  it('a throwing send never reaches the machine; maxErrors in a row detach the bridge', () => {
    const m = new Machine(ss, { id: 'x' })
    let calls = 0
    const bridge = inspectMachine(m, { send: () => { calls++; throw new Error('down') }, maxErrors: 3 })
    expect(m.add('Start')).toBe(0)
    expect(m.is(['Start', 'Ready'])).toBe(true)
    expect(bridge.detached).toBe(true)
    expect(bridge.errors).toBe(3)
    m.add('Busy')
    expect(calls).toBe(3)
  })

  it('a throwing args mapper becomes a "!" arg', () => {
    const m = new Machine(ss, { id: 'y' })
    const frames: StatelyFrame[] = []
    inspectMachine(m, { send: (f) => void frames.push(f), args: () => { throw new Error('no') } })
    m.add('Busy', { a: 1 })
    expect(frames[1]).toMatchObject({ type: '@xstate.event', event: { args: { '!': 'args mapper threw: no' } } })
  })

  it('validates its options with coded errors', () => {
    const m = new Machine(ss)
    const code = (fn: () => unknown): unknown => {
      try {
        fn()
      } catch (e) {
        return (e as { code?: unknown }).code
      }
      return 'no error'
    }
    const send = (): void => undefined
    expect(code(() => inspectMachine({} as never, { send }))).toBe('ERR_INVALID_ARG')
    expect(code(() => inspectMachine(m, null as never))).toBe('ERR_INVALID_ARG')
    expect(code(() => inspectMachine(m, {}))).toBe('ERR_INVALID_ARG')
    expect(code(() => inspectMachine(m, { send, inspector: { actor: send, event: send, snapshot: send } })))
      .toBe('ERR_INVALID_ARG')
    expect(code(() => inspectMachine(m, { inspector: {} as never }))).toBe('ERR_INVALID_ARG')
    expect(code(() => inspectMachine(m, { send: 1 as never }))).toBe('ERR_INVALID_ARG')
    expect(code(() => inspectMachine(m, { send, maxErrors: 0 }))).toBe('ERR_OUT_OF_RANGE')
    expect(code(() => inspectMachine(m, { send, args: 5 as never }))).toBe('ERR_INVALID_ARG')
  })

  it('parseStatelyFrame keeps the three frame types and ignores anything else', () => {
    const f = { type: '@xstate.event', sessionId: 's', event: { type: 'add' } }
    expect(parseStatelyFrame(JSON.stringify(f))).toEqual(f)
    expect(parseStatelyFrame(f)).toBe(f)
    expect(parseStatelyFrame({ type: '@xstate.microstep', sessionId: 's' })).toBeUndefined()
    expect(parseStatelyFrame({ type: '@xstate.event' })).toBeUndefined()
    expect(parseStatelyFrame('{not json')).toBeUndefined()
    expect(parseStatelyFrame(null)).toBeUndefined()
    expect(parseStatelyFrame('"@xstate.actor"')).toBeUndefined()
  })
})

describe('inspectMachine with @statelyai/inspect', () => {
  it('the library imports nothing from @statelyai/inspect or xstate (not even types)', () => {
    for (const f of ['stately.ts', 'stately-frames.ts']) {
      const src = readFileSync(new URL(`../../lib/telemetry/${f}`, import.meta.url), 'utf8')
      expect(src).not.toMatch(/from '(@statelyai|xstate)/)
    }
  })

  it('the frame types are the package\'s inspection events; its inspectors are accepted as they are', () => {
    expectTypeOf<StatelyActorFrame>().toMatchTypeOf<StatelyInspectionEvent>()
    expectTypeOf<StatelyEventFrame>().toMatchTypeOf<StatelyInspectionEvent>()
    expectTypeOf<StatelySnapshotFrame>().toMatchTypeOf<StatelyInspectionEvent>()
    expectTypeOf<StatelyFrame>().toMatchTypeOf<StatelyInspectionEvent>()
    expectTypeOf(createInspector({ send: () => undefined })).toMatchTypeOf<StatelyInspectorLike>()
    // and at run time: every frame is accepted where the package takes an event (its adapters' send)
    const sent: StatelyInspectionEvent[] = []
    const m = new Machine(ss, { id: 'typed' })
    inspectMachine(m, { send: (f) => void sent.push(f) })
    m.add('Start')
    expect(sent.map((e) => e.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.event', '@xstate.snapshot',
      '@xstate.snapshot'])
  })

  it('through createInspector: the actor carries the statechart and its parent; events name their source', () => {
    const sent: StatelyInspectionEvent[] = []
    const inspector = createInspector({ send: (e) => void sent.push(e) })
    const parent = new Machine(schema({ Go: {} }), { id: 'p2' })
    inspectMachine(parent, { inspector })
    const child = new Machine(ss, { id: 'c2', parent })
    parent.bind({ GoState: () => void child.add('Start') }, { id: 'h' })
    parent.add('Go')
    const actors = sent.filter((e) => e.type === '@xstate.actor')
    expect(actors.map((a) => [a.sessionId, a.name, a.parentId, a.rootId])).toEqual([
      ['p2', 'p2', undefined, undefined], ['c2', 'c2', 'p2', 'p2']])
    expect(JSON.parse(actors[1]?.definition ?? 'null')).toEqual(statechartOf(ss, 'c2'))
    const childEvent = sent.find((e) => e.type === '@xstate.event' && e.sessionId === 'c2')
    expect(childEvent).toMatchObject({ sourceId: 'p2', event: { type: 'add', states: ['Start'] } })
    expect(sent.findLast((e) => e.type === '@xstate.snapshot' && e.sessionId === 'c2')).toMatchObject({
      snapshot: { status: 'active', value: { Start: 'on', Ready: 'on' } }, event: { result: 'executed' } })
  })

  it('relayed through createInspectorServer on 127.0.0.1 to a client (in a child process)', async () => {
    // the relay cannot listen on port 0 or report a listen error: a free port is taken first, and the test runs in
    // a child so that an unlikely EADDRINUSE cannot kill the runner
    const req = createRequire(import.meta.url)
    const url = (id: string): string => JSON.stringify(pathToFileURL(req.resolve(id)).href)
    const run = await runChild(`
      import { createServer } from 'node:net'
      const { createInspectorServer } = await import(${url('@statelyai/inspect/server')})
      const { createWebSocketInspector } = await import(${url('@statelyai/inspect')})
      const WebSocket = (await import(${url('ws')})).default
      import { Machine, schema } from 'polymachine-src'
      import { inspectMachine, parseStatelyFrame } from 'polymachine-src/telemetry'
      const port = await new Promise((ok) => { const s = createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port; s.close(() => ok(p)) }) })
      const relay = createInspectorServer({ port, autoOpen: false })
      await new Promise((ok) => setTimeout(ok, 100))
      const ui = new WebSocket('ws://127.0.0.1:' + port)
      const got = []
      ui.on('message', (d) => { const f = parseStatelyFrame(String(d)); if (f) got.push(f) })
      await new Promise((ok, fail) => { ui.once('open', ok); ui.once('error', fail) })
      // one machine through the package's own WebSocket inspector, one through a send function on a raw socket
      const inspector = createWebSocketInspector({ url: 'ws://127.0.0.1:' + port })
      const a = new Machine(schema({ Start: {}, Ready: { auto: true, require: ['Start'] } }), { id: 'a' })
      inspectMachine(a, { inspector })
      a.add('Start')
      const raw = new WebSocket('ws://127.0.0.1:' + port)
      await new Promise((ok, fail) => { raw.once('open', ok); raw.once('error', fail) })
      const b = new Machine(schema({ Go: {} }), { id: 'b' })
      inspectMachine(b, { send: (f) => raw.send(JSON.stringify(f)) })
      b.add('Go')
      for (let i = 0; i < 100 && got.length < 8; i++) await new Promise((ok) => setTimeout(ok, 20))
      console.log(JSON.stringify(got.map((f) => [f.type, f.sessionId, f.type === '@xstate.actor'
        ? JSON.parse(f.definition).type : f.type === '@xstate.snapshot' ? f.snapshot.value : f.event.states])))
      inspector.stop(); raw.close(); ui.close(); relay.stop()
      process.exit(0)
    `, 20_000)
    expect(run.stderr).toBe('')
    expect(run.faults).toBe(0)
    const got = JSON.parse(run.stdout.trim()) as unknown[]
    const byA = got.filter((g) => (g as string[])[1] === 'a')
    const byB = got.filter((g) => (g as string[])[1] === 'b')
    expect(byA).toEqual([
      ['@xstate.actor', 'a', 'parallel'], ['@xstate.event', 'a', ['Start']], ['@xstate.event', 'a', ['Ready']],
      ['@xstate.snapshot', 'a', { Start: 'on', Ready: 'off', Exception: 'off' }],
      ['@xstate.snapshot', 'a', { Start: 'on', Ready: 'on', Exception: 'off' }]])
    expect(byB).toEqual([['@xstate.actor', 'b', 'parallel'], ['@xstate.event', 'b', ['Go']],
      ['@xstate.snapshot', 'b', { Go: 'on', Exception: 'off' }]])
  }, 30_000)
})
