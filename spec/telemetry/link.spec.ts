/**
 * The debugger link over a real WebSocket on 127.0.0.1 (issue 16 item 1): HELLO, SCHEMA, BATCHes of TX with a full
 * clock first and diffs after; the bounded outbox dropping oldest and counting; reconnecting with the schema again;
 * detaching after repeated errors; options and the POLYMACHINE_DBG switch.
 */
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { Machine, schema } from '../../lib/index.js'
import { decode } from '../../lib/rpc/index.js'
import { attachDebugger, attachDebuggerFromEnv, type DebuggerHandle } from '../../lib/telemetry/index.js'

interface Sink {
  url: string
  /** Decoded messages per connection. */
  conns: unknown[][]
  sockets: WebSocket[]
  close(): Promise<void>
}

async function sink(): Promise<Sink> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  const s: Sink = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    conns: [],
    sockets: [],
    close: () => new Promise<void>((r) => {
      for (const ws of s.sockets) ws.terminate()
      wss.close(() => r())
    }),
  }
  wss.on('connection', (ws) => {
    const msgs: unknown[] = []
    s.conns.push(msgs)
    s.sockets.push(ws)
    ws.on('message', (d) => msgs.push(decode(d as Buffer)))
  })
  return s
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** TX messages out of the batches, without their wall-clock `at`. */
function txs(msgs: unknown[]): unknown[][] {
  return msgs.flatMap((m) => ((m as unknown[])[0] === 5 ? (m as [5, number, unknown[][]])[2] : []))
    .filter((m) => m[0] === 3).map((m) => m.slice(0, -1))
}

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  // last in, first out: handles close before their server
  for (const f of cleanup.splice(0).reverse()) await f()
})

const ss = schema({ A: { remove: ['B'] }, B: { remove: ['A'] } })

