/**
 * Internal access to a machine's state, for tests and for layers of this package that must inspect it (leak checks,
 * debuggers). Not part of the public API: not exported from the package entry, and free to change.
 */
import type { Core } from './core.js'
export { cancelLater, later, MAX_DELAY, type Later } from './later.js'
export { macrotask, TurnBudget } from './turns.js'
export { describe, safeGet, safeJson, safeString, thenOf } from './describe.js'
export { memberNames as handlerMembers, sharedProto as handlerClass } from './handlers.js'
import { coreOf, type Machine } from './machine.js'
export { isMachine } from './machine.js'
import { followState } from './waiters.js'
import { dropQueued as dropQueuedIn } from './queue.js'

export function internals(m: Machine<string>): Core {
  return coreOf(m)
}

/** Registered waiters, watchers and state signals of a machine: 0 when nothing is pending. */
export function pendingWaiters(m: Machine<string>): number {
  return coreOf(m).waiters?.size ?? 0
}

/**
 * Calls `fn(active)` now and after every transition that changed whether `state` is active; returns the function
 * that stops it (the machine's disposal stops it too). What `state$` does, without rxjs: for this package's layers,
 * which watch every actor's `Exception` and would otherwise pay a subscription chain per actor.
 */
export function onActivity(m: Machine<string>, state: string, fn: (active: boolean) => void): () => void {
  const core = coreOf(m)
  if (core.disposed) return () => undefined
  const i = core.parse(state, 'onActivity()')[0] as number
  return followState(core, i, () => core.isActive(i), fn, () => undefined)
}

/**
 * Drops `m`'s queued mutation that returned `queueTick`, before it runs (it keeps its queue tick); false when it ran
 * or is not queued. For the RPC server, whose clients may cancel a call that timed out.
 */
export function dropQueued(m: Machine<string>, queueTick: number): boolean {
  return dropQueuedIn(coreOf(m), queueTick)
}
