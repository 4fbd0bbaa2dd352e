/**
 * polymachine-dbg's model (issue 16 item 2): machines streamed by the tracer into the server's session, time travel
 * (clocks as they were at every record), filters, the headless dump, and export → import → replay giving the same
 * active states and clocks at every step (JSON lines and msgpack).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Machine, schema, type Event } from '../../lib/index.js'
import { attachDebugger, type DbgSchema, type DbgWireState, type DebuggerHandle } from '../../lib/telemetry/index.js'
import { exportSession, importSession, parseSessionFile } from '../../tools/dbg/file.js'
import { DEFAULT_FILTERS, describeFilters, filtered, nextShow } from '../../tools/dbg/filters.js'
import { activeOf, machineTree, timeAt, timeBefore } from '../../tools/dbg/history.js'
import { dump } from '../../tools/dbg/dump.js'
import { listen, type DbgServer } from '../../tools/dbg/server.js'
import { Session } from '../../tools/dbg/session.js'

const appSchema = schema({
  Start: {},
  Ready: { auto: true, require: ['Start'] },
  Fetch: { multi: true, require: ['Ready'] },
  Err: { require: ['Start'] },
})
const workerSchema = schema({ Job: {}, Done: { remove: ['Job'] } })

let server: DbgServer
let session: Session
let dbg: DebuggerHandle
let dir: string
/** What the machines' own clocks were after each step of the script, for comparison. */
const truth: Array<{ app: number[]; worker: number[] }> = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pm-dbg-'))
  session = new Session()
  server = await listen(session, { port: 0 })
  const app = new Machine(appSchema, { id: 'app', tags: ['svc'] })
  dbg = attachDebugger(app, { url: server.url, batchMs: 1, args: ['url'] })
  const worker = new Machine(workerSchema, { id: 'worker', parent: app })
  app.bind({
    FetchState: () => void worker.add('Job'),
    ErrEnter: () => false,
  }, { id: 'h' })
  worker.bind({ JobState: (e: Event) => void e.machine.add('Done') }, { id: 'w' })
  const step = (fn: () => void): void => {
    fn()
    truth.push({ app: app.time(), worker: worker.time() })
  }
  step(() => app.add('Start'))
  step(() => app.add('Fetch', { url: 'https://a' }))
  step(() => app.add('Err'))
  step(() => app.canAdd('Err'))
  step(() => app.add('Fetch', { url: 'https://b' }))
  step(() => worker.dispose())
  await dbg.flush()
  await dbg.close()
  const deadline = Date.now() + 3000
  while (session.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
})

afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('session: what the server received', () => {
  it('knows both machines as a tree, with their schema, tags and disposal', () => {
    expect(machineTree(session).map((r) => `${'  '.repeat(r.depth)}${r.machine.id}`)).toEqual(['app', '  worker'])
    const app = session.machines.get('app')
    expect(app?.states.map((s) => s.name)).toEqual(['Start', 'Ready', 'Fetch', 'Err', 'Exception'])
    expect(app?.states[1]).toMatchObject({ auto: true, require: ['Start'] })
    expect(app?.tags).toEqual(['svc'])
    expect(session.machines.get('worker')?.disposed).toBe(true)
    expect(session.dropped).toBe(0)
    expect(session.rejected).toBe(0)
  })

  it('every record carries the clock after it; the last ones equal the machines’ clocks', () => {
    const last = truth.at(-1)
    expect(session.machines.get('app')?.time).toEqual(last?.app)
    const w = session.machines.get('worker')
    // the worker was disposed in the last step: its clock is the one before disposal
    expect(w?.time).toEqual(truth.at(-2)?.worker)
  })

  it('records link across machines: the worker’s Job came from app’s FetchState transition', () => {
    const job = session.log.find((r) => r.machineId === 'worker' && r.called.includes('Job') && r.result === 'executed')
    const fetch = session.log.find((r) => r.machineId === 'app' && r.called.includes('Fetch'))
    expect(job?.source).toEqual(['app', fetch?.txId])
    expect(fetch?.args).toEqual({ url: 'https://a' })
  })
})

describe('time travel', () => {
  it('timeAt gives each machine’s clock as it was after any record, and the start clock before any', () => {
    const app = session.machines.get('app')
    if (!app) throw new Error('no app')
    expect(timeAt(app, 0)).toEqual([0, 0, 0, 0, 0])
    let prev: readonly number[] = app.initialTime
    for (const r of app.txs) {
      const t = timeAt(app, r.seq)
      if (r.result === 'queued') expect(t).toEqual(prev)
      else expect(t).toEqual(r.time)
      expect(timeBefore(app, r)).toEqual(prev)
      prev = t
    }
    const start = app.txs.find((r) => r.called.includes('Start'))
    if (!start) throw new Error('no Start')
    expect(activeOf(app, timeAt(app, start.seq))).toEqual(['Start'])
    // the auto round that follows activates Ready
    const ready = app.txs.find((r) => r.auto)
    expect(activeOf(app, timeAt(app, ready?.seq ?? 0))).toEqual(['Start', 'Ready'])
  })
})

