/**
 * polymachine-dbg's terminal view driven by ink-testing-library (issue 16 item 2): select a machine, filter the
 * log, step back and forward in time, filter by state, export, quit. ink turns interactivity off when `CI` is set,
 * so this file unsets `CI`/`CONTINUOUS_INTEGRATION` in its own worker before loading ink.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Machine, schema, type Event } from '../../lib/index.js'
import { DbgFlag, DbgTracer, type DbgSink } from '../../lib/telemetry/index.js'
import { Session } from '../../tools/dbg/session.js'
import { INITIAL_VIEW, press, derive } from '../../tools/dbg/view-model.js'

// type-only imports load nothing: ink itself is imported in beforeAll, after CI is unset
import type * as InkT from 'ink-testing-library'
import type * as ReactT from 'react'
import type * as UiT from '../../tools/dbg/ui.js'

type Ink = typeof InkT
type Ui = typeof UiT
type ReactMod = typeof ReactT
let ink: Ink
let ui: Ui
let react: ReactMod

beforeAll(async () => {
  delete process.env['CI']
  delete process.env['CONTINUOUS_INTEGRATION']
  ink = await import('ink-testing-library')
  ui = await import('../../tools/dbg/ui.js')
  react = await import('react')
})

afterEach(() => {
  ink.cleanup()
})

/** A session fed by the real tracer (records as the server would store them, full clocks). */
function recorded(): Session {
  const s = new Session()
  const sink: DbgSink = {
    machine: (_id, snap) => s.ingest('t', snap()),
    tx: (t) => s.ingest('t', t.result === 'queued' ? t : { ...t, flags: t.flags | DbgFlag.fullClock }),
    dispose: (id) => s.ingest('t', { type: 4, machineId: id }),
  }
  s.ingest('t', { type: 1, version: 1, name: 'spec', pid: 1 })
  const tracer = new DbgTracer(sink)
  const app = new Machine(schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Fail: {} }), { id: 'app', tracers: [tracer] })
  const worker = new Machine(schema({ Job: {}, Done: { remove: ['Job'] } }), { id: 'worker', parent: app })
  app.bind({ ReadyState: () => void worker.add('Job'), FailEnter: () => false }, { id: 'h' })
  worker.bind({ JobState: (e: Event) => void e.machine.add('Done') }, { id: 'w' })
  app.add('Start')
  app.add('Fail')
  worker.remove('Done')
  worker.add('Job')
  return s
}

const KEY = { up: '\u001B[A', down: '\u001B[B', right: '\u001B[C', left: '\u001B[D', tab: '\t', enter: '\r' }

/** Writes one key and gives ink a moment to read it (one `stdin.write` is one read). */
async function key(r: { stdin: { write(s: string): void } }, k: string): Promise<void> {
  r.stdin.write(k)
  await new Promise((res) => setTimeout(res, 15))
}

