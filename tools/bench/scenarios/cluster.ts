/**
 * cluster (polymachine/cluster): remote actor ask over a NatsBus against a raw NATS request/reply on the same two
 * connections, remote mutation round trip over the bus against plain RPC over TCP, discovery settle time of 100
 * exposed machines, and the same figures for InProcessBus. The NATS cases run on a private nats-server (a free
 * loopback port, a temporary store dir, stopped at the end); without the binary they are skipped with a note.
 */
import { ActorSystem, type ActorEventOf } from '../../../lib/actor/index.js'
import { InProcessBus, NatsBus, type Bus } from '../../../lib/cluster/index.js'
import { Machine, Result, schema } from '../../../lib/machine/index.js'
import { connect, decode, encode, serve, type RemoteMachine } from '../../../lib/rpc/index.js'
import { latencyRows, now, pct, textRow } from '../actor-kit.js'
import type { Check, Goal, Row, Scenario } from '../run.js'
import { RPC_SCHEMA } from '../rpc-kit.js'
// the spec's private nats-server (a free loopback port, a temporary store dir): one starter for tests and bench
import { hasNatsServer, NATS_SERVER_BIN, NatsServer } from '../../nats-server.js'

const ECHO = schema({ Echo: { multi: true } })
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const p50 = (xs: readonly number[]): number => pct([...xs].sort((a, b) => a - b), 0.5)
const us = (ns: number): string => `${(ns / 1e3).toFixed(1)} µs`

/** Runs `a` and `b` `count` times each, interleaved in blocks of 50 (alternating which goes first), after `warm`. */
async function interleaved(warm: number, count: number, a: () => Promise<number>, b: () => Promise<number>): Promise<[number[], number[]]> {
  for (let i = 0; i < warm; i++) {
    await a()
    await b()
  }
  const xs: number[] = []
  const ys: number[] = []
  const BLOCK = 50
  for (let blk = 0; blk * BLOCK < count; blk++) {
    const n = Math.min(BLOCK, count - blk * BLOCK)
    const first = blk % 2 === 0
    for (let pass = 0; pass < 2; pass++) {
      if ((pass === 0) === first) for (let i = 0; i < n; i++) xs.push(await a())
      else for (let i = 0; i < n; i++) ys.push(await b())
    }
  }
  return [xs, ys]
}

/** An echo actor exposed as `echo` on `server`, asked through `client`: each reply must be the number sent. */
async function askTimer(server: Bus, client: Bus): Promise<{ ask: () => Promise<number>; wrong: () => number; close: () => Promise<void> }> {
  const system = new ActorSystem({ id: `bench-${server.id}` })
  class Echo {
    EchoState(e: ActorEventOf<typeof ECHO>): unknown {
      return e.args.n
    }
  }
  const exposed = await server.exposeActor('echo', system.spawn(ECHO, new Echo(), { id: 'echo' }))
  const ref = client.actor<'Echo', number>('echo', { timeout: 5000 })
  let n = 0
  let wrong = 0
  return {
    ask: async () => {
      const i = n++
      const t0 = now()
      const back = await ref.ask('Echo', { n: i })
      const ns = Number(now() - t0)
      if (back !== i) wrong++
      return ns
    },
    wrong: () => wrong,
    close: async () => {
      await exposed.close()
      await system.shutdown()
    },
  }
}

/** Add/remove of A on a mirror, alternating; counts the results that are not Executed. */
function mutateTimer(remote: RemoteMachine<string>): { op: () => Promise<number>; bad: () => number } {
  let i = 0
  let bad = 0
  return {
    op: async () => {
      const t0 = now()
      const r = await (i++ % 2 === 0 ? remote.add('A') : remote.remove('A'))
      const ns = Number(now() - t0)
      if (r !== Result.Executed) bad++
      return ns
    },
    bad: () => bad,
  }
}

