/**
 * The debugger session's machine cap: a client announcing endless machines cannot grow the debugger without bound.
 * Machines over the cap are refused and counted (visible in the dump's header, the screen's header and the session),
 * their records count as rejected; a disposed machine whose records are all forgotten makes room. Once through the
 * real WebSocket server with a raw client sending thousands of machines.
 */
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { encode } from '../../lib/rpc/index.js'
import { dbgToWire, type DbgMessage, type DbgSchema, type DbgTx } from '../../lib/telemetry/index.js'
import { parseArgs } from '../../tools/dbg/cli.js'
import { dump } from '../../tools/dbg/dump.js'
import { listen, type DbgServer } from '../../tools/dbg/server.js'
import { Session } from '../../tools/dbg/session.js'

const schemaMsg = (id: string): DbgSchema => ({
  type: 2, machineId: id, parentId: null, tags: [], states: [['A', 0, [], [], [], [], []], ['Exception', 2, [], [], [], [], []]],
  time: [0, 0], queueTick: 1,
})
const txMsg = (id: string, txId = 1): DbgTx => ({
  type: 3, machineId: id, txId, mutation: 'add', called: [0], result: 'executed', flags: 0, clock: [0, 1], queueTick: 2,
  queueLen: 0, steps: [[0], [0], []], canceledBy: null, args: null, source: null, at: 0,
})

describe('Session maxMachines', () => {
  it('refuses machines over the cap and counts them; their records are rejected; the dump says so', () => {
    const s = new Session({ maxMachines: 3 })
    for (let i = 1; i <= 5; i++) s.ingest('c', schemaMsg(`m${i}`))
    s.ingest('c', txMsg('m1'))
    s.ingest('c', txMsg('m5'))
    expect([...s.machines.keys()]).toEqual(['m1', 'm2', 'm3'])
    expect(s.refusedMachines).toBe(2)
    expect(s.rejected).toBe(1)
    expect(s.log.map((r) => r.machineId)).toEqual(['m1'])
    expect(dump(s).split('\n')[0]).toBe('# 3 machines, 1 records, 1 shown, 0 dropped, 2 machines refused over the cap of 3')
    // a machine already known is described again (a reconnect) at the cap: not a new machine, not refused
    s.ingest('c2', schemaMsg('m2'))
    expect(s.refusedMachines).toBe(2)
  })

  it('a disposed machine with no record left makes room; one with records is kept', () => {
    const s = new Session({ maxMachines: 2, maxRecords: 1 })
    s.ingest('c', schemaMsg('old'))
    s.ingest('c', schemaMsg('busy'))
    s.ingest('c', txMsg('busy'))
    s.ingest('c', { type: 4, machineId: 'busy' })
    s.ingest('c', { type: 4, machineId: 'old' })
    s.ingest('c', schemaMsg('new1'))
    expect([...s.machines.keys()]).toEqual(['busy', 'new1'])
    expect(s.refusedMachines).toBe(0)
    // busy's record is still in the log: busy stays, new2 is refused
    s.ingest('c', schemaMsg('new2'))
    expect([...s.machines.keys()]).toEqual(['busy', 'new1'])
    expect(s.refusedMachines).toBe(1)
    // a disposed machine described again is alive: never a candidate
    s.ingest('c', { type: 4, machineId: 'new1' })
    s.ingest('c', schemaMsg('new1'))
    s.ingest('c', schemaMsg('new3'))
    expect(s.machines.get('new1')?.disposed).toBe(false)
    expect(s.refusedMachines).toBe(2)
  })

  it('bad options throw ERR_INVALID_ARG; the CLI takes --max-machines', () => {
    expect(() => new Session({ maxMachines: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => new Session({ maxRecords: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => new Session(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(new Session().maxMachines).toBe(10_000)
    expect(parseArgs(['--max-machines', '50'])).toMatchObject({ maxMachines: 50 })
    expect(parseArgs(['--max-machines', '0'])).toEqual({ error: '--max-machines must be an integer ≥ 1, got 0' })
  })
})

describe('the screen', () => {
  it('shows the refused machines in its header', async () => {
    delete process.env['CI'] // ink renders nothing interactive under CI=true
    const ink = await import('ink-testing-library')
    const react = await import('react')
    const { App } = await import('../../tools/dbg/ui.js')
    const s = new Session({ maxMachines: 2 })
    for (const id of ['a', 'b', 'c', 'd', 'e']) s.ingest('c', schemaMsg(id))
    const r = ink.render(react.createElement(App, { session: s, title: 'spec', redrawMs: 1 }))
    try {
      const end = Date.now() + 10_000
      while (!(r.lastFrame() ?? '').includes('refused') && Date.now() < end) await new Promise((res) => setTimeout(res, 20))
      expect(r.lastFrame()?.split('\n')[0]).toBe('polymachine-dbg · spec · clients 1 · machines 2 (cap 2, 3 refused) · records 0 · dropped 0')
    } finally {
      r.unmount()
      ink.cleanup()
    }
  }, 30_000)
})

describe('the server with a client announcing endless machines', () => {
  let server: DbgServer | undefined
  afterEach(async () => { await server?.close() })

  it('keeps at most maxMachines and counts the rest', async () => {
    const session = new Session({ maxMachines: 100 })
    server = await listen(session, { port: 0 })
    const ws = new WebSocket(server.url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    const batches = 20
    const perBatch = 500
    for (let b = 0; b < batches; b++) {
      const messages: DbgMessage[] = []
      for (let i = 0; i < perBatch; i++) {
        const id = `flood-${b}-${i}`
        messages.push(schemaMsg(id), txMsg(id))
      }
      ws.send(encode(dbgToWire({ type: 5, dropped: 0, messages })))
    }
    const total = batches * perBatch
    const deadline = Date.now() + 30_000
    while (session.machines.size + session.refusedMachines < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
    }
    ws.close()
    expect(session.machines.size).toBe(100)
    expect(session.refusedMachines).toBe(total - 100)
    expect(session.rejected).toBe(total - 100)
    expect(session.log.length).toBe(100)
    expect(dump(session).split('\n')[0]).toContain(`${total - 100} machines refused over the cap of 100`)
  }, 60_000)
})
