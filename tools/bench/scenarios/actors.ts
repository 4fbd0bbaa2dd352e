/**
 * actors (polymachine/actor only): tell throughput counted in processed messages, ask round-trip latency
 * (sequential asks, p50/p99), spawn + start (until Ready) + stop per second, and retained heap per idle actor
 * (child process with --expose-gc, like create's heap-child).
 */
import { ActorSystem, type ActorEvent, type AskOptions } from '../../../lib/actor/index.js'
import { heapLater, latencyRows, MSGS, now, pct, textRow } from '../actor-kit.js'
import { type Case, type Check, type Goal, measure, rows, type Scenario } from '../run.js'

/** Messages per timed tell call: BATCH - 1 tells and a closing ask, so a call ends once all of them were handled. */
const BATCH = 1000

interface Counted {
  readonly c: Case
  readonly check: () => Check
}

/** Tell throughput. The mailbox holds a whole batch, so the default policy (drop-newest) never sheds a message. */
async function tellCase(system: ActorSystem): Promise<Counted> {
  let handled = 0
  let sent = 0
  let short = 0 // calls whose closing ask replied before the whole batch was handled
  const ref = system.spawn(MSGS, { WorkState: (): void => void handled++ }, { id: 'tell', mailbox: { capacity: 4 * BATCH } })
  await ref.machine.when('Ready')
  const c: Case = {
    label: 'tell (processed messages)',
    lib: 'polymachine',
    opsPerCall: BATCH,
    afn: async () => {
      const before = handled
      sent += BATCH
      for (let i = 1; i < BATCH; i++) ref.tell('Work')
      await ref.ask('Work') // FIFO, concurrency 1: it is handled last
      if (handled - before !== BATCH) short++
    },
  }
  const check = (): Check => {
    const s = ref.stats
    const ok = short === 0 && s.dropped === 0 && s.processed === sent && handled === sent && system.deadLetterCount === 0
    return {
      name: 'actors: every told message was processed',
      ok,
      detail: `sent ${sent}, handled ${handled}, stats.processed ${s.processed}, dropped ${s.dropped}, ` +
        `dead letters ${system.deadLetterCount}, short batches ${short}`,
    }
  }
  return { c, check }
}

/** Spawn, wait for Ready, stop: one full actor lifecycle per call. */
function lifecycleCase(system: ActorSystem): Counted {
  let spawned = 0
  let completed = 0 // reached Ready, then stopped
  const handlers = { WorkState: (): void => undefined }
  const c: Case = {
    label: 'spawn + start + stop',
    lib: 'polymachine',
    opsPerCall: 1,
    afn: async () => {
      const ref = system.spawn(MSGS, handlers, { id: `s${spawned++}` })
      await ref.machine.when('Ready')
      await system.stop(ref)
      if (ref.stopped) completed++
    },
  }
  const check = (): Check => ({
    name: 'actors: every spawned actor became Ready and stopped',
    ok: completed === spawned && spawned > 0 && system.size === 0,
    detail: `spawned ${spawned}, completed ${completed}, still live ${system.size}`,
  })
  return { c, check }
}

/**
 * Sequential asks, each timed alone: the reply must be the number sent. `opts` (a timeout) shows what a bounded ask
 * costs: its timer, and the message's cancellation wiring.
 */
async function askLatency(
  system: ActorSystem, warm: number, count: number, opts?: AskOptions,
): Promise<{ ns: number[]; check: Check }> {
  const id = opts ? 'echo-timeout' : 'echo'
  const ref = system.spawn(MSGS, { EchoState: (e: ActorEvent): unknown => e.args['i'] }, { id })
  let wrong = 0
  for (let i = 0; i < warm; i++) if ((await ref.ask('Echo', { i }, opts)) !== i) wrong++
  const ns = new Array<number>(count)
  let answered = 0
  for (let i = 0; i < count; i++) {
    const t0 = now()
    const r = await ref.ask('Echo', { i }, opts)
    ns[i] = Number(now() - t0)
    if (r === i) answered++
  }
  const ok = wrong === 0 && answered === count && ref.stats.processed === warm + count
  return {
    ns,
    check: { name: `actors: every ask${opts ? ' with a timeout' : ''} got its own reply`, ok, detail: `${answered}/${count} timed asks answered correctly, ${wrong} wrong in warm-up` },
  }
}

export const actors: Scenario = {
  name: 'actors',
  title: 'actors: tell throughput, ask latency, spawn/stop rate and heap per idle actor (polymachine/actor only)',
  async run(opts, quick) {
    const heapCount = quick ? 500 : 20_000
    const heapOf = heapLater(quick, 'actor', heapCount)
    const system = new ActorSystem()
    const lifeSystem = new ActorSystem() // its own system, so "nothing left live" is checkable
    const tell = await tellCase(system)
    const life = lifecycleCase(lifeSystem)
    // Warm up first: a spawn/stop cycle runs 5× slower for its first few thousand calls (JIT tiers), and cold calls
    // would make measure()'s calibration pick tiny batches that never warm up.
    for (const c of [tell.c, life.c]) {
      const until = Date.now() + (quick ? 0 : 750)
      for (let i = 0; i < 3 || Date.now() < until; i++) if ('afn' in c) await c.afn()
    }
    const m = await measure([tell.c, life.c], opts)
    const lat = await askLatency(system, quick ? 200 : 5_000, quick ? 500 : 20_000)
    const latT = await askLatency(system, quick ? 200 : 5_000, quick ? 500 : 20_000, { timeout: 60_000 })
    const heap = await heapOf()
    await system.shutdown()
    await lifeSystem.shutdown()

    const [tm, lm] = m
    const p50 = pct([...lat.ns].sort((a, b) => a - b), 0.5)
    const tellRate = tm ? tm.opsPerSec : 0
    const lifeRate = lm ? lm.opsPerSec : 0
    const heapCheck: Check = {
      name: 'actors: heap child kept every idle actor live',
      ok: heap.live === heap.count,
      detail: `${heap.live}/${heap.count} Ready (and the last one answered)`,
    }
    const goals: Goal[] = [
      { name: 'actors: tell ≥ 1 M processed msg/s', pass: tellRate >= 1e6, detail: `${(tellRate / 1e6).toFixed(2)} M/s (median)` },
      { name: 'actors: ask round trip p50 ≤ 10 µs', pass: p50 <= 10_000, detail: `p50 ${(p50 / 1e3).toFixed(1)} µs` },
      { name: 'actors: spawn + start + stop ≥ 50 k/s', pass: lifeRate >= 50e3, detail: `${(lifeRate / 1e3).toFixed(1)} k/s (median)` },
    ]
    return {
      rows: [
        ...rows(m).map((r) => ({ ...r, ratio: null })),
        ...latencyRows('ask round trip', lat.ns),
        ...latencyRows('ask with timeout', latT.ns),
        textRow('heap per idle actor', `${(heap.bytes / 1024).toFixed(2)} KB / actor`),
      ],
      checks: [tell.check(), life.check(), lat.check, latT.check, heapCheck],
      goals,
      notes: [
        `tell: ${BATCH - 1} tells + 1 ask per timed call (mailbox capacity ${4 * BATCH}); ns/op is per processed message.`,
        `ask: ${lat.ns.length} sequential asks timed one by one (p50/p99; best = fastest); one actor, concurrency 1; ` +
          '"ask with timeout": the same with { timeout: 60 000 } (a timer per ask, cleared by the reply).',
        `heap: ${heapCount.toLocaleString('en')} idle actors (shared handlers object) in a child process, heapUsed ` +
          'after forced GC; no goal is set for it.',
      ],
    }
  },
}
