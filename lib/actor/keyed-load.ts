/**
 * Reading a keyed actor's saved clocks at activation: the user's `load()` called inside a guard, and its answer
 * checked, so that a fault becomes an `ActivationError` and never a fresh actor over stored data.
 */
import type { Snapshot } from '../machine/index.js'
import { describe } from '../machine/internals.js'
import { isObject } from './supervision-check.js'
import { ActivationError } from './supervision-errors.js'

/**
 * `hooks.load(key)`, checked: undefined without a `load` hook or for a key with nothing saved; a throw, a rejection
 * or a value that is not a snapshot is an `ActivationError` of keyed set `keyedId`.
 */
export async function loadSnapshot(
  keyedId: string,
  hooks: { load?: (key: string) => Snapshot | undefined | Promise<Snapshot | undefined> },
  key: string,
): Promise<Snapshot | undefined> {
  const load = hooks.load
  if (!load) return undefined
  let snap: unknown
  try {
    snap = await load.call(hooks, key)
  } catch (err) {
    throw new ActivationError(keyedId, key, `load() failed (${describe(err)})`, { cause: err })
  }
  if (snap === undefined) return undefined
  let ok = false
  try {
    const s = snap as Record<string, unknown>
    ok = isObject(s) && Array.isArray(s.names) && Array.isArray(s.time)
  } catch {
    // a hostile value: not a snapshot
  }
  if (!ok) throw new ActivationError(keyedId, key, `load() returned ${describe(snap)}, not a snapshot`)
  return snap as Snapshot
}