async function until(frame: () => string | undefined, test: (f: string) => boolean, ms = 3000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    const f = frame() ?? ''
    if (test(f)) return f
    if (Date.now() > end) throw new Error(`screen never matched; last frame:\n${f}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The line of the states panel for a state: `● Start    1 …`. */
const stateLine = (f: string, name: string): string =>
  f.split('\n').find((l) => new RegExp(`[●○+-] ${name} +\\d+`).test(l)) ?? ''

describe('polymachine-dbg view (ink)', () => {
  it('shows the machine tree, the selected machine’s states with relations and ticks, and the live log', async () => {
    const session = recorded()
    const r = ink.render(react.createElement(ui.App, { session, title: 'spec', redrawMs: 1 }))
    const f = await until(r.lastFrame, (x) => x.includes('live'))
    expect(f).toContain('polymachine-dbg · spec · clients 1 · machines 2 · records')
    expect(f).toMatch(/> app \(\d+\)/)
    expect(f).toMatch(/ {4}worker \(\d+\)/)
    expect(f).toContain('states of app now') // live: the selected machine as it is now
    expect(stateLine(f, 'Start')).toMatch(/● Start +1 +│$/)
    expect(stateLine(f, 'Ready')).toMatch(/● Ready +1 +auto req:Start/)
    expect(stateLine(f, 'Fail')).toMatch(/○ Fail +0/)
    expect(f).toMatch(/> #\d+ worker#\d+ executed add \[Done\]/)
  })

  it('Tab + ↓ selects a machine; m shows only its records; c cycles the canceled filter', async () => {
    const session = recorded()
    const r = ink.render(react.createElement(ui.App, { session, title: 'spec', redrawMs: 1 }))
    await until(r.lastFrame, (x) => x.includes('live'))
    await key(r, KEY.tab)
    await key(r, KEY.down)
    let f = await until(r.lastFrame, (x) => x.includes('states of worker'))
    // live: the newest record is the worker's, so its enters are marked +
    expect(stateLine(f, 'Done')).toMatch(/\+ Done +3 +rm:Job/)
    r.stdin.write('m')
    f = await until(r.lastFrame, (x) => x.includes('machine:worker'))
    expect(f).not.toMatch(/#\d+ app#\d+ /)
    r.stdin.write('m')
    f = await until(r.lastFrame, (x) => !x.includes('machine:worker'))
    r.stdin.write('c')
    f = await until(r.lastFrame, (x) => x.includes('canceled:hide'))
    expect(f).not.toContain(' canceled add')
    r.stdin.write('c')
    f = await until(r.lastFrame, (x) => x.includes('canceled:only'))
    const logLines = f.split('\n').filter((l) => /[> ] #\d+ /.test(l))
    expect(logLines.length).toBeGreaterThan(0)
    expect(logLines.every((l) => l.includes(' canceled '))).toBe(true)
  })

  it('time travel: ← steps back and the states show the clocks as they were; → and G come back to live', async () => {
    const session = recorded()
    const r = ink.render(react.createElement(ui.App, { session, title: 'spec', redrawMs: 1 }))
    await until(r.lastFrame, (x) => x.includes('live'))
    const total = session.log.length
    // back to the very first record: app's Start
    for (let i = 0; i < total; i++) await key(r, KEY.left)
    let f = await until(r.lastFrame, (x) => x.includes(`log 1/${total}`))
    expect(f).toContain('states of app at #1')
    expect(stateLine(f, 'Start')).toMatch(/\+ Start +1/)
    expect(stateLine(f, 'Ready')).toMatch(/○ Ready +0/)
    // #3: the worker's Job, made by app's ReadyState: the worker is selected, as it was then
    await key(r, KEY.right)
    await key(r, KEY.right)
    f = await until(r.lastFrame, (x) => x.includes(`log 3/${total}`))
    expect(f).toContain('states of worker at #3')
    expect(f).toContain('#3 worker#1 executed add [Job] +Job <- app#2')
    expect(stateLine(f, 'Job')).toMatch(/\+ Job +1/)
    expect(stateLine(f, 'Done')).toMatch(/○ Done +0/)
    // #5: app's auto Ready
    await key(r, KEY.right)
    await key(r, KEY.right)
    f = await until(r.lastFrame, (x) => x.includes(`log 5/${total}`))
    expect(f).toContain('states of app at #5')
    expect(stateLine(f, 'Ready')).toMatch(/\+ Ready +1/)
    expect(stateLine(f, 'Start')).toMatch(/● Start +1/)
    r.stdin.write('G')
    f = await until(r.lastFrame, (x) => x.includes(`log ${total}/${total} live`))
    expect(f).toContain('states of app now')
  })

  it('/ filters by states; e exports; q quits', async () => {
    const session = recorded()
    let exported = 0
    const onExport = (): Promise<string> => {
      exported++
      return Promise.resolve('exported to x.jsonl')
    }
    const r = ink.render(react.createElement(ui.App, { session, title: 'spec', onExport, redrawMs: 1 }))
    await until(r.lastFrame, (x) => x.includes('live'))
    r.stdin.write('/')
    await until(r.lastFrame, (x) => x.includes('filter states'))
    r.stdin.write('Fail')
    await until(r.lastFrame, (x) => x.includes('filter states (comma-separated, Enter/Esc): Fail'))
    r.stdin.write(KEY.enter)
    const f = await until(r.lastFrame, (x) => x.includes('state:Fail'))
    const logLines = f.split('\n').filter((l) => /[> ] #\d+ /.test(l))
    expect(logLines.length).toBe(1)
    expect(logLines[0]).toMatch(/app#\d+ canceled add \[Fail\] by:FailEnter/)
    r.stdin.write('e')
    await until(r.lastFrame, (x) => x.includes('exported to x.jsonl'))
    expect(exported).toBe(1)
  })
})

describe('view model keys (no terminal)', () => {
  it('press() is a pure reducer: stepping, clamping, filters, the prompt and effects', () => {
    const s = recorded()
    let v = INITIAL_VIEW
    const n = s.log.length
    expect(derive(s, v).index).toBe(n - 1)
    v = press(s, v, { input: '', left: true })
    expect(v.cursor).toBe(s.log[n - 2]?.seq)
    v = press(s, v, { input: 'g' })
    expect(derive(s, v).index).toBe(0)
    v = press(s, v, { input: '', left: true })
    expect(derive(s, v).index).toBe(0) // clamped
    v = press(s, v, { input: '', pageDown: true })
    expect(derive(s, v).index).toBe(Math.min(10, n - 1))
    v = press(s, v, { input: '', end: true })
    expect(v.cursor).toBeNull()
    v = press(s, v, { input: '/' })
    v = press(s, v, { input: 'Do' })
    v = press(s, v, { input: '', backspace: true })
    v = press(s, v, { input: 'one' })
    expect(v.prompt).toBe('Done')
    v = press(s, v, { input: '', escape: true })
    expect(v.prompt).toBeNull()
    expect(v.filters.states).toEqual([])
    v = press(s, v, { input: 'a' })
    v = press(s, v, { input: 'u' })
    v = press(s, v, { input: 'h' })
    expect(v.filters).toMatchObject({ auto: 'hide', queued: 'hide', checks: 'only' })
    v = press(s, v, { input: 'x' })
    expect(v.filters).toMatchObject({ auto: 'all', queued: 'all', checks: 'hide' })
    expect(press(s, v, { input: 'q' }).effect).toBe('quit')
    expect(press(s, v, { input: 'e' }).effect).toBe('export')
    expect(press(s, v, { input: 'z' })).toBe(v)
    // s: from the worker's Job (made by app's ReadyState) to app's transition
    const job = s.log.find((r) => r.machineId === 'worker' && r.called.includes('Job') && r.source?.[0] === 'app')
    if (!job) throw new Error('no Job record')
    let w = press(s, { ...INITIAL_VIEW, cursor: job.seq, filters: { ...INITIAL_VIEW.filters, machines: ['worker'] } },
      { input: 's' })
    expect(derive(s, w).current).toMatchObject({ machineId: 'app', txId: job.source?.[1] })
    expect(w.machine).toBe('app')
    expect(w.filters.machines).toEqual([]) // cleared: they hid the source
    expect(w.status).toBe(`source app#${job.source?.[1]}`)
    w = press(s, { ...INITIAL_VIEW, cursor: s.log[0]?.seq ?? 0 }, { input: 's' })
    expect(w.status).toBe('this record has no source transition')
    const empty = new Session()
    expect(press(empty, INITIAL_VIEW, { input: '', left: true })).toBe(INITIAL_VIEW)
    expect(derive(empty, INITIAL_VIEW).current).toBeUndefined()
  })
})