/** Exposes `n` machines on `server` at once; ns until `client.list()` sees all of them, and one list() alone. */
async function discovery(server: Bus, client: Bus, n: number, tag: string): Promise<{ settle: number; list: number; seen: number }> {
  const machines = Array.from({ length: n }, (_, i) => new Machine(RPC_SCHEMA, { id: `${tag}-${i}` }))
  const t0 = now()
  const exposing = Promise.all(machines.map((m) => server.expose(m, { tags: [tag] })))
  let seen = 0
  const until = Date.now() + 10_000
  while (seen < n && Date.now() < until) {
    seen = (await client.list({ tag })).length
    if (seen < n) await sleep(1)
  }
  const settle = Number(now() - t0)
  const handles = await exposing
  const t1 = now()
  const again = (await client.list({ tag })).length
  const list = Number(now() - t1)
  await Promise.all(handles.map((h) => h.close()))
  return { settle, list, seen: Math.min(seen, again) }
}

interface Part {
  rows: Row[]
  checks: Check[]
  goals: Goal[]
  notes: string[]
}

async function natsPart(warm: number, count: number, machines: number): Promise<Part> {
  const nats = await NatsServer.start()
  const opts = { servers: nats.url, heartbeat: 500, timeout: 5000 }
  const a = await NatsBus.connect({ ...opts, id: 'bench-a' })
  const b = await NatsBus.connect({ ...opts, id: 'bench-b' })
  const out: Part = { rows: [], checks: [], goals: [], notes: [] }
  try {
    // remote ask vs raw request/reply on the same two connections, msgpack bodies
    const echo = await askTimer(a, b)
    const rawSub = a.nc.subscribe('bench.raw', { callback: (err, msg) => {
      if (!err) msg.respond(encode(decode(msg.data)))
    } })
    await a.nc.flush()
    let rawN = 0
    let rawWrong = 0
    const raw = async (): Promise<number> => {
      const i = rawN++
      const t0 = now()
      const back = decode((await b.nc.request('bench.raw', encode({ n: i }), { timeout: 5000 })).data) as { n: number }
      const ns = Number(now() - t0)
      if (back.n !== i) rawWrong++
      return ns
    }
    const [asks, raws] = await interleaved(warm, count, echo.ask, raw)
    rawSub.unsubscribe()
    await echo.close()
    out.rows.push(...latencyRows('NatsBus remote ask', asks), ...latencyRows('raw NATS request/reply', raws))
    out.checks.push({
      name: 'cluster nats: every remote ask and every raw request came back with the number sent',
      ok: echo.wrong() === 0 && rawWrong === 0, detail: `${warm + count} of each, ${echo.wrong()} + ${rawWrong} wrong`,
    })
    const ratio = p50(asks) / p50(raws)
    out.goals.push({
      name: 'cluster nats: remote ask p50 ≤ 1.3× a raw NATS request/reply',
      pass: ratio <= 1.3, detail: `p50 ${us(p50(asks))} vs raw ${us(p50(raws))} (${ratio.toFixed(2)}×)`,
    })
    out.notes.push('NATS remote ask: no tracing installed, so no headers (with `setClusterTracing` each ask also carries `pm-id` ' +
      'and `traceparent` headers, about +0.1× here). Ratios vary by about ±0.1× between runs on a loaded host: compare several runs.')

    // remote mutation round trip: a mirror over the bus vs a mirror over plain RPC TCP
    const viaBus = new Machine(RPC_SCHEMA, { id: 'bench-bus-src' })
    const exposed = await a.expose(viaBus)
    const busMirror = await b.machine('bench-bus-src', { schema: RPC_SCHEMA })
    const viaTcp = new Machine(RPC_SCHEMA, { id: 'bench-tcp-src' })
    const server = await serve(viaTcp, { url: 'tcp://127.0.0.1:0' })
    const tcpMirror = await connect(server.url as string, { schema: RPC_SCHEMA, keepAlive: 0 })
    const mb = mutateTimer(busMirror)
    const mt = mutateTimer(tcpMirror)
    const [busNs, tcpNs] = await interleaved(warm, count, mb.op, mt.op)
    out.rows.push(...latencyRows('NatsBus remote mutation round trip', busNs), ...latencyRows('RPC TCP remote mutation round trip', tcpNs))
    const total = warm + count
    out.checks.push({
      name: 'cluster nats: every mutation over the bus and over TCP was Executed on its source',
      ok: mb.bad() === 0 && mt.bad() === 0 && viaBus.tick('A') === total && viaTcp.tick('A') === total,
      detail: `${total} each; not executed: bus ${mb.bad()}, tcp ${mt.bad()}; source ticks ${viaBus.tick('A')}, ${viaTcp.tick('A')}`,
    })
    await busMirror.close()
    await exposed.close()
    await tcpMirror.close()
    await server.close()

    const d = await discovery(a, b, machines, 'disc')
    out.rows.push(textRow(`NatsBus discovery: ${machines} machines exposed at once until list() sees all`, `${(d.settle / 1e6).toFixed(0)} ms`),
      textRow(`NatsBus list() of ${machines} machines`, `${(d.list / 1e6).toFixed(1)} ms`))
    out.checks.push({ name: `cluster nats: list() saw all ${machines} exposed machines`, ok: d.seen === machines, detail: `${d.seen}/${machines}` })
    out.goals.push({ name: `cluster nats: discovery of ${machines} machines ≤ 1 s`, pass: d.settle <= 1e9, detail: `${(d.settle / 1e6).toFixed(0)} ms` })
  } finally {
    await Promise.all([a.close(), b.close()])
    await nats.stop()
  }
  out.checks.push({
    name: 'cluster nats: both buses closed',
    ok: a.connection.is('Closed') && b.connection.is('Closed'), detail: `${a.connection.activeStates.join(',')} / ${b.connection.activeStates.join(',')}`,
  })
  out.notes.push('NATS: two NatsBus connections in this process to a private nats-server 2.9 (JetStream, loopback); ' +
    'the raw baseline is nc.request() on the same two connections with a msgpack { n } body echoed by a plain subscription.')
  return out
}

