/**
 * Whether a transition needs a `Tx` record: when tracers or `transitions$` watch, or when some bound handler may
 * run in it. Without one, a transition skips negotiation and final handlers: handlers bound for other states cost
 * nothing.
 */
import type { Core } from './core.js'
import type { MutationType } from './events.js'
import type { Resolution } from './resolution.js'

/** True when the transition resolved as `res` needs a record (the caller checked `core.wantsTx`). */
export function needsRecord(core: Core, res: Resolution, type: MutationType): boolean {
  return res === core.handledEntry || recorded(core) || handlersMayRun(core, res, type)
}

/** Tracers and `transitions$` see every transition, so each gets a record. */
function recorded(core: Core): boolean {
  return core.tracers.length > 0 || (core.observers?.wantsTx() ?? false)
}

/**
 * Whether some bound handler may run in this transition. When none can (and nobody records transitions), it runs
 * without a `Tx`: handlers bound for other states cost nothing here. Self and pair handlers count as possible
 * whenever any exist (they are rare; finding out exactly would cost more than the record).
 */
function handlersMayRun(core: Core, res: Resolution, type: MutationType): boolean {
  if (!res.accepted) return false
  if (mayRun(core, res, type)) {
    // A memo entry seen to need a record is remembered, so a run of it (an actor's messages) skips the search.
    if (res.kind === 'shared') core.handledEntry = res
    return true
  }
  return false
}

function mayRun(core: Core, res: Resolution, type: MutationType): boolean {
  const { enters, exits } = res
  for (const b of core.bindings) {
    // State handlers of the enters first: the common case (a message's handler) answers at once.
    const { enter, state, exit, end } = b
    for (let k = 0; k < enters.length; k++) {
      const x = enters[k] as number
      if (state?.[x] !== undefined || enter?.[x] !== undefined) return true
    }
    if (b.anyEnter !== null || b.anyState !== null) return true
    for (let k = 0; k < exits.length; k++) {
      const x = exits[k] as number
      if (exit?.[x] !== undefined || end?.[x] !== undefined) return true
    }
  }
  return core.pairFrom !== null || (core.hasSelf && type !== 'remove')
}
