/**
 * OpenTelemetry tracing of machines: `traceMachine(machine, { tracer })` turns a machine's life into spans — one for the
 * machine, one per state activation, one per transition — through the user's `@opentelemetry/api` tracer. Only types
 * are imported from `@opentelemetry/api` (an optional peer): this file loads, and costs nothing, without it.
 */
import type { Attributes, Context, Span, SpanStatusCode, Tracer as OtelTracer } from '@opentelemetry/api'
import { InvalidArgumentError, type Args, type Machine, type Tracer, type TransitionInfo }
  from '../machine/index.js'
import { isMachine, safeString } from '../machine/internals.js'
import { argsMapOf, mapArgsSafely } from './args.js'
import { currentRemoteTrace } from '../rpc/trace-context.js'
import { remoteParentSpan } from './otel-remote.js'
import { maxErrorsOf } from './error-budget.js'
import { TracedAdapter, type AdapterOptions } from './traced-adapter.js'

/** Options of {@link traceMachine}. */
export interface TraceMachineOptions {
  /** Where spans go: `trace.getTracer('my-app')` from `@opentelemetry/api`. */
  tracer: OtelTracer
  /** Also trace machines created later with a traced one as `parent`, their spans under the parent's. Default true. */
  children?: boolean
  /**
   * Which mutation args become transition attributes (`polymachine.arg.<name>`, values as text cut to 256 chars): names,
   * or a function returning `name → text`. Default: none (args may hold secrets).
   */
  args?: readonly string[] | ((args: Args) => Record<string, string> | undefined)
  /** The parent of the machine's span. Default: the context active when `traceMachine` is called. */
  context?: Context
  /** Errors in a row from the OpenTelemetry tracer or spans after which the adapter detaches itself. Default 10. */
  maxErrors?: number
}

/** What {@link traceMachine} returns. */
export interface MachineTracing {
  /** Ends every open span (marked `polymachine.detached`) and leaves every traced machine. Idempotent. */
  detach(): void
  /** True after `detach()`, or after `maxErrors` errors in a row detached the adapter. */
  readonly detached: boolean
  /** Errors thrown by the OpenTelemetry tracer or spans so far (each is swallowed: the machine never sees it). */
  readonly errors: number
}

/** Attribute names the adapter sets. */
export const OtelAttr = {
  machineId: 'polymachine.machine.id',
  parentId: 'polymachine.machine.parent_id',
  state: 'polymachine.state',
  mutation: 'polymachine.mutation.type',
  called: 'polymachine.transition.called',
  result: 'polymachine.transition.result',
  targets: 'polymachine.transition.targets',
  enters: 'polymachine.transition.enters',
  exits: 'polymachine.transition.exits',
  auto: 'polymachine.transition.auto',
  queueTick: 'polymachine.queue.tick',
  canceledBy: 'polymachine.transition.canceled_by',
  detached: 'polymachine.detached',
  remote: 'polymachine.transition.remote',
} as const

/** `SpanStatusCode.ERROR` of `@opentelemetry/api` (a numeric enum; a value import would make the peer required). */
const STATUS_ERROR = 2 as SpanStatusCode.ERROR

/**
 * The key under which `@opentelemetry/api` keeps the active span in a `Context`. The API makes it with `Symbol.for` so
 * that separate copies of the API agree on it; using it here is what `trace.setSpan(ctx, span)` does.
 */
export const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN')

