/**
 * The OpenTelemetry adapter (issue 16 item 4) against the real SDK (BasicTracerProvider, SimpleSpanProcessor,
 * InMemorySpanExporter): machine, state and transition spans with their nesting and attributes, parent/child machines,
 * canceled transitions, Exception, detach, and a throwing tracer never breaking the machine.
 */
import { context, trace, type Tracer as OtelTracer } from '@opentelemetry/api'
import { StackContextManager } from '../support/otel-context.js'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan }
  from '@opentelemetry/sdk-trace-base'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { Machine, Result, schema, type Event } from '../../lib/index.js'
import { OtelAttr, traceMachine } from '../../lib/telemetry/otel-entry.js'

function sdk(): { tracer: OtelTracer; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { tracer: provider.getTracer('spec'), spans: () => exporter.getFinishedSpans() }
}

const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name)
const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = byName(spans, name)
  expect(found.map((s) => s.name)).toEqual([name])
  return found[0] as ReadableSpan
}
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId
const idOf = (s: ReadableSpan): string => s.spanContext().spanId

const ss = schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Busy: { remove: ['Ready'] },
  Tick: { multi: true } })

describe('traceMachine: spans', () => {
  it('a machine span from attach to dispose; state and transition spans under it, with attributes', () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss, { id: 'app' })
    m.add('Start')
    const tracing = traceMachine(m, { tracer, args: ['id'] })
    expect(m.add('Busy', { id: 7, secret: 's' })).toBe(Result.Executed)
    expect(m.remove('Busy')).toBe(Result.Executed)
    // Busy ended Ready's activation, removing Busy re-added Ready (auto); the machine and Start are still open
    expect(spans().map((s) => s.name).sort()).toEqual(['state Busy', 'state Ready', 'transition add Busy',
      'transition add Ready', 'transition remove Busy'])
    m.dispose()
    expect(tracing.detached).toBe(false)
    const all = spans()
    const mach = one(all, 'machine app')
    expect(mach.attributes[OtelAttr.machineId]).toBe('app')
    expect(parentOf(mach)).toBeUndefined()
    for (const s of all.filter((x) => x !== mach)) {
      expect(parentOf(s)).toBe(idOf(mach))
      expect(s.spanContext().traceId).toBe(mach.spanContext().traceId)
    }
    const add = one(all, 'transition add Busy')
    expect(add.attributes).toMatchObject({
      [OtelAttr.mutation]: 'add', [OtelAttr.called]: ['Busy'], [OtelAttr.result]: 'executed',
      [OtelAttr.enters]: ['Busy'], [OtelAttr.exits]: ['Ready'], [OtelAttr.auto]: false, 'polymachine.arg.id': '7',
    })
    expect(add.attributes['polymachine.arg.secret']).toBeUndefined()
    expect(typeof add.attributes[OtelAttr.queueTick]).toBe('number')
    expect(one(all, 'transition remove Busy').attributes[OtelAttr.exits]).toEqual(['Busy'])
    // Start was active at attach: its span opened then and ended with the machine
    const start = one(all, 'state Start')
    expect(start.attributes[OtelAttr.state]).toBe('Start')
    // a state span ends in the transition exiting the state (spans are exported in the order they end; their clocks
    // are anchored per span, so timestamps of different spans cannot be compared below a millisecond)
    const at = (name: string): number => all.findIndex((x) => x.name === name)
    expect(at('transition add Busy')).toBeLessThan(at('state Busy'))
    expect(at('state Busy')).toBeLessThan(at('transition remove Busy'))
    expect(all.every((s) => s.ended)).toBe(true)
  })

  it('auto transitions, multi re-entry (one state span per activation) and a canceled transition', () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss, { id: 'm' })
    traceMachine(m, { tracer })
    m.bind({ BusyEnter: () => false }, { id: 'h' })
    m.add('Start')
    m.add('Tick')
    m.add('Tick')
    expect(m.add('Busy')).toBe(Result.Canceled)
    m.dispose()
    const all = spans()
    expect(one(all, 'transition add Ready').attributes[OtelAttr.auto]).toBe(true)
    expect(byName(all, 'state Tick')).toHaveLength(2)
    expect(byName(all, 'state Ready')).toHaveLength(1)
    const canceled = one(all, 'transition add Busy')
    expect(canceled.attributes[OtelAttr.result]).toBe('canceled')
    expect(canceled.attributes[OtelAttr.canceledBy]).toBe('BusyEnter')
    expect([...(canceled.attributes[OtelAttr.targets] as string[])].sort()).toEqual(['Busy', 'Start', 'Tick'])
    expect(canceled.attributes[OtelAttr.enters]).toBeUndefined()
    expect(canceled.status).toEqual({ code: 2, message: 'canceled by BusyEnter' })
    expect(canceled.events.map((e) => [e.name, e.attributes?.[OtelAttr.canceledBy]])).toEqual([['canceled', 'BusyEnter']])
    expect(byName(all, 'state Busy')).toHaveLength(0)
    expect(one(all, 'transition add Start').status.code).toBe(0)
  })

  it('a throwing handler: the Exception transition records the error', () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss, { id: 'x' })
    traceMachine(m, { tracer })
    m.bind({ StartState: () => { throw new Error('boom') } }, { id: 'h' })
    m.add('Start')
    expect(m.is('Exception')).toBe(true)
    m.dispose()
    const ex = spans().find((s) => s.name.startsWith('transition add Exception'))
    expect(ex?.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'boom']])
    expect(byName(spans(), 'state Exception')).toHaveLength(1)
  })

  it('sub-machines: spans under the parent machine span with children on, none with children off', () => {
    const { tracer, spans } = sdk()
    const parent = new Machine(ss, { id: 'parent' })
    traceMachine(parent, { tracer })
    const child = new Machine(ss, { id: 'child', parent })
    const grand = new Machine(ss, { id: 'grand', parent: child })
    grand.add('Start')
    grand.dispose()
    child.dispose()
    parent.dispose()
    const all = spans()
    const p = one(all, 'machine parent')
    const c = one(all, 'machine child')
    const g = one(all, 'machine grand')
    expect(parentOf(c)).toBe(idOf(p))
    expect(parentOf(g)).toBe(idOf(c))
    expect(c.attributes[OtelAttr.parentId]).toBe('parent')
    expect(parentOf(one(all, 'transition add Start'))).toBe(idOf(g))
    expect(new Set(all.map((s) => s.spanContext().traceId)).size).toBe(1)

    const off = sdk()
    const p2 = new Machine(ss, { id: 'p2' })
    traceMachine(p2, { tracer: off.tracer, children: false })
    new Machine(ss, { id: 'c2', parent: p2 }).add('Start')
    p2.dispose()
    expect(off.spans().map((s) => s.name)).toEqual(['machine p2'])
  })

  it('the machine span starts in the given (or active) context', () => {
    const { tracer, spans } = sdk()
    const root = tracer.startSpan('request')
    const m = new Machine(ss, { id: 'in-ctx' })
    // a synchronous context manager, so context.with really makes the root span active
    const manager = new StackContextManager()
    expect(context.setGlobalContextManager(manager)).toBe(true)
    try {
      context.with(trace.setSpan(context.active(), root), () => traceMachine(m, { tracer }))
    } finally {
      context.disable()
    }
    const m2 = new Machine(ss, { id: 'given' })
    traceMachine(m2, { tracer, context: trace.setSpan(context.active(), root) })
    m.dispose()
    m2.dispose()
    root.end()
    const rootId = idOf(one(spans(), 'request'))
    expect(parentOf(one(spans(), 'machine given'))).toBe(rootId)
    expect(parentOf(one(spans(), 'machine in-ctx'))).toBe(rootId)
  })

  it('detach() ends open spans, marks them and leaves the machine', () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss, { id: 'd' })
    m.bind({ StartState: () => void tracing.detach() }, { id: 'h' })
    const tracing = traceMachine(m, { tracer })
    m.add('Tick')
    m.add('Start') // detaches from inside a handler: the open transition span ends too
    expect(tracing.detached).toBe(true)
    const names = spans().map((s) => s.name).sort()
    expect(names).toEqual(['machine d', 'state Tick', 'transition add Start', 'transition add Tick'])
    expect(spans().filter((s) => s.attributes[OtelAttr.detached] === true).map((s) => s.name).sort())
      .toEqual(['machine d', 'state Tick', 'transition add Start'])
    m.add('Busy')
    m.dispose()
    expect(spans()).toHaveLength(4)
    tracing.detach()
  })
})

