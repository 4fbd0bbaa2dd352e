/**
 * The relations model shared by the relations, handlers, create and heap benchmarks: a 10-state connection-like
 * schema using require, remove, add and auto, driven through a fixed 10-mutation cycle that ends where it began.
 * The same model is written once per library; `active()` maps each library's state back to the 10 names so runs
 * can be compared.
 */
import { and, createActor, createMachine, stateIn, type AnyActorRef } from 'xstate'
import { Machine, schema } from '../../../lib/index.js'
import { type Am, amMachine, toAm } from '../am.js'
import type { Lib } from '../run.js'
import { xsActive } from '../xs.js'

export const REL = schema({
  Start: { remove: ['Stop'] },
  Stop: { remove: ['Start'] },
  Connecting: { require: ['Start'], remove: ['Connected', 'Disconnected'] },
  Connected: { require: ['Start'], remove: ['Connecting', 'Disconnected'] },
  Disconnected: { auto: true, remove: ['Connecting', 'Connected'] },
  Ready: { auto: true, require: ['Connected'] },
  Sending: { require: ['Ready'], remove: ['Idle'] },
  Idle: { auto: true, remove: ['Sending'] },
  Logging: { add: ['Audit'] },
  Audit: { require: ['Logging'] },
})
export type RelName = Exclude<(typeof REL.names)[number], 'Exception'>
export const REL_NAMES = REL.names.filter((n): n is RelName => n !== 'Exception')
export const REL_AM = toAm(REL.states)

/**
 * One cycle. Step 8 is rejected by relations (Audit requires Logging); step 10 cascades through require and
 * re-triggers three auto states. Accepted steps activate 12 states per cycle (auto states included).
 */
export const CYCLE: ReadonlyArray<readonly ['add' | 'remove', RelName]> = [
  ['add', 'Start'],
  ['add', 'Connecting'],
  ['add', 'Connected'], // auto: Ready
  ['add', 'Sending'],
  ['add', 'Logging'], // add: Audit
  ['remove', 'Sending'], // auto: Idle
  ['remove', 'Logging'], // Audit loses its requirement
  ['add', 'Audit'], // rejected
  ['add', 'Sending'],
  ['add', 'Stop'], // drops Start → Connected → Ready → Sending; auto: Disconnected, Idle
]
// The state every machine is in before and after a cycle is the one the last step leaves: (Disconnected Idle Stop).

/** Handler calls, to check that every library ran the same handlers. */
export interface Calls {
  enter: number
  state: number
}

export interface Driver {
  readonly lib: Lib
  /** Runs one cycle (10 mutations). */
  cycle(): void
  /** Runs step `k` of the cycle alone (for the step-by-step comparison; not timed). */
  step(k: number): void
  /** Active states among the 10, sorted. */
  active(): string[]
  readonly calls: Calls
}

/** One library's version of the model: create an idle machine (handlers counted in `calls` when given), drive it. */
export interface Kit<T> {
  readonly lib: Lib
  create(calls: Calls | null): T
  drive(m: T, calls: Calls): Driver
}

// --- polymachine -------------------------------------------------------------------------------------------------

export const polyKit: Kit<Machine<RelName | 'Exception'>> = {
  lib: 'polymachine',
  create(calls) {
    if (!calls) return new Machine(REL) // no binding at all: an empty one would still make transitions build records
    const handlers: Record<string, () => void> = {}
    for (const s of REL_NAMES) {
      handlers[`${s}Enter`] = () => void calls.enter++
      handlers[`${s}State`] = () => void calls.state++
    }
    return new Machine(REL, { handlers })
  },
  drive: (m, calls) => ({
    lib: 'polymachine',
    calls,
    cycle() {
      for (const [type, s] of CYCLE) {
        if (type === 'add') m.add(s)
        else m.remove(s)
      }
    },
    step(k) {
      const [type, s] = CYCLE[k] as (typeof CYCLE)[number]
      if (type === 'add') m.add(s)
      else m.remove(s)
    },
    active: () => m.activeStates.filter((s) => s !== 'Exception').sort(),
  }),
}

// --- asyncmachine ------------------------------------------------------------------------------------------------

export const amKit: Kit<Am> = {
  lib: 'asyncmachine',
  create(calls) {
    if (!calls) return amMachine(REL_AM)
    const target: Record<string, () => void> = {}
    for (const s of REL_NAMES) {
      target[`${s}_enter`] = () => void calls.enter++
      target[`${s}_state`] = () => void calls.state++
    }
    return amMachine(REL_AM, target)
  },
  drive: (m, calls) => ({
    lib: 'asyncmachine',
    calls,
    cycle() {
      for (const [type, s] of CYCLE) {
        if (type === 'add') m.add(s)
        else m.drop(s)
      }
    },
    step(k) {
      const [type, s] = CYCLE[k] as (typeof CYCLE)[number]
      if (type === 'add') m.add(s)
      else m.drop(s)
    },
    active: () => m.is().filter((s) => s !== 'Exception').sort(),
  }),
}