/** A minimal immutable `Context`, used as the root when the machine span has no context to extend. */
class MapContext implements Context {
  readonly #values: ReadonlyMap<symbol, unknown>
  constructor(values: ReadonlyMap<symbol, unknown> = new Map()) {
    this.#values = values
  }
  getValue(key: symbol): unknown {
    return this.#values.get(key)
  }
  setValue(key: symbol, value: unknown): Context {
    return new MapContext(new Map(this.#values).set(key, value))
  }
  deleteValue(key: symbol): Context {
    const m = new Map(this.#values)
    m.delete(key)
    return new MapContext(m)
  }
}

const WHERE = 'traceMachine()'

/** Per traced machine: its span, the context its children start in, open state and transition spans. */
interface Traced {
  readonly mach: Machine<string>
  readonly span: Span
  readonly ctx: Context
  readonly states: Map<string, Span>
  readonly txs: Map<TransitionInfo, Span>
  readonly offDispose: () => void
}

/**
 * Traces a machine with OpenTelemetry: a `machine <id>` span from now until the machine is disposed (or `detach()`), a
 * `state <Name>` span for each activation (from the transition that enters the state to the one that exits it; states
 * already active are opened now) and a `transition <type> <States>` span per transition, both children of the machine
 * span. Transition spans carry the called states, mutation type, result (`executed`/`canceled`), targets, queue tick,
 * and enters and exits when executed; a canceled one has status ERROR and a `canceled` event naming who canceled; an
 * error entering `Exception` is recorded as an exception event. Dry runs (`canAdd`) are not traced. With `children`
 * (default), machines created later with a traced `parent` get their machine span under the parent's. Trace context
 * of a remote mutation (polymachine/rpc, the client sending a `traceparent`: see `otelTraceContext`) is the parent
of its transition span, which then links to the machine span. Never throws into the machine: errors of the OpenTelemetry tracer are swallowed, and
 * after `maxErrors` in a row the adapter detaches itself. Throws `InvalidArgumentError`/`OutOfRangeError` for bad
 * options.
 *
 * ```ts
 * const tracing = traceMachine(mach, { tracer: trace.getTracer('app'), args: ['url'] })
 * mach.add('Start')
 * tracing.detach()
 * ```
 */
export function traceMachine(machine: Machine<string>, opts: TraceMachineOptions): MachineTracing {
  if (!isMachine(machine)) throw new InvalidArgumentError(WHERE, 'machine', 'a Machine', machine)
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(WHERE, 'opts', 'an object', opts)
  const tracer = opts.tracer
  if (typeof tracer !== 'object' || tracer === null || typeof tracer.startSpan !== 'function') {
    throw new InvalidArgumentError(WHERE, 'opts.tracer', 'an OpenTelemetry Tracer', tracer)
  }
  const maxErrors = maxErrorsOf(WHERE, opts.maxErrors)
  const ctx = opts.context
  if (ctx !== undefined && (typeof ctx !== 'object' || ctx === null || typeof ctx.setValue !== 'function')) {
    throw new InvalidArgumentError(WHERE, 'opts.context', 'an OpenTelemetry Context', ctx)
  }
  const adapter = new OtelAdapter(tracer, {
    children: opts.children === undefined ? true : Boolean(opts.children),
    args: argsMapOf(WHERE, opts.args),
    maxErrors,
  })
  // a disposed machine has nothing left to trace: the handle says so
  if (machine.disposed) adapter.detach()
  else adapter.track(machine, ctx)
  return adapter
}

/** The machine `Tracer` behind `traceMachine`: one per call, shared by the machine and its traced children. */
class OtelAdapter extends TracedAdapter<Traced> implements Tracer, MachineTracing {
  readonly #tracer: OtelTracer

  constructor(tracer: OtelTracer, o: AdapterOptions) {
    super(o)
    this.#tracer = tracer
  }

  track(mach: Machine<string>, parent: Context | undefined): void {
    if (this.detached || this.traced.has(mach) || mach.disposed) return
    this.guard(() => {
      const attrs: Attributes = { [OtelAttr.machineId]: mach.id }
      if (mach.parentId !== undefined) attrs[OtelAttr.parentId] = mach.parentId
      const span = this.#tracer.startSpan(`machine ${mach.id}`, { attributes: attrs }, parent)
      const t: Traced = {
        mach, span, ctx: (parent ?? new MapContext()).setValue(SPAN_KEY, span), states: new Map(), txs: new Map(),
        offDispose: mach.onDispose(() => this.guard(() => this.#end(t, false))),
      }
      this.traced.set(mach, t)
      mach.bindTracer(this)
      for (const s of mach.activeStates) this.#openState(t, s)
    })
  }

  protected release(t: Traced): void {
    this.#end(t, true)
  }

  newSubmachine(parent: Machine<string>, child: Machine<string>): void {
    if (!this.children) return
    const t = this.traced.get(parent)
    if (t) this.track(child, t.ctx)
  }

  transitionInit(tx: TransitionInfo): void {
    const t = this.traced.get(tx.machine)
    if (!t || tx.isCheck) return
    this.guard(() => {
      const attrs: Attributes = {
        [OtelAttr.machineId]: t.mach.id, [OtelAttr.mutation]: tx.type, [OtelAttr.called]: [...tx.calledStates],
        [OtelAttr.auto]: tx.isAuto, [OtelAttr.queueTick]: t.mach.queueTick,
      }
      const mapped = this.#mapArgs(tx.args)
      if (mapped) for (const [k, v] of Object.entries(mapped)) attrs[`polymachine.arg.${k}`] = v
      const name = `transition ${tx.type} ${tx.calledStates.join(',')}`
      // a remote caller's span is the parent (the trace crosses RPC); the machine span stays reachable by a link
      const remote = currentRemoteTrace()
      const parent = remote !== undefined && remote.machine === t.mach ? remoteParentSpan(remote) : null
      if (parent === null) t.txs.set(tx, this.#tracer.startSpan(name, { attributes: attrs }, t.ctx))
      else {
        attrs[OtelAttr.remote] = true
        const links = [{ context: t.span.spanContext() }]
        t.txs.set(tx, this.#tracer.startSpan(name, { attributes: attrs, links }, t.ctx.setValue(SPAN_KEY, parent)))
      }
    })
  }

  transitionEnd(tx: TransitionInfo): void {
    const t = this.traced.get(tx.machine)
    const span = t?.txs.get(tx)
    if (!t || !span) return
    t.txs.delete(tx)
    this.guard(() => {
      span.setAttributes({
        [OtelAttr.result]: tx.accepted ? 'executed' : 'canceled', [OtelAttr.targets]: [...tx.targetStates],
      })
      if (tx.accepted) {
        // only when applied: a canceled transition's enters and exits are what would have happened
        span.setAttributes({ [OtelAttr.enters]: [...tx.enters], [OtelAttr.exits]: [...tx.exits] })
        for (const s of tx.exits) this.#closeState(t, s)
        for (const s of tx.enters) {
          // a multi state re-entered: its previous activation ends here
          this.#closeState(t, s)
          this.#openState(t, s)
        }
        if (tx.enters.includes('Exception')) span.recordException(errorOf(t.mach.err))
      } else {
        const by = tx.canceledBy ?? 'unknown'
        span.setAttribute(OtelAttr.canceledBy, by)
        span.addEvent('canceled', { [OtelAttr.canceledBy]: by })
        span.setStatus({ code: STATUS_ERROR, message: `canceled by ${by}` })
      }
      span.end()
    })
  }

  #openState(t: Traced, state: string): void {
    const attrs: Attributes = { [OtelAttr.machineId]: t.mach.id, [OtelAttr.state]: state }
    t.states.set(state, this.#tracer.startSpan(`state ${state}`, { attributes: attrs }, t.ctx))
  }

  #closeState(t: Traced, state: string): void {
    const span = t.states.get(state)
    if (!span) return
    t.states.delete(state)
    span.end()
  }

  /** Ends a machine's open spans and leaves it (on dispose, on detach). */
  #end(t: Traced, detaching: boolean): void {
    this.traced.delete(t.mach)
    // not from the dispose callback itself: unregistering while the machine runs them would skip the next one
    if (detaching) t.offDispose()
    try {
      t.mach.detachTracer(this)
    } catch {
      // a disposed machine may refuse; it calls no more hooks anyway
    }
    const open = [...t.txs.values(), ...t.states.values(), t.span]
    t.txs.clear()
    t.states.clear()
    for (const span of open) {
      try {
        if (detaching) span.setAttribute(OtelAttr.detached, true)
        span.end()
      } catch {
        // the next span still ends
      }
    }
  }

  #mapArgs(args: Args): Record<string, string> | undefined {
    return this.argsMap ? mapArgsSafely(this.argsMap, args, 'args mapper') : undefined
  }

  /** Runs a hook's work under the error budget (see ErrorBudget); nothing once detached. */
}

/** What `recordException` accepts: an Error, or the value's text. */
function errorOf(err: unknown): Error | string {
  return err instanceof Error ? err : safeString(err)
}
