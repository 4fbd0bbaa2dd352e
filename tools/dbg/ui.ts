/**
 * The debugger's terminal view (ink 6 + React, written with `createElement` so no JSX setting is needed): the
 * machine tree, the selected machine's states at the time-travel cursor, the filtered transition log and a status
 * line. All logic lives in view-model.ts; this file only draws and forwards keys.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink'
import { createElement as h, useEffect, useState, type ReactElement } from 'react'
import { formatRec } from './dump.js'
import { describeFilters } from './filters.js'
import { timeAt } from './history.js'
import type { MachineRec, Session, TxRec } from './session.js'
import { derive, INITIAL_VIEW, logFilters, press, type Derived, type KeyPress, type ViewState } from './view-model.js'

export interface AppProps {
  readonly session: Session
  /** Shown in the header: where the server listens, or the imported file. */
  readonly title: string
  /** Called by the `e` key; resolves with a status line. */
  readonly onExport?: () => Promise<string>
  readonly initial?: Partial<ViewState>
  /** Milliseconds between redraws while records stream in. Default 50. */
  readonly redrawMs?: number
}

const HELP = 'tab focus · ↑↓ select/step · ←→ time travel · g/G first/live · c/a/u/h canceled/auto/queued/checks · ' +
  'm this machine · s source · / states · x clear · e export · q quit'

/** The debugger app. */
export function App(props: AppProps): ReactElement {
  const { session } = props
  const [v, setV] = useState<ViewState>({ ...INITIAL_VIEW, ...props.initial })
  const [, redraw] = useState(0)
  const { exit } = useApp()
  const { stdout } = useStdout()
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    const off = session.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = null
        redraw((n) => n + 1)
      }, props.redrawMs ?? 50)
    })
    return () => {
      off()
      if (timer !== null) clearTimeout(timer)
    }
  }, [session, props.redrawMs])
  useInput((input, key) => {
    const k: KeyPress = { input, up: key.upArrow, down: key.downArrow, left: key.leftArrow, right: key.rightArrow,
      tab: key.tab, return: key.return, escape: key.escape, backspace: key.backspace, delete: key.delete,
      pageUp: key.pageUp, pageDown: key.pageDown, home: key.home, end: key.end }
    setV((prev) => press(session, prev, k))
  })
  useEffect(() => {
    if (v.effect === 'quit') {
      exit()
      return
    }
    if (v.effect !== 'export') return
    setV((p) => ({ ...p, effect: null, status: 'exporting…' }))
    const run = props.onExport ?? (() => Promise.resolve('no export path (start with --export FILE)'))
    run().then((status) => setV((p) => ({ ...p, status })), (err: unknown) =>
      setV((p) => ({ ...p, status: `export failed: ${err instanceof Error ? err.message : String(err)}` })))
  }, [v.effect])

  const d = derive(session, v)
  const rows = stdout.rows > 0 ? stdout.rows : 24
  const width = stdout.columns > 0 ? stdout.columns : 100
  const top = Math.max(6, Math.floor((rows - 6) / 2))
  // header 1 + states box (top + 2) + log box (logRows + 3) + footer 1, one line spare so the terminal never scrolls
  const logRows = Math.max(4, rows - top - 8)
  return h(Box, { flexDirection: 'column', width },
    header(session, props.title),
    h(Box, { flexDirection: 'row', height: top + 2 },
      machinesPanel(d, v, top),
      statesPanel(d, v, top)),
    logPanel(session, d, v, logRows),
    footer(v))
}

function header(s: Session, title: string): ReactElement {
  return h(Text, { bold: true, wrap: 'truncate' },
    `polymachine-dbg · ${title} · clients ${s.connections.size} · machines ${s.machines.size}` +
    // early in the line, so a narrow terminal does not cut it off
    (s.refusedMachines > 0 ? ` (cap ${s.maxMachines}, ${s.refusedMachines} refused)` : '') +
    ` · records ${s.log.length} · dropped ${s.dropped}`)
}

function machinesPanel(d: Derived, v: ViewState, height: number): ReactElement {
  const at = d.tree.findIndex((r) => r.machine.id === d.selected?.id)
  const start = Math.max(0, Math.min(at - Math.floor(height / 2), d.tree.length - height))
  const lines = d.tree.slice(start, start + height).map((r) => {
    const sel = r.machine.id === d.selected?.id
    const mark = sel ? '>' : ' '
    return h(Text, { key: r.machine.id, inverse: sel && v.focus === 'machines', wrap: 'truncate',
      dimColor: r.machine.disposed }, `${mark} ${'  '.repeat(r.depth)}${r.machine.id}${r.machine.disposed ? ' ✗' : ''} ` +
      `(${r.machine.txs.length})`)
  })
  return h(Box, { flexDirection: 'column', borderStyle: 'single', width: '30%',
    borderColor: v.focus === 'machines' ? 'cyan' : 'gray' },
    h(Text, { bold: true }, 'machines'),
    ...(lines.length ? lines : [h(Text, { key: 'none', dimColor: true }, 'waiting for machines…')]))
}

