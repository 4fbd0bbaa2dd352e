/**
 * rpc (polymachine/rpc only): remote mutation round trip p50/p99 over TCP, WebSocket and MessagePort, mirror sync
 * throughput, bytes per mutation on the wire and retained heap per connected client. Every timing has a raw
 * baseline measured in the same run: a bare msgpack echo over the same transport with the same framing
 * (tools/bench/rpc-kit.ts). Everything binds 127.0.0.1 on port 0 and is closed at the end.
 */
import { Machine, Result } from '../../../lib/machine/index.js'
import { connect, serve, type RemoteMachine, type RpcServer } from '../../../lib/rpc/index.js'
import { latencyRows, now, onceRow, pct, textRow } from '../actor-kit.js'
import type { Check, Goal, Row, Scenario } from '../run.js'
import {
  countingProxy, packr, portPair, rawEcho, RPC_SCHEMA, type RawEcho, rpcHeap, type RpcHeap, type Transport, TRANSPORTS,
} from '../rpc-kit.js'

type Remote = RemoteMachine<string>
type Source = Machine<string>

interface Served {
  readonly source: Source
  readonly server: RpcServer
  readonly remote: Remote
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i])

/** A source, a server for it on `t` and one connected mirror. */
async function served(t: Transport, pushInterval?: number, via?: (url: string) => Promise<string>): Promise<Served> {
  const source: Source = new Machine(RPC_SCHEMA, { id: `bench-${t}` })
  const push = pushInterval === undefined ? {} : { pushInterval }
  const server = t === 'port' ? await serve(source, push)
    : await serve(source, { url: t === 'tcp' ? 'tcp://127.0.0.1:0' : 'ws://127.0.0.1:0/rpc', ...push })
  let remote: Remote
  if (t === 'port') {
    const pair = portPair()
    server.accept(pair.server)
    remote = await connect(pair.client, { schema: RPC_SCHEMA, keepAlive: 0 })
  } else {
    const url = via ? await via(server.url as string) : (server.url as string)
    remote = await connect(url, { schema: RPC_SCHEMA, keepAlive: 0 })
  }
  return { source, server, remote }
}

/** Waits (bounded) until the mirror's clock equals the source's; false on timeout. */
async function mirrored(s: Served, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms
  while (!same(s.remote.time(), s.source.time())) {
    if (Date.now() > until) return false
    await new Promise((r) => setImmediate(r))
  }
  return true
}

async function shut(s: Served): Promise<boolean> {
  await s.remote.close()
  await s.server.close()
  return s.server.clients === 0 && s.server.machine.is('Closed') && !s.remote.connected
}

/** A Mutate-shaped message for the raw echo: [type, id, kind, states, args, error]. */
const rawMsg = (id: number): unknown[] => [6, id, 0, [0], null, null]

interface Trip {
  readonly rpc: number[]
  readonly raw: number[]
  readonly check: Check
  readonly closed: boolean
}

/**
 * Sequential round trips, each timed alone: remote add/remove of A (each must be Executed by the source) against a
 * raw echo, interleaved in blocks of 50 so both see the same load.
 */
async function roundTrips(t: Transport, warm: number, count: number): Promise<Trip> {
  const s = await served(t)
  const raw = await rawEcho(t)
  let executed = 0
  let echoed = 0
  let op = 0
  const rpcOp = async (): Promise<number> => {
    const t0 = now()
    const r = await (op++ % 2 === 0 ? s.remote.add('A') : s.remote.remove('A'))
    const ns = Number(now() - t0)
    if (r === Result.Executed) executed++
    return ns
  }
  const rawOp = async (id: number): Promise<number> => {
    const t0 = now()
    const back = await raw.rt(rawMsg(id))
    const ns = Number(now() - t0)
    if ((back as unknown[])[1] === id) echoed++
    return ns
  }
  for (let i = 0; i < warm; i++) {
    await rpcOp()
    await rawOp(i)
  }
  const rpc: number[] = []
  const rawNs: number[] = []
  const BLOCK = 50
  for (let b = 0; b * BLOCK < count; b++) {
    const n = Math.min(BLOCK, count - b * BLOCK)
    const rpcFirst = b % 2 === 0
    for (let pass = 0; pass < 2; pass++) {
      if ((pass === 0) === rpcFirst) for (let i = 0; i < n; i++) rpc.push(await rpcOp())
      else for (let i = 0; i < n; i++) rawNs.push(await rawOp(i))
    }
  }
  const total = warm + count
  const synced = await mirrored(s)
  const ticks = s.source.tick('A')
  const ok = executed === total && echoed === total && ticks === total && synced
  const closed = (await shut(s)) && (await raw.close().then(() => raw.open() === 0))
  return {
    rpc, raw: rawNs, closed,
    check: {
      name: `rpc ${t}: every mutation's reply arrived Executed, every echo came back, the mirror equals the source`,
      ok,
      detail: `${executed}/${total} executed, ${echoed}/${total} echoed, source tick(A) ${ticks}, mirror ${synced ? 'equal' : 'DIFFERENT'}`,
    },
  }
}

