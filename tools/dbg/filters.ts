/**
 * Log filters: which records the log shows. Pure; the view and `--dump` use the same ones.
 */
import type { TxRec } from './session.js'

/** `all` shows them, `hide` hides them, `only` shows nothing else. */
export type Show = 'all' | 'hide' | 'only'

export interface Filters {
  canceled: Show
  auto: Show
  queued: Show
  /** `canAdd`/`canRemove` dry runs. Default hidden. */
  checks: Show
  /** Records that call, enter or exit any of these states (empty: any). */
  states: readonly string[]
  /** Records of these machines (empty: any). */
  machines: readonly string[]
}

export const DEFAULT_FILTERS: Filters = {
  canceled: 'all', auto: 'all', queued: 'all', checks: 'hide', states: [], machines: [],
}

function pass(show: Show, is: boolean): boolean {
  return show === 'all' || (show === 'hide' ? !is : is)
}

/**
 * True when the record passes the filters.
 *
 * ```ts
 * matches(rec, { ...DEFAULT_FILTERS, canceled: 'only' })
 * ```
 */
export function matches(r: TxRec, f: Filters): boolean {
  if (!pass(f.canceled, r.result === 'canceled') || !pass(f.auto, r.auto) || !pass(f.queued, r.result === 'queued') ||
    !pass(f.checks, r.check)) return false
  if (f.machines.length > 0 && !f.machines.includes(r.machineId)) return false
  if (f.states.length > 0) {
    const touches = (n: string): boolean => r.called.includes(n) || r.enters.includes(n) || r.exits.includes(n)
    if (!f.states.some(touches)) return false
  }
  return true
}

/** The records passing the filters, in session order. */
export function filtered(log: readonly TxRec[], f: Filters): TxRec[] {
  return log.filter((r) => matches(r, f))
}

/** Cycles `all → hide → only → all`. */
export function nextShow(s: Show): Show {
  return s === 'all' ? 'hide' : s === 'hide' ? 'only' : 'all'
}

/** A short text of the active filters, e.g. `canceled:hide state:Ready`; empty when none. */
export function describeFilters(f: Filters): string {
  const parts: string[] = []
  for (const k of ['canceled', 'auto', 'queued'] as const) if (f[k] !== 'all') parts.push(`${k}:${f[k]}`)
  if (f.checks !== 'hide') parts.push(`checks:${f.checks}`)
  if (f.states.length) parts.push(`state:${f.states.join(',')}`)
  if (f.machines.length) parts.push(`machine:${f.machines.join(',')}`)
  return parts.join(' ')
}
