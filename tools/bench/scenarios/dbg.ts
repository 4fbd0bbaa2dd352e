/**
 * dbg (polymachine/telemetry only): the cost of the debugger tracer on the toggle workload (two mutually exclusive
 * states, alternated). Cases, interleaved: no tracer (the cost with `POLYMACHINE_DBG` unset: nothing is attached);
 * an empty tracer (what the core itself pays once any tracer is bound); the debugger tracer in a synchronous loop
 * (capture into the bounded outbox; it is flushed while the other cases let the event loop turn, and drops oldest
 * if a sample outruns it); and the debugger tracer with the event loop turning every 1 000 toggles, so every record
 * is encoded, batched and delivered to a sink server in the same process (which only counts bytes).
 */
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'
import { Machine, schema } from '../../../lib/index.js'
import { attachDebugger, type DebuggerHandle } from '../../../lib/telemetry/index.js'
import { textRow } from '../actor-kit.js'
import { type Case, type Check, measure, type Row, rows, type Scenario } from '../run.js'

const AB = schema({ A: { remove: ['B'] }, B: { remove: ['A'] } })
const PER_TURN = 1000

interface Sink {
  readonly url: string
  /** Bytes received per path. */
  readonly bytes: Map<string, number>
  close(): Promise<void>
}

async function sink(): Promise<Sink> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 << 20 })
  await new Promise<void>((r) => wss.once('listening', () => r()))
  const bytes = new Map<string, number>()
  wss.on('connection', (ws, req) => {
    const path = req.url ?? '/'
    ws.on('message', (d: Buffer) => bytes.set(path, (bytes.get(path) ?? 0) + d.length))
  })
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    bytes,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate()
      wss.close(() => r())
    }),
  }
}

function toggler(): Machine<'A' | 'B' | 'Exception'> {
  const m = new Machine(AB)
  m.add('A')
  return m
}

export const dbg: Scenario = {
  name: 'dbg',
  title: 'dbg: toggle with the debugger tracer attached to a local sink (ns per mutation)',
  async run(opts) {
    const s = await sink()
    const plain = toggler()
    const noop = toggler()
    noop.bindTracer({ transitionEnd: () => undefined })
    const piled = toggler()
    const delivered = toggler()
    const hPiled: DebuggerHandle = attachDebugger(piled, { url: `${s.url}/piled` })
    const hDelivered: DebuggerHandle = attachDebugger(delivered, { url: `${s.url}/delivered`, batchMs: 0 })
    await Promise.all([hPiled.link.when('Connected'), hDelivered.link.when('Connected')])
    const droppedBefore = hDelivered.stats.dropped
    let deliveredOps = 0
    const cases: Case[] = [
      { lib: 'polymachine', label: 'no tracer', opsPerCall: 2, fn: () => {
        plain.add('B')
        plain.add('A')
      } },
      { lib: 'polymachine', label: 'an empty tracer (the core\'s own cost of tracing)', opsPerCall: 2, fn: () => {
        noop.add('B')
        noop.add('A')
      } },
      { lib: 'polymachine', label: 'tracer, sync loop (records into the outbox)', opsPerCall: 2, fn: () => {
        piled.add('B')
        piled.add('A')
      } },
      { lib: 'polymachine', label: 'tracer, delivered (event loop every 1000)', opsPerCall: 2 * PER_TURN, afn: async () => {
        for (let i = 0; i < PER_TURN; i++) {
          delivered.add('B')
          delivered.add('A')
        }
        deliveredOps += 2 * PER_TURN
        // a macrotask after the link's 0 ms flush timer: the batch is encoded and sent within the measured time
        await new Promise((r) => setTimeout(r, 0))
      } },
    ]
    const m = await measure(cases, opts)
    const flushed = await hDelivered.flush(10_000)
    const dropped = hDelivered.stats.dropped - droppedBefore
    const sent = s.bytes.get('/delivered') ?? 0
    const extra: Row[] = [
      textRow('delivered: bytes per mutation on the wire', deliveredOps ? `${(sent / deliveredOps).toFixed(1)} B` : 'n/a'),
      textRow('sync loop: records dropped by the outbox', `${hPiled.stats.dropped}`),
    ]
    const checks: Check[] = [
      { name: 'dbg: the delivered case lost no record', ok: flushed && dropped === 0,
        detail: `flushed: ${flushed}, dropped: ${dropped}` },
      { name: 'dbg: the sync loop dropped oldest records instead of growing', ok: hPiled.stats.queued <= 10_000,
        detail: `queued ${hPiled.stats.queued}, dropped ${hPiled.stats.dropped}` },
      { name: 'dbg: the sink received the streams', ok: sent > 0 && (s.bytes.get('/piled') ?? 0) > 0,
        detail: `${sent} B delivered, ${s.bytes.get('/piled') ?? 0} B from the sync loop` },
    ]
    await hPiled.close(1000)
    await hDelivered.close(1000)
    await s.close()
    return {
      rows: [...rows(m), ...extra],
      checks,
      goals: [],
      notes: ['× polymachine is the ratio to "no tracer". The sink runs in the same process, so the delivered case ' +
        'also pays for receiving the frames (ws parsing, no decoding).'],
    }
  },
}
