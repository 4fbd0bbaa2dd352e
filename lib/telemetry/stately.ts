/**
 * The Stately inspector bridge: `inspectMachine(machine, { inspector })` shows polymachine machines in the Stately
 * inspector (`@statelyai/inspect`). Each machine becomes an actor whose definition is a generated parallel statechart
 * (one region per state, with `off`/`on` children), each mutation an `@xstate.event`, each transition an
 * `@xstate.snapshot`. Nothing is imported from `@statelyai/inspect`: the frame types are declared in
 * stately-frames.ts (and type-tested against the package's own), so the package is needed only by whoever creates
 * the inspector.
 */
import { InvalidArgumentError, type Args, type Machine, type MutationInfo, type Tracer,
  type TransitionInfo } from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { argsMapOf, mapArgsSafely } from './args.js'
import {
  STATELY_PROTOCOL_VERSION, statechartOf, type StatelyActorRef, type StatelyFrame, type StatelyFrameBase,
  type StatelyMutationEvent, type StatelySnapshot, type StatelyStateValue, type StatelyStopEvent,
} from './stately-frames.js'
import { maxErrorsOf } from './error-budget.js'
import { TracedAdapter, type AdapterOptions } from './traced-adapter.js'

/** The methods of a `@statelyai/inspect` inspector the bridge calls (`createWebSocketInspector()` etc. have them). */
export interface StatelyInspectorLike {
  actor(actor: StatelyActorRef, snapshot?: StatelySnapshot): void
  event(actor: string, event: StatelyMutationEvent, info?: { source?: string }): void
  snapshot(actor: string, snapshot: StatelySnapshot, info?: { event?: StatelyMutationEvent | StatelyStopEvent }): void
}

/** Options of {@link inspectMachine}: exactly one of `inspector` and `send`. */
export interface InspectMachineOptions {
  /** An inspector of `@statelyai/inspect` (`createWebSocketInspector({ url })`, `createBrowserInspector()`…). */
  inspector?: StatelyInspectorLike
  /** Or a function given each complete frame (an inspector adapter's `send`, or `ws.send(JSON.stringify(f))`). */
  send?: (frame: StatelyFrame) => void
  /** Also show machines created later with a traced one as `parent`, as its child actors. Default true. */
  children?: boolean
  /** Which mutation args the events carry (values as text, cut to 256 chars): names or a mapper. Default none. */
  args?: readonly string[] | ((args: Args) => Record<string, string> | undefined)
  /** Errors in a row from the inspector after which the bridge detaches itself. Default 10. */
  maxErrors?: number
}

/** What {@link inspectMachine} returns. */
export interface StatelyBridge {
  /** Leaves every machine (no more frames). Idempotent. */
  detach(): void
  readonly detached: boolean
  /** Errors thrown by the inspector or `send` so far (each swallowed: the machine never sees it). */
  readonly errors: number
}

const WHERE = 'inspectMachine()'


/**
 * Shows a machine in the Stately inspector: an `@xstate.actor` frame now (its statechart from
 * {@link statechartOf} and its current snapshot), an `@xstate.event` per mutation (when it is queued or made,
 * auto ones included, `sourceId` naming the machine whose handler made it) and an `@xstate.snapshot` per transition
 * (canceled ones too, with `result` and `canceledBy` on the event; dry runs are left out), and a `stopped` snapshot
 * when the machine is disposed. Pass an inspector of `@statelyai/inspect` or a `send` function. Never throws into
 * the machine; after `maxErrors` errors in a row the bridge detaches itself. Throws `InvalidArgumentError` /
 * `OutOfRangeError` for bad options.
 *
 * ```ts
 * const frames: StatelyFrame[] = []
 * const bridge = inspectMachine(mach, { send: (f) => frames.push(f), args: ['url'] })
 * mach.add('Start')
 * bridge.detach()
 * ```
 */
export function inspectMachine(machine: Machine<string>, opts: InspectMachineOptions): StatelyBridge {
  if (!isMachine(machine)) throw new InvalidArgumentError(WHERE, 'machine', 'a Machine', machine)
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(WHERE, 'opts', 'an object', opts)
  const { inspector, send } = opts
  const hasInspector = typeof inspector === 'object' && inspector !== null && typeof inspector.actor === 'function' &&
    typeof inspector.event === 'function' && typeof inspector.snapshot === 'function'
  if (inspector !== undefined && !hasInspector) {
    throw new InvalidArgumentError(WHERE, 'opts.inspector', 'an inspector with actor, event and snapshot', inspector)
  }
  if (send !== undefined && typeof send !== 'function') {
    throw new InvalidArgumentError(WHERE, 'opts.send', 'a function', send)
  }
  if ((inspector === undefined) === (send === undefined)) {
    throw new InvalidArgumentError(WHERE, 'opts', 'exactly one of inspector and send', opts)
  }
  const maxErrors = maxErrorsOf(WHERE, opts.maxErrors)
  const out = inspector ? inspectorOutput(inspector) : frameOutput(send as (f: StatelyFrame) => void)
  const bridge = new StatelyAdapter(out, {
    children: opts.children === undefined ? true : Boolean(opts.children), args: argsMapOf(WHERE, opts.args), maxErrors,
  })
  bridge.track(machine, undefined)
  return bridge
}

/** Where the adapter's three kinds of record go. */
interface Output {
  actor(ref: StatelyActorRef, rootId: string): void
  event(sessionId: string, rootId: string, event: StatelyMutationEvent, source: string | undefined): void
  snapshot(ref: StatelyActorRef, rootId: string, event: StatelyMutationEvent | StatelyStopEvent): void
}

