/**
 * Ids and W3C trace context in NATS headers (a real private nats-server): the RPC messages of a mirror, and remote
 * actor asks and tells once tracing is installed, carry `pm-id` and the caller's `traceparent`/`tracestate`; with the
 * OpenTelemetry SDK on both sides (InMemorySpanExporter), a trace started on node A continues on node B through
 * `setClusterTracing`.
 */
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { StackContextManager } from '../support/otel-context.js'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ActorSystem, type ActorEvent } from '../../lib/actor/index.js'
import { NatsBus } from '../../lib/cluster/index.js'
import { setClusterTracing, type ReceivedMessage } from '../../lib/cluster/trace.js'
import { Machine, Result, schema } from '../../lib/machine/index.js'
import { otelTraceContext } from '../../lib/telemetry/otel-entry.js'
import { remoteParentSpan } from '../../lib/telemetry/otel-remote.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import { eventually } from './contract.js'

function sdk() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { tracer: provider.getTracer('spec'), spans: (): ReadableSpan[] => exporter.getFinishedSpans() }
}

const echo = schema({ Echo: { multi: true }, Note: { multi: true } })
class Echo {
  notes = 0
  EchoState(e: ActorEvent): unknown {
    return e.args.v
  }
  NoteState(): void {
    this.notes++
  }
}

