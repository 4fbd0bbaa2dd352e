/**
 * store (polymachine/store under PersistentKeyed, polymachine only): one keyed actor's state round trip per actor
 * (activation = load, passivation = save), and durable reminders set and fired per second, each on MemoryStore
 * and on SqliteStore (a file in a temp directory). MemoryStore is the baseline: the difference is what SQLite costs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { schema } from '../../../lib/machine/index.js'
import { ActorSystem, PersistentKeyed, type ActorEvent } from '../../../lib/actor/index.js'
import { MemoryStore, SqliteStore, type Store } from '../../../lib/store/index.js'
import { latencyRows, now, onceRow, pct } from '../actor-kit.js'
import type { Check, Row, Scenario } from '../run.js'

const MSGS = schema({ Inc: { multi: true }, Bill: { multi: true } })

interface Named {
  readonly name: 'MemoryStore' | 'SqliteStore'
  readonly store: Store
}

/** A keyed actor with a small record of its own: `Inc` counts, `Bill` counts reminders delivered. */
function accounts(system: ActorSystem, id: string, store: Store, onBill?: (e: ActorEvent) => void) {
  return new PersistentKeyed(system, {
    id,
    schema: MSGS,
    store,
    state: { version: 1, initial: (key) => ({ owner: key, n: 0, bills: 0, plan: 'monthly', tags: ['bench', 'store'] }) },
    handlers: ({ state }) => ({
      IncState: (): number => ++state.data.n,
      BillState: (e: ActorEvent): void => {
        state.data.bills++
        onBill?.(e)
      },
    }),
  })
}

/** The `field` of every record under `prefix`, in key order: the final state two stores must agree on. */
async function finalCounts(store: Store, prefix: string, field: 'n' | 'bills'): Promise<string> {
  const out: string[] = []
  for (let after: string | undefined; ;) {
    const page = await store.list({ prefix, limit: 500, ...(after !== undefined && { after }) })
    if (page.length === 0) return out.join(',')
    for (const e of page) {
      const data = (e.value as { data?: Record<string, unknown> } | null)?.data
      out.push(`${e.key.slice(prefix.length)}=${String(data?.[field])}`)
    }
    after = page[page.length - 1]?.key
  }
}

// --- state round trip per actor ---------------------------------------------------------------------------------

interface Trips {
  readonly load: number[]
  readonly save: number[]
  wrong: number
}

/**
 * `rounds` passes over `keys` keys per store, the stores alternating per block of keys (the order flipping each
 * block): per key, an ask (activation: the record is loaded, then the handler answers) and `passivate` (the record
 * is saved, compare-and-set on its revision), each timed alone. The first pass creates the records, untimed.
 */
async function roundTrips(stores: readonly Named[], keys: number, rounds: number): Promise<{ trips: Trips[]; check: Check }> {
  const systems = stores.map(() => new ActorSystem())
  const kinds = stores.map((s, i) => accounts(systems[i] as ActorSystem, 'acct', s.store))
  const trips: Trips[] = stores.map(() => ({ load: [], save: [], wrong: 0 }))
  const block = 50
  for (let round = 0; round <= rounds; round++) {
    for (let from = 0, b = 0; from < keys; from += block, b++) {
      for (let k = 0; k < stores.length; k++) {
        const i = (k + b) % stores.length
        const keyed = kinds[i] as (typeof kinds)[number]
        const t = trips[i] as Trips
        for (let j = from; j < Math.min(keys, from + block); j++) {
          const key = `customer-${j}`
          const t0 = now()
          const n = await keyed.ref(key).ask('Inc')
          const t1 = now()
          const passivated = await keyed.passivate(key)
          const t2 = now()
          if (n !== round + 1 || !passivated) t.wrong++
          if (round > 0) {
            t.load.push(Number(t1 - t0))
            t.save.push(Number(t2 - t1))
          }
        }
      }
    }
  }
  const finals = await Promise.all(stores.map((s) => finalCounts(s.store, 'acct/state/', 'n')))
  for (const s of systems) await s.shutdown()
  const expected = Array.from({ length: keys }, (_, j) => `customer-${j}`).sort().map((k) => `${k}=${rounds + 1}`).join(',')
  const wrong = trips.reduce((a, t) => a + t.wrong, 0)
  const ok = wrong === 0 && finals.every((f) => f === expected)
  return {
    trips,
    check: {
      name: 'store: every round trip restored the saved count; both stores hold the same records',
      ok,
      detail: ok
        ? `${keys} keys × ${rounds + 1} activations per store, every key's stored n = ${rounds + 1} in both`
        : `wrong answers or failed passivations ${wrong}; ${stores.map((s, i) => `${s.name}: ${(finals[i] ?? '').slice(0, 80)}`).join('; ')}`,
    },
  }
}

