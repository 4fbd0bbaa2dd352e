/**
 * OpenTelemetry across RPC: a client's W3C trace context (`traceparent`, `tracestate`) made from its active span, and
 * on the server the same text read back as the remote parent of a transition span. Like otel.ts, only types come from
 * `@opentelemetry/api`: the remote parent is a small non-recording span, which is what `trace.wrapSpanContext` makes.
 */
import type { Span, SpanContext, TraceAPI, TraceState } from '@opentelemetry/api'
import { InvalidArgumentError } from '../machine/index.js'
import { traceContextOf, type RemoteTraceContext } from '../rpc/trace-context.js'

/**
 * The `traceContext` hook of `connect()` for OpenTelemetry: each remote mutation sends the span active when it is
 * called, so the server's transition span (with `traceMachine`) nests under it. `api` is `trace` from
 * `@opentelemetry/api` (passed in: polymachine never imports the API at run time). No active span, an invalid one or a
 * throwing API: nothing is sent.
 *
 * ```ts
 * // `trace` is the tracing API of the @opentelemetry/api package
 * const remote = await connect('tcp://127.0.0.1:7000', { traceContext: otelTraceContext(trace) })
 * await trace.getTracer('app').startActiveSpan('checkout', async (span) => {
 *   await remote.add('Pay') // the server's `transition add Pay` span is a child of `checkout`
 *   span.end()
 * })
 * ```
 */
export function otelTraceContext(api: Pick<TraceAPI, 'getActiveSpan'>): () => RemoteTraceContext | undefined {
  if (typeof api !== 'object' || api === null || typeof api.getActiveSpan !== 'function') {
    throw new InvalidArgumentError('otelTraceContext()', 'api', 'the `trace` API of @opentelemetry/api', api)
  }
  return () => {
    try {
      const sc = api.getActiveSpan()?.spanContext()
      return sc === undefined ? undefined : traceContextOfSpan(sc) ?? undefined
    } catch {
      return undefined
    }
  }
}

/** A span context as W3C text; null when its ids are not valid (e.g. the API's invalid span context). */
export function traceContextOfSpan(sc: SpanContext): RemoteTraceContext | null {
  const flags = ((sc.traceFlags ?? 0) & 0xff).toString(16).padStart(2, '0')
  const state = sc.traceState?.serialize()
  return traceContextOf({ traceparent: `00-${sc.traceId}-${sc.spanId}-${flags}`, tracestate: state })
}

/** A checked remote context as the non-recording span that stands for the remote caller; null when unusable. */
export function remoteParentSpan(ctx: RemoteTraceContext): Span | null {
  const parts = ctx.traceparent.split('-')
  const [, traceId, spanId, flags] = parts
  if (traceId === undefined || spanId === undefined || flags === undefined) return null
  const sc: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16) & 0xff, isRemote: true }
  if (ctx.tracestate !== undefined) sc.traceState = new ListTraceState(parseTraceState(ctx.tracestate))
  return new RemoteParent(sc)
}

/** Stands for the remote caller's span: it carries its context and records nothing. */
class RemoteParent implements Span {
  constructor(readonly sc: SpanContext) {}
  spanContext(): SpanContext {
    return this.sc
  }
  setAttribute(): this {
    return this
  }
  setAttributes(): this {
    return this
  }
  addEvent(): this {
    return this
  }
  addLink(): this {
    return this
  }
  addLinks(): this {
    return this
  }
  setStatus(): this {
    return this
  }
  updateName(): this {
    return this
  }
  end(): void {}
  isRecording(): boolean {
    return false
  }
  recordException(): void {}
}

/** Members of a W3C `tracestate` list (`key=value` by commas, at most 32; malformed members skipped). */
function parseTraceState(text: string): [string, string][] {
  const out: [string, string][] = []
  for (const member of text.split(',')) {
    const eq = member.indexOf('=')
    if (eq <= 0) continue
    const key = member.slice(0, eq).trim()
    const value = member.slice(eq + 1).trim()
    if (key !== '' && value !== '' && !out.some(([k]) => k === key)) out.push([key, value])
    if (out.length === 32) break
  }
  return out
}

/** An immutable `TraceState` over a member list, newest first (as the W3C spec orders updates). */
class ListTraceState implements TraceState {
  constructor(readonly members: readonly [string, string][]) {}
  get(key: string): string | undefined {
    return this.members.find(([k]) => k === key)?.[1]
  }
  set(key: string, value: string): TraceState {
    const next: [string, string][] = [[key, value], ...this.members.filter(([k]) => k !== key)]
    return new ListTraceState(next.slice(0, 32))
  }
  unset(key: string): TraceState {
    return new ListTraceState(this.members.filter(([k]) => k !== key))
  }
  serialize(): string {
    return this.members.map(([k, v]) => `${k}=${v}`).join(',')
  }
}
