/**
 * Trace context across RPC (issue 16 item 4): a real client and server on 127.0.0.1 (TCP), the real OpenTelemetry SDK
 * (InMemorySpanExporter) on each side. The client's span travels in `MUTATE` as a W3C `traceparent`, and the server
 * machine's transition span nests under it; malformed, hostile or throwing contexts never fail the mutation.
 */
import { context, trace, type Tracer as OtelTracer } from '@opentelemetry/api'
import { StackContextManager } from '../support/otel-context.js'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan }
  from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Machine, Result, schema } from '../../lib/index.js'
import {
  connect, currentRemoteTrace, encodeFrame, Msg, PROTOCOL_VERSION, serve, type RemoteTrace, type RemoteTraceContext,
} from '../../lib/rpc/index.js'
import { OtelAttr, otelTraceContext, traceContextOfSpan, traceMachine } from '../../lib/telemetry/otel-entry.js'
import { Cleanup, RawPeer } from '../rpc/support.js'

const c = new Cleanup()
afterEach(() => c.run())

beforeAll(() => void context.setGlobalContextManager(new StackContextManager()))
afterAll(() => context.disable())

function sdk(): { tracer: OtelTracer; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  return { tracer: provider.getTracer('spec'), spans: () => exporter.getFinishedSpans() }
}

const S = schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Job: { multi: true } })
const one = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = spans.filter((s) => s.name === name)
  expect(found.map((s) => s.name)).toEqual([name])
  return found[0] as ReadableSpan
}

/** A traced source served on TCP and a client with `hook`; the server side's spans. */
async function setup(hook?: () => RemoteTraceContext | undefined) {
  const server = sdk()
  const src = new Machine(S, { id: 'src' })
  const tracing = traceMachine(src, { tracer: server.tracer })
  c.defer(() => tracing.detach())
  const srv = c.add(await serve(src, { url: 'tcp://127.0.0.1:0' }))
  const remote = c.add(await connect<typeof S>(srv.url!, hook ? { traceContext: hook } : {}))
  // the machine span ends on detach: read its id after the transitions of interest
  const machineSpanId = (): string => {
    tracing.detach()
    return one(server.spans(), 'machine src').spanContext().spanId
  }
  return { src, srv, remote, server, tracing, machineSpanId }
}