// --- XState ------------------------------------------------------------------------------------------------------

/** How the XState version differs; printed with the results. */
export const XSTATE_NOTE =
  'XState has no relation resolution: each relation is written out by hand. Mutual exclusion = sibling states in ' +
  'four parallel regions, require = stateIn() guards and nesting, add = a child initial state, auto = an eventless ' +
  '(always) transition, the require cascade of Stop = one STOP transition per region. No clocks are kept.'

/** XState path (parallel region.state.child) of each of the 10 states. */
export const REL_PATHS: Readonly<Record<string, RelName>> = {
  'power.started': 'Start',
  'power.stopped': 'Stop',
  'conn.connecting': 'Connecting',
  'conn.connected': 'Connected',
  'conn.disconnected': 'Disconnected',
  'conn.connected.ready': 'Ready',
  'send.sending': 'Sending',
  'send.idle': 'Idle',
  'log.on': 'Logging',
  'log.on.audit': 'Audit',
}

/** Events for the cycle steps: `add.Start`, `remove.Sending`… */
const CYCLE_EVENTS = CYCLE.map(([type, s]) => ({ type: `${type}.${s}` }))

/** The relations machine in XState. With handlers: an `entry` action (≈ State) and a guard (≈ Enter) per state. */
export function xsRelMachine(calls: Calls | null) {
  const entry = (): { entry?: () => void } => (calls ? { entry: () => void calls.state++ } : {})
  const enter = (): boolean => (calls ? (calls.enter++, true) : true)
  // A relation guard, and-ed with the "Enter handler" guard when handlers are on; no guard at all otherwise.
  const started = stateIn({ power: 'started' })
  const ready = stateIn({ conn: { connected: 'ready' } })
  const to = (target: string, rel?: typeof started) => {
    if (calls) return { target, guard: rel ? and([rel, enter]) : enter }
    return rel ? { target, guard: rel } : { target }
  }
  return createMachine({
    id: 'rel',
    type: 'parallel',
    states: {
      power: {
        initial: 'stopped',
        states: {
          stopped: { ...entry(), on: { 'add.Start': to('started') } },
          started: { ...entry(), on: { 'add.Stop': to('stopped') } },
        },
      },
      conn: {
        initial: 'disconnected',
        states: {
          disconnected: {
            ...entry(),
            on: { 'add.Connecting': to('connecting', started), 'add.Connected': to('connected', started) },
          },
          connecting: { ...entry(), on: { 'add.Connected': to('connected'), 'add.Stop': to('disconnected') } },
          connected: {
            ...entry(),
            initial: 'pending',
            states: { pending: { always: to('ready') }, ready: { ...entry() } },
            on: { 'add.Connecting': to('connecting'), 'add.Stop': to('disconnected') },
          },
        },
      },
      send: {
        initial: 'idle',
        states: {
          idle: { ...entry(), on: { 'add.Sending': to('sending', ready) } },
          sending: { ...entry(), on: { 'remove.Sending': to('idle'), 'add.Stop': to('idle') } },
        },
      },
      log: {
        initial: 'off',
        states: {
          off: { on: { 'add.Logging': to('on') } },
          on: { ...entry(), initial: 'audit', states: { audit: { ...entry() } }, on: { 'remove.Logging': to('off') } },
        },
      },
    },
  })
}

// Machine definitions are immutable and shared; only actors are per machine.
const XS_PLAIN = xsRelMachine(null)

export const xsKit: Kit<AnyActorRef> = {
  lib: 'xstate',
  create: (calls) => createActor(calls ? xsRelMachine(calls) : XS_PLAIN).start(),
  drive: (actor, calls) => ({
    lib: 'xstate',
    calls,
    cycle() {
      for (const e of CYCLE_EVENTS) actor.send(e)
    },
    step(k) {
      actor.send(CYCLE_EVENTS[k] as (typeof CYCLE_EVENTS)[number])
    },
    active: () => xsActive(actor, REL_PATHS),
  }),
}

/** A machine of `kit` with the setup applied and the handler counters reset: ready for cycles. */
export function relDriver<T>(kit: Kit<T>, withHandlers: boolean): Driver {
  const calls: Calls = { enter: 0, state: 0 }
  const d = kit.drive(kit.create(withHandlers ? calls : null), calls)
  d.step(CYCLE.length - 1) // the last step (add Stop) is the setup
  calls.enter = calls.state = 0
  return d
}

/** Drivers of every library, in LIBS order. */
export function relDrivers(withHandlers: boolean): Driver[] {
  return [relDriver(polyKit, withHandlers), relDriver(xsKit, withHandlers), relDriver(amKit, withHandlers)]
}
