/**
 * Ids and trace context of the messages a bus carries. Over NATS they travel in headers — `pm-id` (the message or
 * request id), `traceparent` and `tracestate` (W3C, the names every NATS/OpenTelemetry tool reads) — so they can be
 * seen without decoding bodies. What context to send and how to continue it on the receiving side is a tracer's
 * business: it plugs in with `setClusterTracing()` (polymachine/otel's `otelTraceContext(trace)` is a valid `inject`),
 * so this layer never imports the telemetry one. Mirror (RPC) messages always carry `pm-id` (they have headers
 * anyway); remote actor messages carry headers once tracing is installed (see `outgoingMeta`).
 */
import { InvalidArgumentError } from '../machine/index.js'
import { traceContextOf, type RemoteTraceContext } from '../rpc/index.js'

/** Header with the message id (an ask's request id, a tell's id, an RPC message's session sequence). */
export const ID_HEADER = 'pm-id'
export const TRACEPARENT_HEADER = 'traceparent'
export const TRACESTATE_HEADER = 'tracestate'

/** What travels beside a message's body: its id, and the sender's trace context when it had one. */
export interface MessageMeta {
  id: string
  trace?: RemoteTraceContext | undefined
}

/** A message received with a trace context, handed to {@link ClusterTracing.receive}. */
export interface ReceivedMessage {
  /** `ask` / `tell`: a remote actor message; `rpc`: a message of a machine mirror's session. */
  readonly kind: 'ask' | 'tell' | 'rpc'
  /** The actor name, or the session id for `rpc`. */
  readonly target: string
  /** The actor message name (`''` for `rpc`). */
  readonly message: string
  readonly id: string
  readonly trace: RemoteTraceContext
}

/**
 * A tracer's hooks into the bus (all optional):
 * - `inject()` is called when a message is sent, synchronously in the caller's `tell` / `ask` / mutation: the
 *   context it returns is sent (a throw or an invalid context sends none);
 * - `receive(message, handle)` is called when a message with a trace context arrives; it must call `handle()` once
 *   and return its result (e.g. run it inside a span whose parent is `message.trace`, ended when it settles). A
 *   throw in the hook itself runs `handle()` without it.
 *
 * ```ts
 * setClusterTracing({
 *   inject: otelTraceContext(trace), // from polymachine/otel
 *   receive: (m, handle) => tracer.startActiveSpan(`${m.kind} ${m.target} ${m.message}`, {}, remoteContext(m.trace),
 *     (span) => settle(handle(), () => span.end())),
 * })
 * ```
 */
export interface ClusterTracing {
  inject?: () => RemoteTraceContext | undefined
  receive?: <T>(message: ReceivedMessage, handle: () => T) => T
}

/**
 * One slot per process under a `Symbol.for` key (as lib/rpc's remote trace), so an ESM and a CJS copy of polymachine
 * agree.
 */
const slot: { current: ClusterTracing | null } = (() => {
  const g = globalThis as unknown as Record<symbol, { current: ClusterTracing | null } | undefined>
  return (g[Symbol.for('polymachine.cluster.tracing')] ??= { current: null })
})()

/**
 * Installs `tracing` for every bus of this process (null removes it); returns the one it replaces. While one is
 * installed (even `{}`, no hooks), remote actor messages carry their `pm-id` header too. Throws
 * `InvalidArgumentError` when a hook is not a function.
 */
export function setClusterTracing(tracing: ClusterTracing | null): ClusterTracing | null {
  const where = 'setClusterTracing()'
  if (tracing !== null) {
    if (typeof tracing !== 'object') throw new InvalidArgumentError(where, 'tracing', 'an object or null', tracing)
    for (const k of ['inject', 'receive'] as const) {
      if (tracing[k] !== undefined && typeof tracing[k] !== 'function') throw new InvalidArgumentError(where, k, 'a function', tracing[k])
    }
  }
  const prev = slot.current
  slot.current = tracing === null ? null : { ...tracing }
  return prev
}

/**
 * What to send beside a message with id `id`: nothing while no tracing is installed (building and parsing NATS
 * headers costs about a tenth of a loopback round trip, so plain messages carry their id in the body only); with one
 * (even `setClusterTracing({})`), the id and the context `inject` gives.
 */
export function outgoingMeta(id: string): MessageMeta | undefined {
  return slot.current === null ? undefined : { id, trace: outgoingTrace() }
}

/** The context to send now: undefined without a tracer, an `inject` hook, or a valid context from it. */
export function outgoingTrace(): RemoteTraceContext | undefined {
  const inject = slot.current?.inject
  if (inject === undefined) return undefined
  try {
    return traceContextOf(inject()) ?? undefined
  } catch {
    return undefined // a broken tracer never fails a message
  }
}

/** Runs `handle` under the tracer's `receive` hook when the message came with a trace context and one is installed. */
export function received<T>(kind: ReceivedMessage['kind'], target: string, message: string, meta: MessageMeta | undefined,
  handle: () => T): T {
  const receive = slot.current?.receive
  const trace = meta?.trace
  if (receive === undefined || trace === undefined) return handle()
  let called = false
  const once = (): T => {
    called = true
    return handle()
  }
  let r: T
  try {
    r = receive({ kind, target, message, id: meta?.id ?? '', trace }, once)
  } catch (err) {
    if (called) throw err // the handler's own failure
    return handle()
  }
  // a hook that returned without running the message would drop it (a tell acknowledged, never run): run it here
  return called ? r : handle()
}

/** The minimal header interface of `@nats-io/transport-node`'s `MsgHdrs`, so this file needs no NATS import. */
export interface HeaderSink {
  set(key: string, value: string): void
}
export interface HeaderSource {
  get(key: string): string
}

/** Writes `meta` into NATS headers. */
export function writeMeta(h: HeaderSink, meta: MessageMeta): void {
  h.set(ID_HEADER, meta.id)
  if (meta.trace !== undefined) {
    h.set(TRACEPARENT_HEADER, meta.trace.traceparent)
    if (meta.trace.tracestate !== undefined) h.set(TRACESTATE_HEADER, meta.trace.tracestate)
  }
}

/** Reads a message's meta from NATS headers (a malformed trace context is dropped, never an error). */
export function readMeta(h: HeaderSource | undefined): MessageMeta | undefined {
  if (h === undefined) return undefined
  const id = h.get(ID_HEADER)
  const tp = h.get(TRACEPARENT_HEADER)
  if (tp === '') return { id }
  return { id, trace: traceContextOf({ traceparent: tp, tracestate: h.get(TRACESTATE_HEADER) || undefined }) ?? undefined }
}
