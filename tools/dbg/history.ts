/**
 * Time travel over a session: a machine's clock and active states as they were at any record, and the machine
 * tree. Pure functions over the session store.
 */
import type { MachineRec, Session, TxRec } from './session.js'

/** The machine's last record with `seq ≤ at` that carries a clock (not a queued one); binary search. */
function lastAt(m: MachineRec, at: number): TxRec | undefined {
  let lo = 0
  let hi = m.txs.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if ((m.txs[mid] as TxRec).seq <= at) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  for (let i = found; i >= 0; i--) {
    const r = m.txs[i] as TxRec
    if (r.result !== 'queued') return r
  }
  return undefined
}

/**
 * The machine's clock as it was right after record `at` (a session seq; `Infinity` for now): the clock of its last
 * record up to there, or the clock it was described with.
 *
 * ```ts
 * timeAt(session, 'm1', 12) // [1, 0, 2, …]
 * ```
 */
export function timeAt(m: MachineRec, at: number): readonly number[] {
  return lastAt(m, at)?.time ?? m.initialTime
}

/** State names active (odd tick) in a clock. */
export function activeOf(m: MachineRec, time: readonly number[]): string[] {
  const out: string[] = []
  m.states.forEach((s, i) => {
    if (((time[i] ?? 0) & 1) === 1) out.push(s.name)
  })
  return out
}

/** The clock before a record (that machine's previous clock). */
export function timeBefore(m: MachineRec, rec: TxRec): readonly number[] {
  return timeAt(m, rec.seq - 1)
}

/** One row of the machine tree: depth 0 for roots; children follow their parent, in arrival order. */
export interface TreeRow {
  readonly machine: MachineRec
  readonly depth: number
}

/** The machines as a tree of parents; a machine whose parent is unknown is a root. */
export function machineTree(s: Session): TreeRow[] {
  const kids = new Map<string | null, MachineRec[]>()
  for (const m of s.machines.values()) {
    const p = m.parentId !== null && s.machines.has(m.parentId) ? m.parentId : null
    const list = kids.get(p) ?? []
    list.push(m)
    kids.set(p, list)
  }
  const out: TreeRow[] = []
  const seen = new Set<string>()
  const walk = (parent: string | null, depth: number): void => {
    for (const m of kids.get(parent) ?? []) {
      if (seen.has(m.id)) continue
      seen.add(m.id)
      out.push({ machine: m, depth })
      walk(m.id, depth + 1)
    }
  }
  walk(null, 0)
  // parent cycles (a hostile sender) have no root: list them flat
  for (const m of s.machines.values()) if (!seen.has(m.id)) out.push({ machine: m, depth: 0 })
  return out
}
