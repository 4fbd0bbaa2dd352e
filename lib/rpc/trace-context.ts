/**
 * Trace context across RPC: a W3C `traceparent` (and `tracestate`) a client sends with a `MUTATE`, checked here, and
 * `currentRemoteTrace()`, which tells a tracer on the server which remote context the running mutation came with.
 * Nothing here knows OpenTelemetry (polymachine/otel reads it); a malformed context is dropped, never an error.
 */
import type { Machine } from '../machine/index.js'
import { safeString } from '../machine/internals.js'

/** A W3C trace context as sent over RPC. */
export interface RemoteTraceContext {
  /** `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>` (https://www.w3.org/TR/trace-context/). */
  traceparent: string
  tracestate?: string
}

/** The trace context of the remote mutation running now, and the machine it mutates. */
export interface RemoteTrace extends RemoteTraceContext {
  readonly machine: Machine<string>
}

/** Longest `traceparent` accepted (version 00 is 55 chars; later versions may append fields). */
export const MAX_TRACEPARENT = 256
/** Longest `tracestate` accepted (the W3C limit is 32 members; 512 chars is what every vendor must propagate). */
export const MAX_TRACESTATE = 512

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/
const TRACESTATE = /^[\x20-\x7e]*$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * `v` as a trace context, or null when it is not one: a `traceparent` that is not W3C (version `ff`, all-zero ids,
 * a version-00 one with extra fields, upper-case hex, too long) drops the whole context; a bad `tracestate` only
 * drops the `tracestate`. Reads `v` under a guard (a hostile object gives null).
 *
 * ```ts
 * traceContextOf({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }) // the same
 * traceContextOf({ traceparent: 'nonsense' }) // null
 * ```
 */
export function traceContextOf(v: unknown): RemoteTraceContext | null {
  try {
    if (typeof v !== 'object' || v === null) return null
    const { traceparent, tracestate } = v as Record<string, unknown>
    if (!validTraceparent(traceparent)) return null
    return validTracestate(tracestate) ? { traceparent, tracestate } : { traceparent }
  } catch {
    return null
  }
}

/** True for a W3C `traceparent` this side can use. */
export function validTraceparent(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_TRACEPARENT) return false
  const m = TRACEPARENT.exec(v)
  if (m === null) return false
  const [, version, traceId, spanId, , rest] = m
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return false
  return version !== '00' || rest === undefined
}

function validTracestate(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_TRACESTATE && TRACESTATE.test(v)
}

/**
 * Where the current remote trace lives: one slot per process under a `Symbol.for` key, so that polymachine/rpc and
 * polymachine/otel agree even when loaded as separate copies (an ESM and a CJS build).
 */
const slot: { current: RemoteTrace | undefined } = (() => {
  const g = globalThis as unknown as Record<symbol, { current: RemoteTrace | undefined } | undefined>
  const key = Symbol.for('polymachine.rpc.remoteTrace')
  return (g[key] ??= { current: undefined })
})()

/**
 * The trace context the remote mutation running now came with, and the machine it mutates; undefined outside a
 * remote mutation or when the client sent none. Valid synchronously, while the server runs the mutation on its
 * source (the transition and the auto transitions it triggers); a mutation the source queues runs later, without it.
 * For tracers (polymachine/otel parents the transition span under it).
 *
 * ```ts
 * const t = currentRemoteTrace()
 * if (t !== undefined && t.machine === mach) console.log('called from trace', t.traceparent.slice(3, 35))
 * ```
 */
export function currentRemoteTrace(): RemoteTrace | undefined {
  return slot.current
}

/** @internal Runs `fn` with `trace` as the current remote trace (the server's session, around a mutation). */
export function withRemoteTrace<T>(trace: RemoteTrace | undefined, fn: () => T): T {
  if (trace === undefined && slot.current === undefined) return fn()
  const prev = slot.current
  slot.current = trace
  try {
    return fn()
  } finally {
    slot.current = prev
  }
}

/** A client's `traceContext` hook asked once, checked: null (and a log line) when it throws or gives no valid one. */
export function askTraceHook(hook: () => unknown, log: (line: string) => void): RemoteTraceContext | null {
  try {
    return traceContextOf(hook())
  } catch (err) {
    log(`traceContext hook threw: ${safeString(err)}`.slice(0, 300))
    return null
  }
}