interface Flow {
  readonly ns: number
  readonly ok: boolean
}

/**
 * `n` source mutations (add/remove of B, in chunks of 1000 per macrotask so pushes can go out), timed until the
 * mirror's clock equals the source's.
 */
async function syncRun(s: Served, n: number): Promise<Flow> {
  const t0 = now()
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + 1000)
    for (; i < end; i++) {
      if (i % 2 === 0) s.source.add('B')
      else s.source.remove('B')
    }
    await new Promise((r) => setImmediate(r))
  }
  const ok = await mirrored(s)
  return { ns: Number(now() - t0), ok }
}

/** `n` raw messages sent at once, timed until all echoes came back. */
async function rawFlow(raw: RawEcho, n: number): Promise<Flow> {
  const t0 = now()
  const equal = await raw.pipeline(n, (i) => [5, i, [1, i], i, 0]) // [type, i, pairs, queueTick, checksum]
  return { ns: Number(now() - t0), ok: equal === n }
}

const median = (xs: readonly number[]): number => pct([...xs].sort((a, b) => a - b), 0.5)

interface Throughput {
  readonly rows: Row[]
  readonly check: Check
  readonly closed: boolean
  /** Mutations/s for the default push interval and for pushInterval 0. */
  readonly coalesced: number
  readonly perTransition: number
}

async function throughput(t: Transport, n: number, reps: number): Promise<Throughput> {
  const dflt = await served(t)
  const each = await served(t, 0)
  const raw = await rawEcho(t)
  const times: { dflt: number[]; each: number[]; raw: number[] } = { dflt: [], each: [], raw: [] }
  let bad = 0
  await syncRun(dflt, 2000) // warm-up
  await syncRun(each, 2000)
  await rawFlow(raw, 2000)
  for (let r = 0; r < reps; r++) {
    for (const [k, run] of [
      ['dflt', () => syncRun(dflt, n)], ['each', () => syncRun(each, n)], ['raw', () => rawFlow(raw, n)],
    ] as const) {
      const f = await run()
      if (!f.ok) bad++
      times[k].push(f.ns)
    }
  }
  const closed = (await shut(dflt)) && (await shut(each)) && (await raw.close().then(() => raw.open() === 0))
  const m = { dflt: median(times.dflt), each: median(times.each), raw: median(times.raw) }
  return {
    rows: [
      onceRow(`${t} mirror sync, default push (2 ms coalescing)`, m.dflt, n),
      onceRow(`${t} mirror sync, pushInterval 0 (diff per transition)`, m.each, n),
      onceRow(`${t} raw echo, ${n.toLocaleString('en')} pipelined`, m.raw, n),
    ],
    check: {
      name: `rpc ${t}: the mirror ended equal to the source after every sync run, every pipelined echo came back`,
      ok: bad === 0,
      detail: `${3 * reps} runs of ${n} (+ warm-up), ${bad} failed`,
    },
    closed,
    coalesced: (n * 1e9) / m.dflt,
    perTransition: (n * 1e9) / m.each,
  }
}

interface Bytes {
  readonly rows: Row[]
  readonly check: Check
  readonly closed: boolean
}