function inspectorOutput(i: StatelyInspectorLike): Output {
  return {
    actor: (ref) => i.actor(ref, ref.getSnapshot()),
    event: (sessionId, _root, event, source) => i.event(sessionId, event, source === undefined ? {} : { source }),
    snapshot: (ref, _root, event) => i.snapshot(ref.sessionId, ref.getSnapshot(), { event }),
  }
}

function frameOutput(send: (f: StatelyFrame) => void): Output {
  let seq = 0
  const base = (sessionId: string): StatelyFrameBase =>
    ({ sessionId, createdAt: Date.now().toString(), id: `${sessionId}:${++seq}`, _version: STATELY_PROTOCOL_VERSION })
  return {
    actor: (ref, rootId) => send({ ...base(ref.sessionId), type: '@xstate.actor', name: ref.id,
      definition: JSON.stringify(ref.logic.config), snapshot: ref.getSnapshot(), parentId: ref._parent?.sessionId,
      rootId }),
    event: (sessionId, rootId, event, sourceId) =>
      send({ ...base(sessionId), type: '@xstate.event', event, sourceId, rootId }),
    snapshot: (ref, rootId, event) =>
      send({ ...base(ref.sessionId), type: '@xstate.snapshot', event, snapshot: ref.getSnapshot(), rootId }),
  }
}

/** Per traced machine. */
interface Traced {
  readonly mach: Machine<string>
  readonly ref: StatelyActorRef
  readonly rootId: string
  last: StatelySnapshot
  readonly offDispose: () => void
}

/** A snapshot from a clock: a state is active while its tick is odd. */
function snapshotOf(names: readonly string[], time: readonly number[], queueTick: number,
  status: StatelySnapshot['status']): StatelySnapshot {
  const value: StatelyStateValue = {}
  const clock: Record<string, number> = {}
  names.forEach((n, i) => {
    const t = time[i] ?? 0
    value[n] = t % 2 === 1 ? 'on' : 'off'
    clock[n] = t
  })
  return { status, value, context: { time: clock, queueTick }, output: undefined, error: undefined }
}

/** The machine `Tracer` behind `inspectMachine`, shared by a machine and its traced children. */
class StatelyAdapter extends TracedAdapter<Traced> implements Tracer, StatelyBridge {
  readonly #out: Output
  /** Machines whose handler runs now, innermost last: the source of mutations made meanwhile. */
  readonly #handlers: string[] = []

  constructor(out: Output, o: AdapterOptions) {
    super(o)
    this.#out = out
  }

  track(mach: Machine<string>, parent: Traced | undefined): void {
    if (this.detached || this.traced.has(mach) || mach.disposed) return
    this.guard(() => {
      const config = statechartOf(mach.schema, mach.id)
      const t: Traced = {
        mach, rootId: parent?.rootId ?? mach.id,
        last: snapshotOf(mach.names, mach.time(), mach.queueTick, 'active'),
        ref: {
          sessionId: mach.id, id: mach.id, logic: { config }, ...(parent ? { _parent: parent.ref } : {}),
          getSnapshot: () => t.last, send: () => undefined,
        },
        offDispose: mach.onDispose(() => this.guard(() => this.#stop(t))),
      }
      this.traced.set(mach, t)
      mach.bindTracer(this)
      this.#out.actor(t.ref, t.rootId)
    })
  }

  override detach(): void {
    super.detach()
    this.#handlers.length = 0
  }

  protected release(t: Traced): void {
    t.offDispose()
    t.mach.detachTracer(this) // a disposed machine may refuse; it calls no more hooks anyway
  }

  newSubmachine(parent: Machine<string>, child: Machine<string>): void {
    const t = this.traced.get(parent)
    if (this.children && t) this.track(child, t)
  }

  mutationQueued(mach: Machine<string>, mut: MutationInfo): void {
    const t = this.traced.get(mach)
    if (!t) return
    this.guard(() => this.#out.event(mach.id, t.rootId, this.#eventOf(mut.type, mut.calledStates, mut.isAuto,
      mut.args), this.#handlers.at(-1)))
  }

  handlerStart(tx: TransitionInfo): void {
    if (this.traced.has(tx.machine)) this.#handlers.push(tx.machine.id)
  }

  handlerEnd(tx: TransitionInfo): void {
    if (this.traced.has(tx.machine) && this.#handlers.at(-1) === tx.machine.id) this.#handlers.pop()
  }

  transitionEnd(tx: TransitionInfo): void {
    const t = this.traced.get(tx.machine)
    if (!t || tx.isCheck) return
    this.guard(() => {
      t.last = snapshotOf(t.mach.names, tx.timeAfter, t.mach.queueTick, 'active')
      const event = this.#eventOf(tx.type, tx.calledStates, tx.isAuto, tx.args)
      event.result = tx.accepted ? 'executed' : 'canceled'
      if (!tx.accepted) event.canceledBy = tx.canceledBy ?? 'unknown'
      this.#out.snapshot(t.ref, t.rootId, event)
    })
  }

  #stop(t: Traced): void {
    this.traced.delete(t.mach)
    t.last = { ...t.last, status: 'stopped' }
    this.#out.snapshot(t.ref, t.rootId, { type: 'xstate.stop' })
  }

  #eventOf(type: StatelyMutationEvent['type'], states: readonly string[], auto: boolean,
    args: Args | undefined): StatelyMutationEvent {
    const event: StatelyMutationEvent = { type, states: [...states], auto }
    const mapped = this.argsMap && args ? mapArgsSafely(this.argsMap, args, 'args mapper') : undefined
    if (mapped) event.args = mapped
    return event
  }

  /** Runs a hook's work under the error budget (see ErrorBudget); nothing once detached. */
}
