/**
 * Internal access to a machine's state, for tests and for layers of this package that must inspect it (leak checks,
 * debuggers). Not part of the public API: not exported from the package entry, and free to change.
 */
import type { Core } from './core.js'
import { coreOf, type Machine } from './machine.js'

export function internals(m: Machine<string>): Core {
  return coreOf(m)
}

/** Registered waiters, watchers and state signals of a machine: 0 when nothing is pending. */
export function pendingWaiters(m: Machine<string>): number {
  return coreOf(m).w?.size ?? 0
}