/** Bytes on the wire per mutation, counted by a TCP proxy between the client and the server. */
async function wireBytes(k: number): Promise<Bytes> {
  const proxies: Array<Awaited<ReturnType<typeof countingProxy>>> = []
  const via = async (url: string): Promise<string> => {
    const p = await countingProxy(Number(new URL(url).port))
    proxies.push(p)
    return p.url
  }
  const dflt = await served('tcp', undefined, via)
  const each = await served('tcp', 0, via)
  const [pd, pe] = proxies as [Awaited<ReturnType<typeof countingProxy>>, Awaited<ReturnType<typeof countingProxy>>]
  const settle = async (s: Served): Promise<boolean> => {
    const ok = await mirrored(s)
    await sleep(20) // a coalesced push still on its way
    await s.remote.ping()
    return ok
  }
  // remote mutations (default server): request up, reply (+ any push) down
  await settle(dflt)
  pd.reset()
  let executed = 0
  for (let i = 0; i < k; i++) if ((await (i % 2 === 0 ? dflt.remote.add('A') : dflt.remote.remove('A'))) === Result.Executed) executed++
  let ok = await settle(dflt)
  const pingBytes = 2 * (4 + packr.pack([10, 1]).length) // the closing ping and pong
  const remoteUp = (pd.up - pingBytes / 2) / k
  const remoteDown = (pd.down - pingBytes / 2) / k
  // source mutations, one diff per transition
  await settle(each)
  pe.reset()
  for (let i = 0; i < k; i++) {
    if (i % 2 === 0) each.source.add('B')
    else each.source.remove('B')
    if (i % 100 === 99) await new Promise((r) => setImmediate(r))
  }
  ok = (await settle(each)) && ok
  const eachDown = (pe.down - pingBytes / 2) / k
  // source mutations in bursts of 1000, coalesced by the default server
  pd.reset()
  for (let i = 0; i < k;) {
    const end = Math.min(k, i + 1000)
    for (; i < end; i++) {
      if (i % 2 === 0) dflt.source.add('B')
      else dflt.source.remove('B')
    }
    await new Promise((r) => setImmediate(r))
  }
  ok = (await settle(dflt)) && ok
  const burstDown = (pd.down - pingBytes / 2) / k
  const closed = (await shut(dflt)) && (await shut(each))
  await Promise.all(proxies.map((p) => p.close()))
  const rawUp = 4 + packr.pack(rawMsg(k)).length
  const rawDown = 4 + packr.pack([7, k, 0, [0, k], k, 123456789]).length
  const b = (x: number): string => `${x.toFixed(x < 1 ? 2 : 1)} B`
  return {
    rows: [
      textRow('bytes: remote mutation (request ↑ / reply ↓)', `${b(remoteUp)} ↑ / ${b(remoteDown)} ↓`),
      textRow('bytes: source mutation pushed, pushInterval 0', `${b(eachDown)} ↓`),
      textRow('bytes: source mutation pushed, bursts of 1000, default push', `${b(burstDown)} ↓`),
      textRow('bytes: raw framed msgpack (Mutate-like ↑ / Reply-like ↓)', `${rawUp} B ↑ / ${rawDown} B ↓`),
    ],
    check: {
      name: 'rpc bytes: every counted mutation executed, the mirror equals the source, the proxy saw the traffic',
      ok: ok && executed === k && remoteUp > 0 && eachDown > 0 && proxies.every((p) => p.open() === 0),
      detail: `${executed}/${k} remote mutations executed, ${3 * k} mutations counted, proxies closed`,
    },
    closed: closed && proxies.every((p) => p.open() === 0),
  }
}

/** Open TCP handles and MessagePorts, to compare before and after (stdio and timers are not counted). */
function netHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => /^TCP|MessagePort/.test(r)).length
}