describe.skipIf(!hasNatsServer)('ids and trace context in NATS headers', () => {
  let server: NatsServer
  let a: NatsBus
  let b: NatsBus
  const system = new ActorSystem()
  beforeAll(() => void context.setGlobalContextManager(new StackContextManager()))
  afterAll(async () => {
    context.disable()
    await system.shutdown()
  })
  beforeEach(async () => {
    server = await NatsServer.start()
    a = await NatsBus.connect({ servers: server.url, id: 'node-a' })
    b = await NatsBus.connect({ servers: server.url, id: 'node-b' })
  })
  afterEach(async () => {
    setClusterTracing(null)
    await Promise.all([a.close(), b.close()])
    await server.stop()
  })

  /** Every message on `subject` (a plain subscriber hears queue-group messages too): its headers, `{}` for none. */
  const spy = (subject: string): Array<Record<string, string>> => {
    const seen: Array<Record<string, string>> = []
    a.nc.subscribe(subject, { callback: (err, msg) => {
      if (err) return
      const h = msg.headers
      seen.push(h ? Object.fromEntries(['pm-id', 'traceparent', 'tracestate', 'pm-k'].map((k) => [k, h.get(k)])) : {})
    } })
    return seen
  }

  it('with tracing installed, asks and tells carry their id and the injected trace context in headers; without, none', async () => {
    const handler = new Echo()
    await a.exposeActor('echo', system.spawn(echo, handler, { id: 'echo-1' }))
    const seen = spy('pm.a.>')
    await a.nc.flush()
    const ref = b.actor<'Echo' | 'Note'>('echo')
    expect(await ref.ask('Echo', { v: 0 })).toBe(0) // no tracing installed: no headers at all (the id is in the body)
    setClusterTracing({}) // ids only
    expect(await ref.ask('Echo', { v: 1 })).toBe(1)
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    setClusterTracing({ inject: () => ({ traceparent: tp, tracestate: 'vendor=x' }) })
    expect(await ref.ask('Echo', { v: 2 })).toBe(2)
    ref.tell('Note')
    await eventually(() => seen.length === 4 && handler.notes === 1)
    expect(seen[0]).toEqual({})
    expect(seen.slice(1).map((h) => [h.traceparent, h.tracestate])).toEqual([['', ''], [tp, 'vendor=x'], [tp, 'vendor=x']])
    const ids = seen.slice(1).map((h) => h['pm-id'])
    expect(new Set(ids).size).toBe(3)
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{8,}$/)
    // a broken or hostile tracer never fails a message: no context is sent
    setClusterTracing({ inject: () => { throw new Error('tracer broke') } })
    expect(await ref.ask('Echo', { v: 3 })).toBe(3)
    setClusterTracing({ inject: () => ({ traceparent: 'nonsense' }) })
    expect(await ref.ask('Echo', { v: 4 })).toBe(4)
    await eventually(() => seen.length === 6)
    expect(seen.slice(4).map((h) => [h['pm-id'] !== '', h.traceparent])).toEqual([[true, ''], [true, '']])
    expect(() => setClusterTracing({ inject: 'x' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
  })

  it('a trace started on node A continues on node B (OpenTelemetry SDK on both sides)', async () => {
    const nodeA = sdk(); const nodeB = sdk()
    const received: ReceivedMessage[] = []
    setClusterTracing({
      inject: otelTraceContext(trace),
      // node B's tracer: the handling of each message is a span whose parent is the remote caller's
      receive: (m, handle) => {
        received.push(m)
        const parent = remoteParentSpan(m.trace)
        const span = nodeB.tracer.startSpan(`${m.kind} ${m.target} ${m.message}`.trim(), {},
          parent === null ? undefined : trace.setSpan(ROOT_CONTEXT, parent))
        const out = context.with(trace.setSpan(ROOT_CONTEXT, span), handle)
        if (out instanceof Promise) void out.finally(() => span.end())
        else span.end()
        return out
      },
    })
    await a.exposeActor('echo', system.spawn(echo, new Echo(), { id: 'echo-2' }))
    const src = new Machine(schema({ Start: {} }), { id: 'src' })
    await a.expose(src)
    const rpcHeaders = spy('pm.m.>')
    await a.nc.flush()
    const mirror = await b.machine('src')
    const ref = b.actor<'Echo'>('echo')

    const root = nodeA.tracer.startSpan('checkout')
    const asked = context.with(trace.setSpan(ROOT_CONTEXT, root), () => ref.ask('Echo', { v: 'x' }))
    const added = context.with(trace.setSpan(ROOT_CONTEXT, root), () => mirror.add('Start'))
    expect(await asked).toBe('x')
    expect(await added).toBe(Result.Executed)
    root.end()
    await eventually(() => nodeB.spans().length >= 2)

    const rootCtx = root.spanContext()
    const ask = nodeB.spans().find((s) => s.name === 'ask echo Echo')
    expect(ask?.spanContext().traceId).toBe(rootCtx.traceId)
    expect(ask?.parentSpanContext?.spanId).toBe(rootCtx.spanId)
    expect(ask?.parentSpanContext?.isRemote).toBe(true)
    // the mirror's MUTATE crossed as an RPC message of its session, with the same context in its headers
    const rpc = nodeB.spans().filter((s) => s.name.startsWith('rpc '))
    expect(rpc.length).toBeGreaterThanOrEqual(1)
    for (const s of rpc) expect([s.spanContext().traceId, s.parentSpanContext?.spanId]).toEqual([rootCtx.traceId, rootCtx.spanId])
    expect(received.filter((m) => m.kind === 'ask').map((m) => m.id)).toHaveLength(1)
    // each RPC message of the session has its own id (session.sequence); the MUTATE sent in the span has its context
    const rpcIds = rpcHeaders.filter((h) => h['pm-id'] !== undefined && h['pm-id'] !== '').map((h) => h['pm-id'])
    expect(new Set(rpcIds).size).toBe(rpcIds.length)
    for (const id of rpcIds) expect(id).toMatch(/^[A-Za-z0-9]{8,64}\.[0-9a-z]+$/)
    expect(rpcHeaders.some((h) => h.traceparent === `00-${rootCtx.traceId}-${rootCtx.spanId}-01`)).toBe(true)
    // without an active span on A nothing is sent, and B handles the message without the hook
    const before = received.length
    expect(await ref.ask('Echo', { v: 'y' })).toBe('y')
    expect(received.length).toBe(before)
  })

  it('a receive hook that throws before handling still gets the message handled, once', async () => {
    const handler = new Echo()
    await a.exposeActor('echo', system.spawn(echo, handler, { id: 'echo-3' }))
    setClusterTracing({
      inject: () => ({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }),
      receive: () => { throw new Error('tracer broke') },
    })
    const ref = b.actor<'Echo' | 'Note'>('echo')
    expect(await ref.ask('Echo', { v: 5 })).toBe(5)
    ref.tell('Note')
    await eventually(() => handler.notes === 1)
  })
})