// --- reminders --------------------------------------------------------------------------------------------------

interface ReminderRun {
  readonly insertNs: number
  readonly replaceNs: number
  /** From the due time until the handler got the last one. */
  readonly deliveredNs: number
  /** From the due time until the last one was removed from the store too. */
  readonly doneNs: number
  readonly ok: boolean
  readonly detail: string
  readonly final: string
  /** How long before the due time the replacing sets ended (ms). */
  readonly margin: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `count` reminders over `keys` keys: stored once due in an hour (insert), then set again (replace) due all at one
 * time, chosen after the inserts so the replacing sets end before it; then timed from that due time until every one
 * was delivered to its keyed actor (activated: its record loaded) and removed from the store.
 */
async function reminderRun(named: Named, ns: string, count: number, keys: number): Promise<ReminderRun> {
  const system = new ActorSystem()
  let delivered = 0
  let lastAt = 0n
  let early = 0
  const keyed = accounts(system, ns, named.store, (e) => {
    delivered++
    lastAt = now()
    if (Date.now() < (e.args['due'] as number)) early++
  })
  await keyed.reminders.machine.when('Ready')
  const key = (i: number): string => `c${i % keys}`
  const hour = Date.now() + 3_600_000
  const t0 = now()
  for (let i = 0; i < count; i++) await keyed.reminders.set(key(i), `r${i}`, { at: hour, msg: 'Bill', args: { i } })
  const insertNs = Number(now() - t0)
  const due = Date.now() + Math.ceil((2 * insertNs) / 1e6) + 100
  const t1 = now()
  for (let i = 0; i < count; i++) await keyed.reminders.set(key(i), `r${i}`, { at: due, msg: 'Bill', args: { i } })
  const replaceNs = Number(now() - t1)
  const setEnded = Date.now()
  const dueHr = now() + BigInt(Math.max(0, due - Date.now())) * 1_000_000n
  const prefix = `${ns}/reminder/`
  const limit = Date.now() + 60_000
  while (Date.now() < limit && (delivered < count || (await named.store.list({ prefix, limit: 1 })).length > 0)) await sleep(1)
  const doneNs = Number(now() - dueHr)
  const deliveredNs = Number(lastAt - dueHr)
  const left = (await named.store.list({ prefix })).length
  await system.shutdown() // saves every key's record (its `bills`)
  const final = await finalCounts(named.store, `${ns}/state/`, 'bills')
  const ok = delivered === count && keyed.reminders.fired === count && left === 0 && early === 0 && setEnded < due
  return {
    insertNs, replaceNs, deliveredNs, doneNs, ok, final, margin: due - setEnded,
    detail: `${named.name}: delivered ${delivered}/${count}, fired ${keyed.reminders.fired}, left in store ${left}, ` +
      `early ${early}, sets ended ${due - setEnded} ms before the due time`,
  }
}

const median = (xs: readonly number[]): number => pct([...xs].sort((a, b) => a - b), 0.5)

export const store: Scenario = {
  name: 'store',
  title: 'store: state round trip per actor (load + save) and reminders/s, MemoryStore vs SqliteStore (polymachine only)',
  async run(_opts, quick) {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-store-'))
    const named: Named[] = [{ name: 'MemoryStore', store: new MemoryStore() }]
    try {
      named.push({ name: 'SqliteStore', store: await SqliteStore.open(join(dir, 'bench.db')) })
      const keys = quick ? 100 : 1000
      const rounds = quick ? 1 : 3
      const rt = await roundTrips(named, keys, rounds)

      const count = quick ? 500 : 10_000
      const remKeys = quick ? 20 : 100
      const runs = quick ? 1 : 3
      const rem: ReminderRun[][] = named.map(() => [])
      for (let r = 0; r < runs; r++) {
        for (let k = 0; k < named.length; k++) {
          const i = (k + r) % named.length // alternate which store goes first
          ;(rem[i] as ReminderRun[]).push(await reminderRun(named[i] as Named, `rem${r}`, count, remKeys))
        }
      }

      const rows: Row[] = []
      const [memTrip, sqlTrip] = rt.trips as [Trips, Trips]
      for (const [i, n] of named.entries()) {
        const t = rt.trips[i] as Trips
        const vsMem = (q: number, pick: (x: Trips) => number[]): number =>
          pct([...pick(t)].sort((a, b) => a - b), q) / pct([...pick(memTrip)].sort((a, b) => a - b), q)
        rows.push(...latencyRows(`${n.name}: activation (spawn, load, ask)`, t.load).map((r, j) => ({ ...r, ratio: vsMem(j ? 0.99 : 0.5, (x) => x.load) })))
        rows.push(...latencyRows(`${n.name}: passivation (stop, save)`, t.save).map((r, j) => ({ ...r, ratio: vsMem(j ? 0.99 : 0.5, (x) => x.save) })))
      }
      const perActor = (t: Trips): number => median(t.load.map((l, i) => l + (t.save[i] ?? 0)))
      for (const [i, n] of named.entries()) {
        const row = onceRow(`${n.name}: round trip per actor (median)`, perActor(rt.trips[i] as Trips), 1)
        rows.push({ ...row, ratio: row.nsPerOp / perActor(memTrip) })
      }
      const remRow = (label: string, i: number, ns: (x: ReminderRun) => number): Row => {
        const total = median((rem[i] as ReminderRun[]).map(ns))
        return { ...onceRow(label, total, count), ratio: total / median((rem[0] as ReminderRun[]).map(ns)) }
      }
      for (const [i, n] of named.entries()) {
        rows.push(remRow(`${n.name}: reminder set (insert)`, i, (x) => x.insertNs))
        rows.push(remRow(`${n.name}: reminder set (replace)`, i, (x) => x.replaceNs))
        rows.push(remRow(`${n.name}: reminders fired (delivered)`, i, (x) => x.deliveredNs))
        rows.push(remRow(`${n.name}: reminders fired + removed`, i, (x) => x.doneNs))
      }

      const all = rem.flat()
      const sameFinal = (rem[0] ?? []).every((x, r) => x.final === rem[1]?.[r]?.final && x.final.length > 0)
      const checks: Check[] = [
        rt.check,
        {
          name: 'store: every reminder fired once, not early, and was removed',
          ok: all.every((x) => x.ok),
          detail: all.every((x) => x.ok)
            ? `${all.length} runs of ${count}: all delivered once, none early, none left in the store; ` +
              `the sets ended ≥ ${Math.min(...all.map((x) => x.margin))} ms before the due time`
            : all.filter((x) => !x.ok).map((x) => x.detail).join('; '),
        },
        {
          name: 'store: both stores ended with the same reminder counts per key',
          ok: sameFinal,
          detail: sameFinal ? `${remKeys} keys, ${count / remKeys} reminders each, in ${runs} run(s)` : (rem.map((x) => x[0]?.final.slice(0, 80)).join(' vs ')),
        },
      ]
      const rate = (ns: number): string => `${(1e9 / ns / 1e3).toFixed(1)} k/s`
      return {
        rows,
        checks,
        goals: [],
        notes: [
          `round trip: ${keys} keys × ${rounds} timed passes per store (one untimed pass first creates the records), the ` +
            'stores alternating per block of 50 keys; per key an ask that activates the actor (its record loaded) and ' +
            'passivate() (its record saved with compare-and-set), each timed alone. × = this store / MemoryStore, same percentile.',
          `reminders: ${count} reminders over ${remKeys} keys per run, ${runs} run(s) per store (alternating, median ` +
            'shown): set one after another, awaited (insert: due in an hour; replace: all due at one time after the ' +
            'sets); fired = from that due time until the last was delivered to its keyed actor (activated, record ' +
            'loaded) / also removed from the store. × = this row / the same row on MemoryStore.',
          `SQLite: ${join(dir, 'bench.db')} (WAL, synchronous normal); sqlite round trip p50 ` +
            `${(pct([...sqlTrip.load].sort((a, b) => a - b), 0.5) / 1e3).toFixed(1)} µs load + ` +
            `${(pct([...sqlTrip.save].sort((a, b) => a - b), 0.5) / 1e3).toFixed(1)} µs save; reminders fired ` +
            `${rate(median((rem[1] ?? []).map((x) => x.doneNs)) / count)} on SQLite.`,
        ],
      }
    } finally {
      for (const n of named) await n.store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
