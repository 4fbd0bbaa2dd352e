/**
 * supervision (polymachine/actor only): keyed activation (one ask each to distinct keys of a Keyed: spawn of a
 * supervised virtual actor, delivery, reply) with time and retained heap per active keyed actor, and restart latency
 * (a handler throws → the next incarnation answers an ask) with backoff min=0 jitter=0.
 */
import { ActorSystem, Keyed, Supervisor } from '../../../lib/actor/index.js'
import { heapLater, latencyRows, MSGS, now, onceRow, textRow } from '../actor-kit.js'
import type { Check, Row, Scenario } from '../run.js'

interface Activation {
  readonly row: Row
  readonly check: Check
}

/** Activates `n` keyed actors at once (one ask per key) on a fresh system; times until every reply arrived. */
async function activate(n: number, label: string): Promise<Activation> {
  const system = new ActorSystem()
  const keyed = new Keyed(system, { id: 'k', schema: MSGS, handlers: ({ key }) => ({ EchoState: (): string => key }) })
  const keys = Array.from({ length: n }, (_, i) => `u${i}`)
  const t0 = now()
  const replies = await Promise.allSettled(keys.map((key) => keyed.ref(key).ask('Echo')))
  const ns = Number(now() - t0)
  // Only replies carrying their own key count; an activation that lost its message would show here.
  const answered = replies.filter((r, i) => r.status === 'fulfilled' && r.value === keys[i]).length
  const active = keyed.activeKeys.length
  // Not shut down: stopping 100 000 actors one by one is not what is measured; the system is garbage after this.
  return {
    row: onceRow(label, ns, answered),
    check: {
      name: `supervision: ${label}: every key activated and answered`,
      ok: answered === n && keyed.activations === n && active === n,
      detail: `${answered}/${n} answered with their key, ${keyed.activations} activations, ${active} active`,
    },
  }
}

/** Crash → answer: the crash time is taken in the throwing handler; the ask was queued behind the crash. */
async function restarts(count: number): Promise<{ ns: number[]; check: Check }> {
  const system = new ActorSystem()
  const sup = new Supervisor(system, {
    id: 'sup',
    backoff: { min: 0, max: 0, jitter: 0 },
    maxRestarts: Number.MAX_SAFE_INTEGER, // never escalate: every crash must restart
    period: 1000,
  })
  let crashedAt = 0n
  const ref = sup.supervise({
    id: 'c',
    schema: MSGS,
    handlers: ({ incarnation }) => ({
      EchoState: (): number => incarnation,
      CrashState(): never {
        crashedAt = now()
        throw new Error('crash (benchmark)')
      },
    }),
  })
  let incarnation = (await ref.ask('Echo')) as number
  const ns: number[] = []
  let wrong = 0
  for (let i = 0; i < count; i++) {
    ref.tell('Crash')
    const next = (await ref.ask('Echo')) as number // delivered to the next incarnation (kept across the restart)
    ns.push(Number(now() - crashedAt))
    if (next !== incarnation + 1) wrong++
    incarnation = next
  }
  const ok = wrong === 0 && ns.length === count && sup.restarts === count
  await system.shutdown()
  return {
    ns,
    check: {
      name: 'supervision: every crash restarted the child and the next incarnation answered',
      ok,
      detail: `${ns.length}/${count} answered, ${sup.restarts} restarts, ${wrong} replies from an unexpected incarnation`,
    },
  }
}

export const supervision: Scenario = {
  name: 'supervision',
  title: 'supervision: keyed activation (time and heap per active keyed actor) and restart latency (polymachine/actor only)',
  async run(_opts, quick) {
    const heapCount = quick ? 200 : 10_000
    const heapOf = heapLater(quick, 'keyed', heapCount)
    await activate(quick ? 20 : 1_000, 'warm-up') // JIT warm-up; not reported
    const sizes = quick ? [200] : [10_000, 100_000]
    const acts: Activation[] = []
    for (const n of sizes) acts.push(await activate(n, `keyed activation, ${n.toLocaleString('en')} keys`))
    const heap = await heapOf()
    const rs = await restarts(quick ? 20 : 1_000)
    const heapCheck: Check = {
      name: 'supervision: heap child activated every key',
      ok: heap.live === heap.count,
      detail: `${heap.live}/${heap.count} keyed actors answered`,
    }
    return {
      rows: [
        ...acts.map((a) => a.row),
        textRow('heap per active keyed actor', `${(heap.bytes / 1024).toFixed(2)} KB / actor`),
        ...latencyRows('restart: crash → answer', rs.ns),
      ],
      checks: [...acts.map((a) => a.check), heapCheck, rs.check],
      goals: [],
      notes: [
        'Keyed activation: one timed run per size (ns/op = total / answered keys), all asks sent at once, no ' +
          'idleTimeout/maxActive; the rows differ only in how many keyed actors already exist.',
        `Heap: ${heapCount.toLocaleString('en')} active keyed actors in a child process, heapUsed after forced GC.`,
        `Restart: ${rs.ns.length} crashes, backoff min=0 max=0 jitter=0, one-for-one. No goals are set for this scenario.`,
      ],
    }
  },
}