export const rpc: Scenario = {
  name: 'rpc',
  title: 'rpc: remote mutation round trip, mirror sync throughput, bytes per mutation, heap per client (polymachine/rpc, raw msgpack echo baselines)',
  async run(_opts, quick) {
    const handlesBefore = netHandles()
    const heapCount = quick ? 50 : 1000
    // the client-side heap child dials this server; quick runs start both children at once (their figures are
    // meaningless anyway), full runs after the timings so they compete with nothing
    const heapSrc = new Machine(RPC_SCHEMA, { id: 'bench-heap' })
    const heapServer = await serve(heapSrc, { url: 'tcp://127.0.0.1:0' })
    const heaps = (): Promise<[RpcHeap, RpcHeap]> =>
      Promise.all([rpcHeap('both', heapCount), rpcHeap('client', heapCount, heapServer.url as string)])
    const early = quick ? heaps() : null
    early?.catch(() => undefined)

    const rows: Row[] = []
    const checks: Check[] = []
    const goals: Goal[] = []
    const closedAll: boolean[] = []
    const warm = quick ? 100 : 2000
    const count = quick ? 300 : 20_000
    for (const t of TRANSPORTS) {
      const trip = await roundTrips(t, warm, count)
      rows.push(...latencyRows(`${t} remote mutation round trip`, trip.rpc), ...latencyRows(`${t} raw echo round trip`, trip.raw))
      checks.push(trip.check)
      closedAll.push(trip.closed)
      const p50 = pct([...trip.rpc].sort((a, b) => a - b), 0.5)
      const raw50 = pct([...trip.raw].sort((a, b) => a - b), 0.5)
      const ratio = p50 / raw50
      goals.push({
        name: `rpc ${t}: mutation round trip p50 ≤ 2× the raw echo${t === 'tcp' ? ' and ≤ 50 µs' : ''}`,
        pass: ratio <= 2 && (t !== 'tcp' || p50 <= 50_000),
        detail: `p50 ${(p50 / 1e3).toFixed(1)} µs vs raw ${(raw50 / 1e3).toFixed(1)} µs (${ratio.toFixed(2)}×)`,
      })
    }

    const n = quick ? 5000 : 100_000
    const reps = quick ? 1 : 3
    for (const t of TRANSPORTS) {
      const tp = await throughput(t, n, reps)
      rows.push(...tp.rows)
      checks.push(tp.check)
      closedAll.push(tp.closed)
      if (t === 'tcp') {
        const k = (x: number): string => `${(x / 1e3).toFixed(0)} k/s`
        goals.push({
          name: 'rpc tcp: mirror sync ≥ 100 k source mutations/s reflected (default push interval)',
          pass: tp.coalesced >= 100e3, detail: `${k(tp.coalesced)} (median of ${reps})`,
        }, {
          name: 'rpc tcp: mirror sync ≥ 100 k source mutations/s reflected (pushInterval 0, a diff per transition)',
          pass: tp.perTransition >= 100e3, detail: `${k(tp.perTransition)} (median of ${reps})`,
        })
      }
    }

    const bytes = await wireBytes(quick ? 200 : 10_000)
    rows.push(...bytes.rows)
    checks.push(bytes.check)
    closedAll.push(bytes.closed)

    const [both, client] = await (early ?? heaps())
    await heapServer.close()
    closedAll.push(heapServer.clients === 0)
    const kb = (x: number): string => `${(x / 1024).toFixed(2)} KB / client`
    rows.push(
      textRow('heap per connected TCP client: server + client ends', kb(both.bytes)),
      textRow('heap per connected TCP client: client end (mirror)', kb(client.bytes)),
      textRow('heap per connected TCP client: server end (difference)', kb(both.bytes - client.bytes)),
    )
    checks.push({
      name: 'rpc heap: every client of the heap children was connected when measured',
      ok: both.live === both.count && client.live === client.count,
      detail: `both ends ${both.live}/${both.count}, client end ${client.live}/${client.count}`,
    })

    await sleep(10)
    const handlesAfter = netHandles()
    checks.push({
      name: 'rpc: every server, client, socket and port was closed',
      ok: closedAll.every(Boolean) && handlesAfter <= handlesBefore,
      detail: `${closedAll.filter(Boolean).length}/${closedAll.length} groups closed; TCP handles and ports ` +
        `${handlesBefore} before, ${handlesAfter} after (${process.getActiveResourcesInfo().join(', ') || 'none'})`,
    })

    return {
      rows,
      checks,
      goals,
      notes: [
        `round trips: ${count.toLocaleString('en')} sequential remote add/remove of one state per transport after ` +
          `${warm} warm-up, each timed alone (p50/p99, best = fastest), interleaved in blocks of 50 with as many raw ` +
          'echoes of a Mutate-shaped message; the raw server decodes and re-encodes each message (msgpackr, same options ' +
          'and framing as the library: 4-byte length on TCP, one binary message on ws, one Uint8Array per postMessage).',
        'MessagePort: an in-process MessageChannel (both ends in the bench thread, no Worker), for rpc and raw alike.',
        `mirror sync: ${n.toLocaleString('en')} source add/remove mutations in chunks of 1000 per macrotask, timed until ` +
          `the mirror's clock equals the source's (median of ${reps}); with coalescing the mirror sees the final ` +
          'clocks, not every intermediate one. Raw: as many messages pipelined to the echo server, until every echo came back.',
        'bytes: counted by a TCP proxy between client and server (keep-alive off, handshake excluded); raw: the framed ' +
          'sizes of the baseline messages.',
        `heap: ${heapCount.toLocaleString('en')} TCP clients with default options in a child process (--expose-gc), ` +
          'heapUsed after forced GC; "both ends" serves and connects in one process, "client end" dials this ' +
          'process; the server end is their difference. Socket buffers outside the JS heap are not counted.',
      ],
    }
  },
}