describe('filters', () => {
  it('canceled, auto, checks, states and machines', () => {
    const all = session.log
    const show = (f: Partial<typeof DEFAULT_FILTERS>): string[] =>
      filtered(all, { ...DEFAULT_FILTERS, ...f }).map((r) => `${r.machineId}#${r.txId}`)
    expect(show({ canceled: 'only' })).toEqual(['app#4', 'worker#4'])
    expect(all.find((r) => r.result === 'canceled')?.canceledBy).toBe('ErrEnter')
    expect(show({ auto: 'only' })).toEqual(['app#2'])
    expect(show({ checks: 'only' })).toEqual(['app#5'])
    expect(show({}).includes('app#5')).toBe(false)
    expect(show({ machines: ['worker'] }).length).toBe(all.filter((r) => r.machineId === 'worker').length)
    expect(show({ states: ['Done'] }).every((r) => r.startsWith('worker'))).toBe(true)
    expect(show({ states: ['Done'] }).length).toBeGreaterThan(0)
    expect(show({ canceled: 'hide', auto: 'hide', queued: 'hide', checks: 'hide' }).length).toBe(
      all.filter((r) => r.result === 'executed' && !r.auto && !r.check).length)
    expect(nextShow('all')).toBe('hide')
    expect(nextShow('hide')).toBe('only')
    expect(nextShow('only')).toBe('all')
    expect(describeFilters({ ...DEFAULT_FILTERS, canceled: 'hide', states: ['Ready'] })).toBe('canceled:hide state:Ready')
  })
})