async function inProcessPart(warm: number, count: number, machines: number): Promise<Part> {
  const bus = new InProcessBus({ id: 'bench-inproc' })
  const out: Part = { rows: [], checks: [], goals: [], notes: [] }
  try {
    const echo = await askTimer(bus, bus)
    const src = new Machine(RPC_SCHEMA, { id: 'bench-inproc-src' })
    await bus.expose(src)
    const m = mutateTimer(await bus.machine('bench-inproc-src', { schema: RPC_SCHEMA }))
    const [asks, muts] = await interleaved(warm, count, echo.ask, m.op)
    await echo.close()
    out.rows.push(...latencyRows('InProcessBus remote ask', asks), ...latencyRows('InProcessBus remote mutation round trip', muts))
    out.checks.push({
      name: 'cluster in-process: every ask echoed its number, every mutation was Executed',
      ok: echo.wrong() === 0 && m.bad() === 0 && src.tick('A') === warm + count,
      detail: `${warm + count} each; ${echo.wrong()} wrong, ${m.bad()} not executed`,
    })
    const d = await discovery(bus, bus, machines, 'disc-inproc')
    out.rows.push(textRow(`InProcessBus discovery: ${machines} machines exposed at once until list() sees all`, `${(d.settle / 1e6).toFixed(1)} ms`))
    out.checks.push({ name: `cluster in-process: list() saw all ${machines} exposed machines`, ok: d.seen === machines, detail: `${d.seen}/${machines}` })
  } finally {
    await bus.close()
  }
  return out
}

export const cluster: Scenario = {
  name: 'cluster',
  title: 'cluster: remote ask vs raw NATS request/reply, remote mutation over the bus vs RPC TCP, discovery of 100 machines (polymachine/cluster)',
  async run(_opts, quick) {
    const warm = quick ? 50 : 1000
    const count = quick ? 200 : 10_000
    const machines = 100
    const parts: Part[] = [await inProcessPart(warm, count, machines)]
    if (hasNatsServer) parts.push(await natsPart(warm, count, machines))
    const notes = [`${count.toLocaleString('en')} sequential operations per case after ${warm} warm-up, each timed alone, ` +
      'interleaved in blocks of 50 with the case it is compared to; discovery: every expose() started at once, list() polled every ms.']
    if (!hasNatsServer) notes.push(`NATS cases skipped: no nats-server at ${NATS_SERVER_BIN} (apt-get install nats-server, or set NATS_SERVER_BIN).`)
    return {
      rows: parts.flatMap((p) => p.rows),
      checks: parts.flatMap((p) => p.checks),
      goals: parts.flatMap((p) => p.goals),
      notes: [...notes, ...parts.flatMap((p) => p.notes)],
    }
  },
}