describe('traceMachine: dispose', () => {
  it('onDispose callbacks registered after the adapter still run (it does not unregister itself mid-dispose)', () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss, { id: 'od' })
    traceMachine(m, { tracer })
    let ran = false
    m.onDispose(() => void (ran = true))
    m.dispose()
    expect(ran).toBe(true)
    expect(one(spans(), 'machine od').ended).toBe(true)
  })
})

describe('traceMachine: failures', () => {
  it('bad options throw library errors with a code', () => {
    const m = new Machine(ss)
    const { tracer } = sdk()
    expect(() => traceMachine({} as Machine<string>, { tracer })).toThrow(expect.objectContaining({ code: expect.any(String) }))
    expect(() => traceMachine(m, { tracer: {} as OtelTracer })).toThrow(/opts\.tracer/)
    expect(() => traceMachine(m, { tracer, maxErrors: 0 })).toThrow(/maxErrors/)
    expect(() => traceMachine(m, { tracer, args: 5 as unknown as string[] })).toThrow(/opts\.args/)
  })

  it('a disposed machine is not traced: the handle is detached', () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss)
    m.dispose()
    expect(traceMachine(m, { tracer }).detached).toBe(true)
    expect(spans()).toEqual([])
  })

  it('a throwing tracer never reaches the machine; the adapter detaches after maxErrors in a row', () => {
    const { tracer: real, spans } = sdk()
    let fail = false
    const hostile: OtelTracer = {
      startSpan: (name, o, c) => {
        if (fail && name.startsWith('transition')) throw new Error('exporter down')
        return real.startSpan(name, o, c)
      },
      startActiveSpan: real.startActiveSpan.bind(real) as OtelTracer['startActiveSpan'],
    }
    const m = new Machine(ss, { id: 'h' })
    const tracing = traceMachine(m, { tracer: hostile, maxErrors: 4 })
    m.add('Start')
    fail = true
    expect(m.add('Busy')).toBe(Result.Executed)
    expect(m.remove('Busy')).toBe(Result.Executed) // and the auto transition re-adding Ready: 3 failed spans
    expect(tracing.errors).toBe(3)
    expect(tracing.detached).toBe(false)
    m.add('Tick')
    expect(tracing.detached).toBe(true)
    expect(m.add('Tick')).toBe(Result.Executed)
    expect(m.is(['Start', 'Tick'])).toBe(true)
    expect(m.is('Exception')).toBe(false)
    expect(one(spans(), 'machine h').attributes[OtelAttr.detached]).toBe(true)
  })

  it('a span whose methods throw, and a throwing args mapper, do not break the machine', () => {
    const { tracer: real } = sdk()
    const hostile: OtelTracer = {
      startSpan: (name, o, c) => {
        const s = real.startSpan(name, o, c)
        s.end = () => { throw new Error('end') }
        s.setAttributes = () => { throw new Error('attrs') }
        return s
      },
      startActiveSpan: real.startActiveSpan.bind(real) as OtelTracer['startActiveSpan'],
    }
    const m = new Machine(ss, { id: 's' })
    traceMachine(m, { tracer: hostile, args: () => { throw new Error('mapper') } })
    expect(m.add('Start')).toBe(Result.Executed)
    expect(m.add('Busy')).toBe(Result.Executed)
    expect(() => m.dispose()).not.toThrow()
    expect(m.disposed).toBe(true)
  })

  it('a handler-queued mutation on a traced machine keeps working through an event', async () => {
    const { tracer, spans } = sdk()
    const m = new Machine(ss, { id: 'q' })
    traceMachine(m, { tracer })
    m.bind({ StartState: (e: Event) => void e.machine.add('Tick') }, { id: 'h' })
    m.add('Start')
    await m.when('Tick')
    m.dispose()
    expect(byName(spans(), 'transition add Tick')).toHaveLength(1)
  })
})

describe('optional peers', () => {
  it('no file of lib/ imports @opentelemetry/* or prom-client at run time (type imports only)', () => {
    const files = readdirSync('lib', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
    expect(files).toContain(join('telemetry', 'otel.ts'))
    const peer = /(?:from|import|require)\s*\(?\s*['"](?:@opentelemetry\/[^'"]*|prom-client)['"]/
    const typed: string[] = []
    for (const f of files) {
      const src = readFileSync(join('lib', f), 'utf8')
      if (peer.test(src)) typed.push(f)
      // what runs: type-only imports are erased, anything else stays (verbatimModuleSyntax, as the project compiles)
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true,
        target: ts.ScriptTarget.ES2022 } }).outputText
      expect(peer.test(js) ? f : '').toBe('')
    }
    // the check sees the adapters' imports (so it would catch a value import there)
    expect(typed).toEqual(expect.arrayContaining([join('telemetry', 'otel.ts'), join('telemetry', 'prom-metric.ts')]))
  })
})