describe('dump', () => {
  it('prints the machine tree and one line per record with the active states after it', () => {
    const text = dump(session)
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^# 2 machines, \d+ records, \d+ shown, 0 dropped$/)
    expect(lines[1]).toBe('machine app tags:svc states:Start,Ready,Fetch,Err,Exception start:()')
    expect(lines[2]).toBe('  machine worker disposed states:Job,Done,Exception start:()')
    expect(lines).toContain('#1 app#1 executed add [Start] +Start => (Start:1)')
    expect(lines).toContain('#2 app#2 executed add [Ready] +Ready auto => (Start:1 Ready:1)')
    expect(lines.some((l) => /^#\d+ worker#\d+ executed add \[Job\] \+Job <- app#3 => \(Job:1\)$/.test(l))).toBe(true)
    expect(lines).toContain('#7 app#4 canceled add [Err] by:ErrEnter => (Start:1 Ready:1 Fetch:1)')
    expect(lines.some((l) => / worker#4 canceled add \[Job\] by:relations <- app#6 => \(Done:1\)$/.test(l))).toBe(true)
    expect(lines.some((l) => / app#3 executed add \[Fetch\] \+Fetch \{url=https:\/\/a\} => /.test(l))).toBe(true)
    const filtered = dump(session, { filters: { ...DEFAULT_FILTERS, machines: ['worker'] } })
    expect(filtered.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('# ')).every((l) => / worker#/.test(l)))
      .toBe(true)
    expect(filtered).toContain('(filters: machine:worker)')
  })
})

describe('export and import', () => {
  for (const ext of ['jsonl', 'mpk']) {
    it(`${ext}: export → import → replay gives the same active states and clocks at every step`, async () => {
      const path = join(dir, `s.${ext}`)
      await exportSession(session, path)
      const back = await importSession(path)
      expect([...back.machines.keys()]).toEqual([...session.machines.keys()])
      expect(back.log.length).toBe(session.log.length)
      for (const [i, r] of session.log.entries()) {
        const b = back.log[i]
        expect(b).toMatchObject({ ...r, seq: b?.seq })
        const m1 = session.machines.get(r.machineId)
        const m2 = back.machines.get(r.machineId)
        if (!m1 || !m2) throw new Error('machine missing')
        expect(timeAt(m2, b?.seq ?? 0)).toEqual(timeAt(m1, r.seq))
        expect(activeOf(m2, timeAt(m2, b?.seq ?? 0))).toEqual(activeOf(m1, timeAt(m1, r.seq)))
      }
      expect(dump(back)).toBe(dump(session))
    })
  }

  it('a JSON-lines file is one protocol message per line; a broken one is refused with its line', () => {
    const path = join(dir, 'bad.jsonl')
    writeFileSync(path, '[1,1,"x",0]\n{oops\n')
    expect(() => parseSessionFile(readFileSync(path), true)).toThrow(/line 2: not JSON/)
    expect(() => parseSessionFile(Buffer.from('[9, 1]\n'), true)).toThrow(/message 1: not a debugger protocol message/)
  })
})

describe('server: hostile connections', () => {
  it('a text message or bytes that are not msgpack close that connection only; unknown types are skipped', async () => {
    const { WebSocket } = await import('ws')
    const s = new Session()
    const srv = await listen(s, { port: 0 })
    try {
      const closed = (ws: InstanceType<typeof WebSocket>): Promise<number> =>
        new Promise((r) => ws.once('close', (code: number) => r(code)))
      const opened = (ws: InstanceType<typeof WebSocket>): Promise<void> => new Promise((r) => ws.once('open', () => r()))
      const good = new WebSocket(srv.url)
      const text = new WebSocket(srv.url)
      const junk = new WebSocket(srv.url)
      await Promise.all([opened(good), opened(text), opened(junk)])
      const textClosed = closed(text)
      const junkClosed = closed(junk)
      text.send('hello')
      junk.send(Buffer.from([0x92, 0x01])) // an array of 2 with one element
      expect(await textClosed).toBe(1003)
      expect(await junkClosed).toBe(1007)
      const { encode } = await import('../../lib/rpc/index.js')
      good.send(encode([42, 'from the future']))
      good.send(encode([1, 1, 'good', 7]))
      good.send(encode([5, 3, [[2, 'g', null, [], [['A', 0, [], [], [], [], []]], [0], 1]]]))
      const deadline = Date.now() + 3000
      while (!s.machines.has('g') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      expect(s.machines.get('g')?.source).toBe('good')
      expect(s.dropped).toBe(3)
      expect(good.readyState).toBe(WebSocket.OPEN)
      good.close()
    } finally {
      await srv.close()
    }
  })
})

describe('session: hostile or odd input', () => {
  it('records of unknown machines, bad indexes and diffs count as rejected; reconnects keep the history', () => {
    const s = new Session()
    s.ingest('c', { type: 3, machineId: 'nope', txId: 1, mutation: 'add', called: [], result: 'executed', flags: 4,
      clock: [], queueTick: 1, queueLen: 0, steps: null, canceledBy: null, args: null, source: null, at: 0 })
    s.ingest('c', { type: 2, machineId: 'm', parentId: 'm', tags: [], states: [['A', 0, [], [], [], [], []]], time: [0],
      queueTick: 1 })
    s.ingest('c', { type: 3, machineId: 'm', txId: 1, mutation: 'add', called: [0], result: 'executed', flags: 0,
      clock: [5, 1], queueTick: 1, queueLen: 0, steps: null, canceledBy: null, args: null, source: null, at: 0 })
    s.ingest('c', { type: 3, machineId: 'm', txId: 1, mutation: 'add', called: [0], result: 'executed', flags: 4,
      clock: [1, 1], queueTick: 1, queueLen: 0, steps: null, canceledBy: null, args: null, source: null, at: 0 })
    expect(s.rejected).toBe(3)
    s.ingest('c', { type: 3, machineId: 'm', txId: 1, mutation: 'add', called: [0], result: 'executed', flags: 0,
      clock: [0, 1], queueTick: 2, queueLen: 0, steps: [[0], [0], []], canceledBy: null, args: null, source: null,
      at: 0 })
    s.ingest('d', { type: 2, machineId: 'm', parentId: null, tags: [], states: [['A', 0, [], [], [], [], []]], time: [1],
      queueTick: 2 })
    expect(s.log.length).toBe(1)
    // a self-parent is listed flat, not lost
    expect(machineTree(s).map((r) => r.machine.id)).toEqual(['m'])
  })

  it('keeps at most maxRecords, counting the forgotten ones as dropped and moving the start clock', () => {
    const s = new Session({ maxRecords: 10 })
    s.ingest('c', { type: 2, machineId: 'm', parentId: null, tags: [], states: [['A', 2, [], [], [], [], []]], time: [0],
      queueTick: 1 })
    for (let i = 1; i <= 30; i++) {
      s.ingest('c', { type: 3, machineId: 'm', txId: i, mutation: 'add', called: [0], result: 'executed', flags: 4,
        clock: [i], queueTick: i, queueLen: 0, steps: null, canceledBy: null, args: null, source: null, at: 0 })
    }
    expect(s.log.length).toBeLessThanOrEqual(11)
    expect(s.dropped).toBe(30 - s.log.length)
    const m = s.machines.get('m')
    if (!m) throw new Error('no m')
    expect(m.initialTime).toEqual([(s.log[0]?.seq ?? 0) - 1])
    expect(timeAt(m, 0)).toEqual(m.initialTime)
  })
})

describe('Session: hostile or confused frames', () => {
  it('a clock diff against a machine another connection re-described with other states is rejected', () => {
    const s = new Session()
    const schemaOf = (names: string[]): DbgSchema => ({ type: 2, machineId: 'm', parentId: null, tags: [],
      states: names.map((n): DbgWireState => [n, 0, [], [], [], [], []]), time: names.map(() => 0), queueTick: 0 })
    s.ingest('a', schemaOf(['X', 'Y', 'Z']))
    s.ingest('b', schemaOf(['P', 'Q', 'R', 'S', 'T']))
    s.ingest('a', { type: 3, machineId: 'm', txId: 1, mutation: 'add', called: [0], result: 'executed', flags: 0,
      clock: [0, 1], queueTick: 1, queueLen: 0, steps: [[0], [0], []], canceledBy: null, args: null, source: null,
      at: 0 })
    expect(s.rejected).toBe(1)
    expect(s.machines.get('m')?.time).toHaveLength(5)
    expect(s.log).toHaveLength(0)
  })
})

