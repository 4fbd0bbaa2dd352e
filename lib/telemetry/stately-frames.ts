/**
 * The frames of the Stately inspector protocol (what `@statelyai/inspect` 0.7 sends to its relay and UI) as the
 * bridge emits them, the statechart generated for a schema, and `parseStatelyFrame` for consumers of a relay.
 * Declared here, not imported: the package is needed only by whoever creates an inspector.
 */
import type { Schema } from '../machine/index.js'

/** The inspector protocol version the frames follow (`_version` of `@statelyai/inspect` 0.7). */
export const STATELY_PROTOCOL_VERSION = '0.7.2'

/** A machine's states as the inspector's state value: one region per state, `'on'` when active. */
export type StatelyStateValue = Record<string, 'on' | 'off'>

/** The actor snapshot: state value, ticks and queue tick as context; `stopped` once the machine is disposed. */
export interface StatelySnapshot {
  status: 'active' | 'stopped'
  value: StatelyStateValue
  context: { time: Record<string, number>; queueTick: number }
  output: undefined
  error: undefined
}

/** A mutation as an inspector event; `result` and `canceledBy` are set on the snapshot's event once it ran. */
export type StatelyMutationEvent = {
  type: 'add' | 'remove' | 'set'
  states: string[]
  auto: boolean
  args?: Record<string, string>
  result?: 'executed' | 'canceled'
  canceledBy?: string
}

/** The event of the last snapshot, sent when the machine is disposed. */
export type StatelyStopEvent = { type: 'xstate.stop' }

/** Fields every frame has. */
export type StatelyFrameBase = { sessionId: string; createdAt: string; id: string; _version: string }

/** `@xstate.actor`: a machine and its statechart (`definition`, JSON of a {@link StatelyMachineConfig}). */
export type StatelyActorFrame = StatelyFrameBase & {
  type: '@xstate.actor'
  name: string
  definition: string
  snapshot: StatelySnapshot
  parentId: string | undefined
  rootId: string | undefined
}

/** `@xstate.event`: a mutation made on the machine (`sourceId`: the machine whose handler made it). */
export type StatelyEventFrame = StatelyFrameBase & {
  type: '@xstate.event'
  event: StatelyMutationEvent
  sourceId: string | undefined
  rootId: string
}

/** `@xstate.snapshot`: the machine after a transition, with the mutation that caused it. */
export type StatelySnapshotFrame = StatelyFrameBase & {
  type: '@xstate.snapshot'
  event: StatelyMutationEvent | StatelyStopEvent
  snapshot: StatelySnapshot
  rootId: string
}

/** The frames the bridge emits; the same shape `@statelyai/inspect` sends to its relay and UI. */
export type StatelyFrame = StatelyActorFrame | StatelyEventFrame | StatelySnapshotFrame

/** A region of the generated statechart. */
export interface StatelyRegionConfig {
  initial: 'off'
  description: string
  meta: { require: string[]; add: string[]; remove: string[]; after: string[]; auto: boolean; multi: boolean;
    tags: string[] }
  states: { off: { on: Record<string, { target: 'on' }> }; on: { on: Record<string, { target: 'on' | 'off';
    reenter?: boolean }> } }
}

/** The generated statechart: an XState machine config in JSON, a parallel state with a region per state. */
export interface StatelyMachineConfig {
  id: string
  type: 'parallel'
  states: Record<string, StatelyRegionConfig>
}

/** What the inspector reads from an actor object: `sessionId`, `logic.config` (the chart), `_parent`. */
export interface StatelyActorRef {
  readonly sessionId: string
  readonly id: string
  readonly logic: { readonly config: StatelyMachineConfig }
  readonly _parent?: StatelyActorRef
  /** The last snapshot sent. */
  getSnapshot(): StatelySnapshot
  /** The inspector never sends to actors; mutations are made on the machine. Does nothing. */
  send(event: unknown): void
}


/**
 * The statechart the inspector shows for a schema: a parallel machine with one region per state, each with `off`
 * (initial) and `on` children. `add`/`set` lead to `on`, `remove`/`set` back to `off` (a multi state re-enters `on`
 * on `add`); the relations are in each region's `description` and `meta`. The edges only sketch what a mutation may
 * do: which region actually changes is what the relations resolve, and the snapshots show it.
 *
 * ```ts
 * const chart = statechartOf(schema({ Start: {}, Ready: { require: ['Start'] } }), 'app')
 * chart.states.Ready?.description // 'requires Start'
 * ```
 */
export function statechartOf(s: Schema<string>, id: string): StatelyMachineConfig {
  const states: Record<string, StatelyRegionConfig> = {}
  for (const name of s.names) {
    const d = s.states[name] ?? {}
    const meta = { require: [...(d.require ?? [])], add: [...(d.add ?? [])], remove: [...(d.remove ?? [])],
      after: [...(d.after ?? [])], auto: d.auto === true, multi: d.multi === true, tags: [...(d.tags ?? [])] }
    const onEdges: StatelyRegionConfig['states']['on']['on'] = { remove: { target: 'off' }, set: { target: 'off' } }
    if (meta.multi) onEdges.add = { target: 'on', reenter: true }
    states[name] = { initial: 'off', description: describeRelations(meta), meta,
      states: { off: { on: { add: { target: 'on' }, set: { target: 'on' } } }, on: { on: onEdges } } }
  }
  return { id, type: 'parallel', states }
}

function describeRelations(m: StatelyRegionConfig['meta']): string {
  const parts: string[] = []
  if (m.auto) parts.push('auto')
  if (m.multi) parts.push('multi')
  const list = (label: string, names: string[]): void => {
    if (names.length > 0) parts.push(`${label} ${names.join(', ')}`)
  }
  list('requires', m.require)
  list('adds', m.add)
  list('removes', m.remove)
  list('after', m.after)
  if (m.tags.length > 0) parts.push(`tags ${m.tags.join(', ')}`)
  return parts.join('; ')
}

const FRAME_TYPES = new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot'])

/**
 * Reads a frame received from an inspector relay (a JSON text or a parsed value): the frame when it is one of the
 * three types the bridge sends with a `sessionId`, undefined for anything else (other `@xstate.*` types, other
 * messages, malformed JSON), so a consumer can ignore what it does not know.
 *
 * ```ts
 * ws.on('message', (data) => { const f = parseStatelyFrame(String(data)); if (f) frames.push(f) })
 * ```
 */
export function parseStatelyFrame(data: unknown): StatelyFrame | undefined {
  let v: unknown = data
  if (typeof data === 'string') {
    try {
      v = JSON.parse(data)
    } catch {
      return undefined
    }
  }
  if (typeof v !== 'object' || v === null) return undefined
  const { type, sessionId } = v as { type?: unknown; sessionId?: unknown }
  if (typeof type !== 'string' || !FRAME_TYPES.has(type) || typeof sessionId !== 'string') return undefined
  return v as StatelyFrame
}