function relations(m: MachineRec, i: number): string {
  const s = m.states[i]
  if (!s) return ''
  const parts: string[] = []
  if (s.auto) parts.push('auto')
  if (s.multi) parts.push('multi')
  if (s.require.length) parts.push(`req:${s.require.join(',')}`)
  if (s.remove.length) parts.push(`rm:${s.remove.join(',')}`)
  if (s.add.length) parts.push(`add:${s.add.join(',')}`)
  if (s.after.length) parts.push(`after:${s.after.join(',')}`)
  if (s.tags.length) parts.push(`#${s.tags.join(',#')}`)
  return parts.join(' ')
}

function statesPanel(d: Derived, v: ViewState, height: number): ReactElement {
  const m = d.selected
  if (!m) return h(Box, { borderStyle: 'single', flexGrow: 1 }, h(Text, { dimColor: true }, 'no machine'))
  // time travel: the machine as it was at the cursor (its own last record up to there)
  const cur = d.current
  const at = cur?.seq ?? Infinity
  const time = timeAt(m, at)
  const own: TxRec | undefined = cur && cur.machineId === m.id ? cur : undefined
  const nameW = Math.max(...m.states.map((s) => s.name.length))
  const lines = m.states.slice(0, height).map((s, i) => {
    const tick = time[i] ?? 0
    const active = (tick & 1) === 1
    const entered = own?.result === 'executed' && own.enters.includes(s.name)
    const exited = own?.result === 'executed' && own.exits.includes(s.name)
    const mark = entered ? '+' : exited ? '-' : active ? '●' : '○'
    const color = entered ? 'green' : exited ? 'red' : active ? 'greenBright' : ''
    return h(Text, { key: s.name, wrap: 'truncate', ...(color ? { color } : {}), dimColor: !active && !exited },
    `${mark} ${s.name.padEnd(nameW)} ${String(tick).padStart(4)}  ${relations(m, i)}`)
  })
  const when = cur && v.cursor !== null ? `at #${cur.seq}` : 'now'
  return h(Box, { flexDirection: 'column', borderStyle: 'single', flexGrow: 1, borderColor: 'gray' },
    h(Text, { bold: true, wrap: 'truncate' }, `states of ${m.id} ${when}${m.disposed ? ' (disposed)' : ''}` +
      `${m.parentId ? ` · parent ${m.parentId}` : ''}${m.tags.length ? ` · tags ${m.tags.join(',')}` : ''}`),
    ...lines)
}

function logPanel(s: Session, d: Derived, v: ViewState, height: number): ReactElement {
  const n = d.records.length
  const start = Math.max(0, Math.min(d.index - Math.floor(height / 2), n - height))
  const lines = d.records.slice(start, start + height).map((r, k) => {
    const sel = start + k === d.index
    const color = r.result === 'canceled' ? 'red' : r.result === 'queued' ? 'yellow' : r.auto ? 'cyan' : ''
    return h(Text, { key: r.seq, inverse: sel, wrap: 'truncate', ...(color ? { color } : {}) }, `${sel ? '>' : ' '} ${formatRec(r)}`)
  })
  const pos = n === 0 ? 'empty' : `${d.index + 1}/${n}${v.cursor === null ? ' live' : ''}`
  const filters = describeFilters(logFilters(s, v))
  return h(Box, { flexDirection: 'column', borderStyle: 'single', height: height + 3,
    borderColor: v.focus === 'log' ? 'cyan' : 'gray' },
    h(Text, { bold: true, wrap: 'truncate' }, `log ${pos}${filters ? ` · ${filters}` : ''}`),
    ...(lines.length ? lines : [h(Text, { key: 'none', dimColor: true }, 'no records')]))
}

function footer(v: ViewState): ReactElement {
  if (v.prompt !== null) return h(Text, { color: 'yellow' }, `filter states (comma-separated, Enter/Esc): ${v.prompt}█`)
  return h(Text, { dimColor: true, wrap: 'truncate' }, v.status ? `${v.status} · ${HELP}` : HELP)
}
