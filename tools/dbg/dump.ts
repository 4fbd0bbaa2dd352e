/**
 * The headless history: the session as text, one line per record with the machine's active states after it.
 * Deterministic (no wall-clock times unless asked), so CI can compare it.
 */
import { activeOf, machineTree } from './history.js'
import { type Filters, DEFAULT_FILTERS, describeFilters, filtered } from './filters.js'
import type { MachineRec, Session, TxRec } from './session.js'

/** Active states with their ticks: `(A:1 B:3)`. */
export function formatActive(m: MachineRec, time: readonly number[]): string {
  return `(${activeOf(m, time).map((n) => `${n}:${time[m.states.findIndex((s) => s.name === n)] ?? 0}`).join(' ')})`
}

/**
 * One record as a line: `#seq machine#tx result mutation [called] +enters -exits flags <- source {args}`.
 *
 * ```ts
 * formatRec(rec) // '#3 worker#2 executed add [Ready] +Ready <- main#1'
 * ```
 */
export function formatRec(r: TxRec, times = false): string {
  const parts = [`#${r.seq}`, `${r.machineId}#${r.txId}`, r.result, r.mutation, `[${r.called.join(' ')}]`]
  // a canceled record's steps are only what it would have done
  if (r.result === 'executed' && r.enters.length) parts.push(r.enters.map((n) => `+${n}`).join(' '))
  if (r.result === 'executed' && r.exits.length) parts.push(r.exits.map((n) => `-${n}`).join(' '))
  if (r.auto) parts.push('auto')
  if (r.check) parts.push('check')
  if (r.canceledBy) parts.push(`by:${r.canceledBy}`)
  if (r.source) parts.push(`<- ${r.source[0]}#${r.source[1]}`)
  if (r.args && Object.keys(r.args).length) {
    parts.push(`{${Object.keys(r.args).sort().map((k) => `${k}=${r.args?.[k] ?? ''}`).join(' ')}}`)
  }
  if (times) parts.push(`@${new Date(r.at).toISOString()}`)
  return parts.join(' ')
}

export interface DumpOptions {
  filters?: Filters
  /** Append each record's wall-clock time. */
  times?: boolean
}

/** The session as text: a header, the machine tree with the states they were described with, then the records. */
export function dump(s: Session, opts: DumpOptions = {}): string {
  const f = opts.filters ?? DEFAULT_FILTERS
  const recs = filtered(s.log, f)
  const out: string[] = []
  const desc = describeFilters(f)
  out.push(`# ${s.machines.size} machines, ${s.log.length} records, ${recs.length} shown, ${s.dropped} dropped` +
    (s.refusedMachines > 0 ? `, ${s.refusedMachines} machines refused over the cap of ${s.maxMachines}` : '') +
    (desc ? ` (filters: ${desc})` : ''))
  for (const { machine: m, depth } of machineTree(s)) {
    const flags = m.disposed ? ' disposed' : ''
    const tags = m.tags.length ? ` tags:${m.tags.join(',')}` : ''
    out.push(`${'  '.repeat(depth)}machine ${m.id}${tags}${flags} states:${m.states.map((x) => x.name).join(',')} ` +
      `start:${formatActive(m, m.initialTime)}`)
  }
  for (const r of recs) {
    const m = s.machines.get(r.machineId)
    out.push(`${formatRec(r, opts.times)}${m ? ` => ${formatActive(m, r.time)}` : ''}`)
  }
  return out.join('\n') + '\n'
}