// ---------------------------------------------------------------------------------------------------------------
// keyed actors across 3 nodes (bus.keyed): placement of fresh keys, routed and local asks to placed keys

const COUNTER = schema({ Add: { multi: true } })

/** Three NatsBus nodes in this process sharing the keyed set `bench`; first asks to fresh keys, then steady asks. */
async function keyedPart(keys: number, asks: number): Promise<Part> {
  const nats = await NatsServer.start()
  const out: Part = { rows: [], checks: [], goals: [], notes: [] }
  const buses: NatsBus[] = []
  const systems: ActorSystem[] = []
  try {
    for (const id of ['node-1', 'node-2', 'node-3']) {
      buses.push(await NatsBus.connect({ servers: nats.url, id, heartbeat: 500, timeout: 5000 }))
      systems.push(new ActorSystem({ id: `bench-keyed-${id}` }))
    }
    const { NatsKvStore } = await import('../../../lib/cluster/index.js')
    const store = await NatsKvStore.open(buses[0] as NatsBus, { bucket: 'bench-keyed-state' })
    const sets = await Promise.all(buses.map((bus, i) => bus.keyed('bench', {
      system: systems[i] as ActorSystem, schema: COUNTER, store, state: { initial: () => ({ n: 0 }) },
      handlers: ({ state }: { state: { data: { n: number } } }) => ({ AddState: () => ++state.data.n }),
    })))
    // placement: each fresh key's first ask, sent from the nodes in turn (lease taken + state loaded + activated + saved)
    const first: number[] = []
    let wrong = 0
    for (let k = 0; k < keys; k++) {
      const t0 = now()
      if (await sets[k % 3]!.ref(`key-${k}`).ask('Add') !== 1) wrong++
      first.push(Number(now() - t0))
    }
    // steady: asks to placed keys from the node holding them (local) and from the next node (routed over NATS)
    const local: number[] = []
    const routed: number[] = []
    for (let i = 0; i < asks; i++) {
      const k = i % keys
      let t0 = now()
      await sets[k % 3]!.ref(`key-${k}`).ask('Add')
      local.push(Number(now() - t0))
      t0 = now()
      await sets[(k + 1) % 3]!.ref(`key-${k}`).ask('Add')
      routed.push(Number(now() - t0))
    }
    out.rows.push(...latencyRows('keyed, 3 NatsBus nodes: first ask to a fresh key (placement + activation + save)', first),
      ...latencyRows('keyed, 3 NatsBus nodes: ask on the node holding the key (incl. save)', local),
      ...latencyRows('keyed, 3 NatsBus nodes: ask routed to the node holding the key (incl. save)', routed))
    const activations = sets.reduce((n, s) => n + s.activations, 0)
    out.checks.push({
      name: `cluster keyed: ${keys} fresh keys across 3 nodes → ${keys} activations, each first reply 1`,
      ok: activations === keys && wrong === 0, detail: `${activations} activations, ${wrong} wrong first replies`,
    })
    out.notes.push('keyed: checkpoint "message" (a KV compare-and-set save per message before its reply); lease TTL 10 s; '
      + 'first asks sent from node-1, node-2, node-3 in turn, so every key is placed on the node that sent its first ask.')
    await Promise.all(sets.map((s) => s.close()))
  } finally {
    await Promise.all(buses.map((b) => b.close()))
    await Promise.all(systems.map((s) => s.shutdown({ timeout: 2000 })))
    await nats.stop()
  }
  return out
}

/** keyed activation across 3 nodes (needs nats-server; register it in tools/bench/main.ts next to `cluster`). */
export const clusterKeyed: Scenario = {
  name: 'cluster-keyed',
  title: 'cluster keyed: placement of fresh keys and asks to placed keys across 3 NatsBus nodes (bus.keyed)',
  async run(_opts, quick) {
    if (!hasNatsServer) {
      return { rows: [], checks: [], goals: [], notes: [`skipped: no nats-server at ${NATS_SERVER_BIN} (apt-get install nats-server, or set NATS_SERVER_BIN).`] }
    }
    const p = await keyedPart(quick ? 60 : 600, quick ? 200 : 2000)
    return { rows: p.rows, checks: p.checks, goals: p.goals, notes: p.notes }
  },
}