describe('debugger link', () => {
  it('sends HELLO, then a BATCH with the SCHEMA and TXs: the first clock full, then pairs that changed', async () => {
    const s = await sink()
    const m = new Machine(ss, { id: 'l1' })
    const dbg = attachDebugger(m, { url: s.url, name: 'spec', batchMs: 0, args: ['n'] })
    cleanup.push(() => s.close(), () => dbg.close())
    await dbg.link.when('Connected')
    m.add('A', { n: 1, secret: 'x' })
    m.add('B')
    expect(await dbg.flush()).toBe(true)
    await until(() => txs(s.conns[0] ?? []).length === 2)
    const msgs = s.conns[0] as unknown[]
    expect(msgs[0]).toEqual([1, 1, 'spec', process.pid])
    const batch = msgs.slice(1).flatMap((b) => (b as [5, number, unknown[][]])[2])
    expect(batch[0]).toEqual([2, 'l1', null, [], [['A', 0, [], [], [1], [], []], ['B', 0, [], [], [0], [], []],
      ['Exception', 2, [], [], [], [], []]], [0, 0, 0], 1])
    expect(txs(msgs)).toEqual([
      [3, 'l1', 1, 0, [0], 0, 4, [1, 0, 0], 2, 0, [[0], [0], []], null, { n: '1' }, null],
      [3, 'l1', 2, 0, [1], 0, 0, [0, 2, 1, 1], 3, 0, [[1], [1], [0]], null, null, null],
    ])
    expect(dbg.stats).toMatchObject({ sent: 3, dropped: 0, queued: 0, errors: 0 })
  })

  it('one link per URL: machines attached to it share the tracer; close() detaches it from all', async () => {
    const s = await sink()
    const a = new Machine(ss, { id: 'sa' })
    const b = new Machine(ss, { id: 'sb' })
    const h1 = attachDebugger(a, { url: s.url, batchMs: 0 })
    const h2 = attachDebugger(b, { url: s.url })
    cleanup.push(() => s.close())
    expect(h2).toBe(h1)
    await h1.link.when('Connected')
    a.add('A')
    b.add('B')
    await h1.flush()
    await until(() => txs(s.conns[0] ?? []).length === 2)
    await h1.close()
    expect(h1.link.is('Detached')).toBe(true)
    a.add('B')
    expect(a.detachTracer(h1.tracer)).toBe(false)
    // a new attach after a close opens a new link
    const h3 = attachDebugger(a, { url: s.url })
    cleanup.push(() => h3.close())
    expect(h3).not.toBe(h1)
  })

  it('a full outbox drops the oldest records and counts them; clocks stay right (diffs against what was sent)', async () => {
    const m = new Machine(ss, { id: 'ob' })
    const s = await sink()
    cleanup.push(() => s.close())
    // no server yet at this port: records pile up while Connecting
    const dbg = attachDebugger(m, { url: s.url, outboxLimit: 5, batchMs: 0 })
    cleanup.push(() => dbg.close())
    for (let i = 0; i < 20; i++) m.add(i % 2 ? 'A' : 'B')
    expect(dbg.stats.dropped).toBeGreaterThanOrEqual(16)
    expect(dbg.stats.queued).toBeLessThanOrEqual(5)
    await dbg.link.when('Connected')
    await dbg.flush()
    await until(() => (s.conns[0]?.length ?? 0) >= 2)
    const batches = (s.conns[0] as unknown[]).slice(1) as Array<[5, number, unknown[][]]>
    expect(batches.reduce((n, b) => n + b[1], 0)).toBe(dbg.stats.dropped)
    const last = txs(s.conns[0] as unknown[]).at(-1) as unknown[]
    const first = txs(s.conns[0] as unknown[])[0] as unknown[]
    expect(first[6]).toBe(4) // full clock: the receiver has no base
    // replaying what arrived gives the machine's clock
    const clock = [...(first[7] as number[])]
    for (const t of txs(s.conns[0] as unknown[]).slice(1)) {
      const p = t[7] as number[]
      for (let i = 0; i < p.length; i += 2) clock[p[i] as number] = p[i + 1] as number
    }
    expect(clock).toEqual(m.time())
    expect(last[2]).toBeGreaterThan(15)
  })

  it('reconnects after the server drops it, describing its machines again with a full clock', async () => {
    const s = await sink()
    const m = new Machine(ss, { id: 'rc' })
    const dbg = attachDebugger(m, { url: s.url, batchMs: 0 })
    cleanup.push(() => s.close(), () => dbg.close())
    await dbg.link.when('Connected')
    m.add('A')
    await dbg.flush()
    await until(() => txs(s.conns[0] ?? []).length === 1)
    s.sockets[0]?.terminate()
    await dbg.link.when('Disconnected')
    expect(dbg.link.is('ErrNetwork')).toBe(true)
    await until(() => s.conns.length === 2)
    await dbg.link.when('Connected')
    m.add('B')
    await dbg.flush()
    await until(() => txs(s.conns[1] ?? []).length === 1)
    const second = (s.conns[1] as unknown[]).slice(1).flatMap((b) => (b as [5, number, unknown[][]])[2])
    expect(second.map((x) => x[0])).toEqual([2, 3])
    expect(second[0]?.[5]).toEqual([1, 0, 0]) // the SCHEMA carries the clock at reconnect
    expect(second[1]?.[6]).toBe(4)
    expect(second[1]?.[7]).toEqual([2, 1, 0])
    expect(dbg.stats.errors).toBe(1) // the dropped connection lasted under 5 s: it counts until one lasts
  })

  it('detaches itself after maxErrors failed dials; the machine never notices', async () => {
    const s = await sink()
    const url = s.url
    await s.close() // nothing listens there now
    const m = new Machine(ss, { id: 'dead' })
    const dbg = attachDebugger(m, { url, maxErrors: 2 })
    m.add('A')
    await dbg.link.when('Detached', { timeout: 5000 })
    expect(dbg.stats.errors).toBe(2)
    expect(dbg.link.is('ErrNetwork')).toBe(true)
    expect(m.add('B')).toBe(0)
    expect(m.detachTracer(dbg.tracer)).toBe(false)
    expect(await dbg.flush()).toBe(false)
  })

  it('a debugger that accepts and drops every connection still gets the link detached (reconnects are bounded)', async () => {
    const s = await sink()
    cleanup.push(() => s.close())
    const m = new Machine(ss, { id: 'flap' })
    const dbg = attachDebugger(m, { url: s.url, maxErrors: 3 })
    const kill = setInterval(() => {
      for (const ws of s.sockets) ws.terminate()
    }, 5)
    try {
      await dbg.link.when('Detached', { timeout: 10_000 })
    } finally {
      clearInterval(kill)
    }
    expect(dbg.stats.errors).toBe(3)
    expect(s.conns.length).toBeGreaterThanOrEqual(1)
    expect(m.add('A')).toBe(0)
  })

  it('checks its options; POLYMACHINE_DBG switches it on', async () => {
    const m = new Machine(ss)
    expect(() => attachDebugger(m, { url: 'tcp://127.0.0.1:1' })).toThrow(/opts.url must be a 'ws:\/\/host:port'/)
    expect(() => attachDebugger(m, { url: 'ws://127.0.0.1:1', batchMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
    expect(() => attachDebugger({} as Machine, { url: 'ws://127.0.0.1:1' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => attachDebugger(m, { url: 'ws://127.0.0.1:1', args: 5 as never })).toThrow(/opts.args/)
    expect(attachDebuggerFromEnv(m, {}, {})).toBeUndefined()
    expect(attachDebuggerFromEnv(m, {}, { POLYMACHINE_DBG: '' })).toBeUndefined()
    const s = await sink()
    cleanup.push(() => s.close())
    const h = attachDebuggerFromEnv(m, { batchMs: 0 }, { POLYMACHINE_DBG: s.url }) as DebuggerHandle
    cleanup.push(() => h.close())
    expect(h.url).toBe(s.url)
    await h.link.when('Connected')
  })
})
