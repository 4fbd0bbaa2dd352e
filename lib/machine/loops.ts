/**
 * The loop rules: no handler-driven cycle may hang the process or starve the event loop.
 * - Drain budget: one synchronous queue run executes at most `drainBudget` transitions (auto rounds and prepended
 *   Exception adds count too); the rest of the queue continues in a macrotask, so timers and I/O run in between.
 *   The run is not over meanwhile: `processing` stays true (mutations are queued and return their queue tick),
 *   `whenQueueEnds()` waits for the real end.
 * - Exception storm: handler failures that keep re-adding an active `Exception` (a handler that throws in every
 *   transition, an async `ExceptionState`/`AnyState` that always rejects) stop adding it after STORM_LIMIT within
 *   STORM_WINDOW ms (see `failureMayReAdd`). `mach.err` becomes a `LoopError` (ERR_LOOP) whose cause is the last
 *   failure, `Exception` stays active, one line is reported.
 */
import type { Core } from './core.js'
import { safeString } from './describe.js'
import { LoopError, OutOfRangeError } from './errors.js'
import { LogLevel } from './types.js'
import { macrotask } from './turns.js'

export const DEFAULT_DRAIN_BUDGET = 10_000
/** Handler failures re-adding an active Exception within STORM_WINDOW ms that make a storm. */
export const STORM_LIMIT = 100
export const STORM_WINDOW = 1000
/** A run that yielded this many times is reported (once) as a probable cycle. */
const YIELDS_REPORTED = 10

/** `opts.drainBudget`, validated: a positive integer (Infinity turns the budget off). */
export function drainBudgetOf(budget: unknown): number {
  if (budget === undefined) return DEFAULT_DRAIN_BUDGET
  if (budget === Infinity) return Infinity
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1) {
    throw new OutOfRangeError('new Machine()', 'options.drainBudget', 'a positive integer or Infinity', budget)
  }
  return budget
}


/**
 * Suspends the current run: the queue keeps its place and `resume` continues it in a macrotask. The dequeued slots
 * are dropped now, so a cycle that never ends does not grow the queue array.
 */
export function suspend(core: Core, resume: (core: Core) => void): void {
  const q = core.queue
  if (core.queueHead > 0) {
    q.splice(0, core.queueHead)
    core.queueHead = 0
  }
  core.suspended = true
  core.yields++
  if (core.log.on(LogLevel.Ops)) {
    core.log.emit(LogLevel.Ops, `[queue:yield] ${core.drainBudget} transitions; ${core.queueLen} queued continue later`)
  }
  if (core.yields === YIELDS_REPORTED) {
    core.report(`a queue run passed ${YIELDS_REPORTED * core.drainBudget} transitions: a handler-driven cycle? ` +
      `It goes on in macrotasks of ${core.drainBudget} transitions (next: ${next(core)})`)
  }
  macrotask(() => resume(core))
}

function next(core: Core): string {
  if (core.autoNext !== null) return `auto ${core.names(core.autoNext).join(' ')}`
  const m = core.queue[core.queueHead]
  return m ? m.toString() : 'nothing'
}

/**
 * Counts a handler failure that would re-add an active Exception: a synchronous throw (any handler), or the rejection
 * of an async handler that ran in a transition adding Exception. Returns true when Exception may be added for it;
 * false during an Exception storm: more than STORM_LIMIT such failures with less than STORM_WINDOW ms between the
 * first and the last. The failure that starts a storm leaves a LoopError (cause: that failure) as `mach.err` and is
 * reported in one line; later ones are only logged (`[error:loop]`) until STORM_WINDOW ms pass without one, or until
 * Exception is removed. Failures while Exception is inactive are ordinary errors and are not counted: an application
 * that handles its errors (removes Exception) never trips this, however many it has.
 */
export function failureMayReAdd(core: Core, handler: string, err: unknown): boolean {
  if (!core.isActive(core.tables.exception)) {
    core.stormed = false
    return true
  }
  const now = Date.now()
  if (core.stormed) {
    if (now - core.stormStart <= STORM_WINDOW) {
      core.stormStart = now
      if (core.log.on(LogLevel.Changes)) {
        core.log.emit(LogLevel.Changes, `[error:loop] ${handler} failed during an Exception storm: ${describeErr(err)}`)
      }
      return false
    }
    core.stormed = false
    core.stormCount = 0
  }
  if (core.stormCount === 0 || now - core.stormStart > STORM_WINDOW) {
    core.stormStart = now
    core.stormCount = 0
  }
  if (++core.stormCount <= STORM_LIMIT) return true
  core.stormed = true
  core.stormStart = now
  const detail = `Exception storm: ${STORM_LIMIT} handler failures within ${STORM_WINDOW} ms re-added Exception ` +
    `(last: ${handler}, ${describeErr(err)}); Exception stays active and failures do not re-add it until ` +
    `${STORM_WINDOW} ms pass without one`
  const loop = new LoopError(core.id, detail, { cause: err })
  core.err = loop
  core.report(detail)
  return false
}

/** A failure worth a printed line: not one of many re-adding an active Exception (those are logged only). */
export function firstFailure(core: Core): boolean {
  return core.stormCount <= 1 || !core.isActive(core.tables.exception)
}

function describeErr(err: unknown): string {
  const s = safeString(err)
  return s.length <= 120 ? s : `${s.slice(0, 119)}…`
}
