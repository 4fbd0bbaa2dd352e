/**
 * The debugger view's state and its key handling, without ink: which machine is selected, the log filters, the
 * time-travel cursor, the state-filter prompt. `press()` is a pure reducer over the session, so the view is a
 * function of (session, view state) and the keys can be tested without a terminal.
 */
import { DEFAULT_FILTERS, type Filters, filtered, nextShow } from './filters.js'
import { machineTree, type TreeRow } from './history.js'
import type { MachineRec, Session, TxRec } from './session.js'

export interface ViewState {
  readonly focus: 'machines' | 'log'
  /** Id of the selected machine (null: the first one). */
  readonly machine: string | null
  /** The log shows only the selected machine. */
  readonly onlySelected: boolean
  readonly filters: Filters
  /** Seq of the record time travel stopped at; null follows the newest (live). */
  readonly cursor: number | null
  /** The state-filter prompt's text while typing, else null. */
  readonly prompt: string | null
  /** One status line (export done, errors). */
  readonly status: string
  /** Asked for by a key; the view performs it and clears it. */
  readonly effect: 'quit' | 'export' | null
}

export const INITIAL_VIEW: ViewState = {
  focus: 'log', machine: null, onlySelected: false, filters: DEFAULT_FILTERS, cursor: null, prompt: null, status: '',
  effect: null,
}

/** A key as ink reports it, reduced to what the debugger uses. */
export interface KeyPress {
  readonly input: string
  readonly up?: boolean
  readonly down?: boolean
  readonly left?: boolean
  readonly right?: boolean
  readonly tab?: boolean
  readonly return?: boolean
  readonly escape?: boolean
  readonly backspace?: boolean
  readonly delete?: boolean
  readonly pageUp?: boolean
  readonly pageDown?: boolean
  readonly home?: boolean
  readonly end?: boolean
}

/** What the view shows, derived from the session and the view state. */
export interface Derived {
  readonly tree: TreeRow[]
  readonly selected: MachineRec | undefined
  /** The records the log shows. */
  readonly records: TxRec[]
  /** Index of the cursor in `records` (the last one when live; -1 when empty). */
  readonly index: number
  /** The record at the cursor, if any. */
  readonly current: TxRec | undefined
}

/** The filters the log applies: the view's, plus the selected machine when `onlySelected`. */
export function logFilters(s: Session, v: ViewState): Filters {
  const sel = selectedOf(s, v)
  return v.onlySelected && sel ? { ...v.filters, machines: [sel.id] } : v.filters
}

function selectedOf(s: Session, v: ViewState): MachineRec | undefined {
  return (v.machine !== null ? s.machines.get(v.machine) : undefined) ?? s.machines.values().next().value
}

/** Computes what to show. */
export function derive(s: Session, v: ViewState): Derived {
  const tree = machineTree(s)
  const records = filtered(s.log, logFilters(s, v))
  let index = records.length - 1
  if (v.cursor !== null) {
    // the last shown record at or before the cursor (filters may hide the cursor's own record)
    index = -1
    for (let lo = 0, hi = records.length - 1; lo <= hi;) {
      const mid = (lo + hi) >> 1
      if ((records[mid] as TxRec).seq <= v.cursor) {
        index = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    if (index === -1 && records.length > 0) index = 0
  }
  return { tree, selected: selectedOf(s, v), records, index, current: records[index] }
}

const PAGE = 10

/**
 * Applies one key. Keys: Tab focus · ↑/↓ (k/j) select a machine or step the log · ←/→ step back/forward in time ·
 * PgUp/PgDn by 10 · Home/End (g/G) first record / live · c canceled · a auto · u queued · h checks (each cycles
 * all → hide → only) · m only the selected machine · s jump to the transition that made the record's mutation · /
 * filter by states (comma-separated, Enter applies, Esc cancels) · x clear filters · e export · q quit.
 */
export function press(s: Session, v: ViewState, k: KeyPress): ViewState {
  if (v.prompt !== null) return promptKey(v, k)
  const d = derive(s, v)
  const step = (delta: number): ViewState => {
    if (d.records.length === 0) return v
    const i = Math.max(0, Math.min(d.records.length - 1, d.index + delta))
    const rec = d.records[i] as TxRec
    const live = delta > 0 && i === d.records.length - 1
    return { ...v, cursor: live ? null : rec.seq, machine: v.onlySelected ? v.machine : rec.machineId }
  }
  const selectMachine = (delta: number): ViewState => {
    if (d.tree.length === 0) return v
    const at = Math.max(0, d.tree.findIndex((r) => r.machine.id === d.selected?.id))
    const i = Math.max(0, Math.min(d.tree.length - 1, at + delta))
    return { ...v, machine: (d.tree[i] as TreeRow).machine.id }
  }
  const f = v.filters
  if (k.tab) return { ...v, focus: v.focus === 'log' ? 'machines' : 'log' }
  if (k.up || k.input === 'k') return v.focus === 'machines' ? selectMachine(-1) : step(-1)
  if (k.down || k.input === 'j') return v.focus === 'machines' ? selectMachine(1) : step(1)
  if (k.left) return step(-1)
  if (k.right) return step(1)
  if (k.pageUp) return step(-PAGE)
  if (k.pageDown) return step(PAGE)
  if (k.home || k.input === 'g') return step(-Infinity)
  if (k.end || k.input === 'G') return { ...v, cursor: null }
  switch (k.input) {
    case 'c': return { ...v, filters: { ...f, canceled: nextShow(f.canceled) } }
    case 'a': return { ...v, filters: { ...f, auto: nextShow(f.auto) } }
    case 'u': return { ...v, filters: { ...f, queued: nextShow(f.queued) } }
    case 'h': return { ...v, filters: { ...f, checks: nextShow(f.checks) } }
    case 'm': return { ...v, onlySelected: !v.onlySelected, machine: d.selected?.id ?? null }
    case 'x': return { ...v, filters: DEFAULT_FILTERS, onlySelected: false }
    case '/': return { ...v, prompt: f.states.join(',') }
    case 's': return toSource(s, v, d)
    case 'e': return { ...v, effect: 'export' }
    case 'q': return { ...v, effect: 'quit' }
    default: return v
  }
}

/**
 * Moves the cursor to the record's source transition (its own record, not a queued one) and selects its machine;
 * the filters are cleared when they hide it. A status line says when there is none.
 */
function toSource(s: Session, v: ViewState, d: Derived): ViewState {
  const src = d.current?.source
  if (!src) return { ...v, status: 'this record has no source transition' }
  const rec = s.machines.get(src[0])?.txs.find((r) => r.txId === src[1] && r.result !== 'queued')
  if (!rec) return { ...v, status: `source ${src[0]}#${src[1]} is not in the session` }
  const visible = derive(s, { ...v, machine: rec.machineId }).records.includes(rec)
  return { ...v, cursor: rec.seq, machine: rec.machineId, status: `source ${src[0]}#${src[1]}`,
    ...(visible ? {} : { filters: DEFAULT_FILTERS, onlySelected: false }) }
}

function promptKey(v: ViewState, k: KeyPress): ViewState {
  const text = v.prompt ?? ''
  if (k.escape) return { ...v, prompt: null }
  if (k.return) {
    const states = text.split(',').map((x) => x.trim()).filter((x) => x !== '')
    return { ...v, prompt: null, filters: { ...v.filters, states } }
  }
  if (k.backspace || k.delete) return { ...v, prompt: text.slice(0, -1) }
  if (k.input && !k.tab && !k.up && !k.down && !k.left && !k.right) return { ...v, prompt: text + k.input }
  return v
}