describe('OpenTelemetry across RPC', () => {
  it("the server's transition spans nest under the client's active span (otelTraceContext(trace))", async () => {
    const client = sdk()
    const { remote, server, src, tracing } = await setup(otelTraceContext(trace))
    const span = client.tracer.startSpan('client checkout')
    const done = context.with(trace.setSpan(context.active(), span), () => remote.add('Start'))
    expect(await done).toBe(Result.Executed)
    span.end()
    expect(src.is('Ready')).toBe(true)
    tracing.detach()
    const spans = server.spans()
    const mach = one(spans, 'machine src')
    // the called transition and the auto transition it triggered, both children of the client's span
    for (const name of ['transition add Start', 'transition add Ready']) {
      const tx = one(spans, name)
      expect(tx.spanContext().traceId).toBe(span.spanContext().traceId)
      expect(tx.parentSpanContext?.spanId).toBe(span.spanContext().spanId)
      expect(tx.parentSpanContext?.isRemote).toBe(true)
      expect(tx.attributes[OtelAttr.remote]).toBe(true)
      expect(tx.links.map((l) => l.context.spanId)).toEqual([mach.spanContext().spanId])
    }
    // state spans stay under the machine span
    expect(one(spans, 'state Start').parentSpanContext?.spanId).toBe(mach.spanContext().spanId)
    expect(client.spans().map((s) => s.name)).toEqual(['client checkout'])
  })

  it('no active span, or no hook: the transition span is under the machine span, as for a local call', async () => {
    const { remote, server, machineSpanId } = await setup(otelTraceContext(trace))
    expect(await remote.add('Start')).toBe(Result.Executed)
    const plain = await setup()
    expect(await plain.remote.add('Start')).toBe(Result.Executed)
    for (const [spans, id] of [[server.spans(), machineSpanId()], [plain.server.spans(), plain.machineSpanId()]] as const) {
      const tx = one(spans, 'transition add Start')
      expect(tx.parentSpanContext?.spanId).toBe(id)
      expect(tx.attributes[OtelAttr.remote]).toBeUndefined()
    }
  })

  it('carries tracestate and the sampled flag; currentRemoteTrace() is set only during the remote mutation', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const { remote, server, src } = await setup(() => ({ traceparent: tp, tracestate: 'vendor=x,other=y' }))
    const seen: (RemoteTrace | undefined)[] = []
    src.bind({ JobState: () => void seen.push(currentRemoteTrace()) }, { id: 'h' })
    expect(await remote.add('Job')).toBe(Result.Executed)
    src.add('Job')
    expect(seen.map((t) => t && { traceparent: t.traceparent, tracestate: t.tracestate, same: t.machine === src }))
      .toEqual([{ traceparent: tp, tracestate: 'vendor=x,other=y', same: true }, undefined])
    expect(currentRemoteTrace()).toBeUndefined()
    const remoteJob = server.spans().filter((s) => s.name === 'transition add Job')[0]!
    expect(remoteJob.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(remoteJob.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
    expect(remoteJob.parentSpanContext?.traceState?.get('vendor')).toBe('x')
    expect(remoteJob.parentSpanContext?.traceState?.serialize()).toBe('vendor=x,other=y')
  })

  it('a malformed or hostile traceparent is ignored: the mutation runs, its span is a local one', async () => {
    const bad: unknown[] = [
      { traceparent: 'nonsense' },
      { traceparent: '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01' }, // upper case
      { traceparent: 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, // version ff
      { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' }, // zero trace id
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01' }, // zero span id
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra' }, // v00 with more
      { traceparent: `01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-${'a'.repeat(10_000)}` }, // too long
      { traceparent: 42 }, 'a string', null,
      { get traceparent(): string { throw new Error('hostile getter') } },
    ]
    let i = 0
    const { remote, server, machineSpanId } = await setup(() => bad[i++] as RemoteTraceContext)
    for (let n = 0; n < bad.length; n++) expect(await remote.add('Job')).toBe(Result.Executed)
    const txs = server.spans().filter((s) => s.name === 'transition add Job')
    expect(txs).toHaveLength(bad.length)
    for (const tx of txs) expect(tx.parentSpanContext?.spanId).toBe(machineSpanId())
  })

  it('a bad tracestate is dropped, the traceparent kept', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const { remote, server } = await setup(() => ({ traceparent: tp, tracestate: 'a=1\n\u0000' }))
    expect(await remote.add('Start')).toBe(Result.Executed)
    const tx = one(server.spans(), 'transition add Start')
    expect(tx.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
    expect(tx.parentSpanContext?.traceState).toBeUndefined()
  })

  it('a throwing hook sends no context and never fails the mutation', async () => {
    const { remote, server, machineSpanId } = await setup(() => { throw new Error('hook broke') })
    expect(await remote.add('Start')).toBe(Result.Executed)
    expect(await remote.canAdd('Job')).toBe(Result.Executed)
    expect(one(server.spans(), 'transition add Start').parentSpanContext?.spanId).toBe(machineSpanId())
  })

  it('hostile trailing fields from a raw peer are ignored: REPLY, not ERROR, and the connection stays', async () => {
    const { srv, src, server, machineSpanId } = await setup()
    const peer = c.add(await RawPeer.open(srv.url!))
    peer.send({ type: Msg.Hello, version: PROTOCOL_VERSION, clientId: 'raw', token: null, schemaHash: null, wantSchema: false })
    peer.write(encodeFrame([6, 1, 0, [0], null, null, 12345, { x: 1 }]))
    peer.write(encodeFrame([6, 2, 0, [2], null, null, 'x'.repeat(100_000), 7]))
    peer.write(encodeFrame([6, 3, 0, [2], null, null, null, null, 'a newer field']))
    await peer.until((m) => m.length >= 4)
    expect(peer.parsed().slice(1).map((m) => m && [m.type, 'id' in m ? m.id : null])).toEqual(
      [[Msg.Reply, 1], [Msg.Reply, 2], [Msg.Reply, 3]])
    expect(peer.closed).toBe(false)
    expect(src.is('Start')).toBe(true)
    for (const tx of server.spans().filter((s) => s.name.startsWith('transition'))) {
      expect(tx.parentSpanContext?.spanId).toBe(machineSpanId())
    }
  })

  it('connect() refuses a traceContext that is not a function (ERR_INVALID_ARG)', async () => {
    const { srv } = await setup()
    await expect(connect(srv.url!, { traceContext: 'traceparent' as never }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })

  it('traceContextOfSpan and otelTraceContext check what they get', () => {
    expect(() => otelTraceContext({} as typeof trace)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(traceContextOfSpan(trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 })
      .spanContext())).toBeNull()
    const broken = otelTraceContext({ getActiveSpan: () => { throw new Error('api broke') } })
    expect(broken()).toBeUndefined()
  })
})
