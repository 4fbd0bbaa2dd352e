/**
 * Subscription billing with persistent keyed actors and durable reminders: one actor per customer keeps its plan,
 * balance and invoices in a SQLite file; a monthly `Bill` reminder charges it, and an overdrawn customer gets a
 * one-off `Remind`. Halfway, the "service" shuts down and starts again on the same file: balances and reminders
 * carry on. A month lasts 100 ms here.
 *
 * Run: npx tsx examples/billing/main.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { schema } from '../../lib/index.js'
import { ActorSystem, PersistentKeyed, type ActorEvent } from '../../lib/actor/index.js'
import { SqliteStore } from '../../lib/store/index.js'

const MONTH = 100
const customerSchema = schema({
  Subscribe: { multi: true },
  TopUp: { multi: true },
  Bill: { multi: true },
  Remind: { multi: true },
  Account: { multi: true },
})

interface Customer { plan: string; price: number; balance: number; invoices: number; reminders: number }

/** One run of the service on the SQLite file at `path`. */
async function service(path: string) {
  const store = await SqliteStore.open(path)
  const system = new ActorSystem()
  const customers = new PersistentKeyed(system, {
    id: 'customers',
    schema: customerSchema,
    store,
    idleTimeout: 3 * MONTH, // quiet customers are passivated (saved) between bills
    state: { version: 1, initial: (): Customer => ({ plan: 'none', price: 0, balance: 0, invoices: 0, reminders: 0 }) },
    handlers: ({ state, reminders }) => ({
      SubscribeState: async (e: ActorEvent) => {
        state.data.plan = e.args.plan as string
        state.data.price = e.args.price as number
        await state.save() // a checkpoint, before the first bill is scheduled
        await reminders.set('Bill', { every: MONTH })
      },
      TopUpState: (e: ActorEvent) => (state.data.balance += e.args.amount as number),
      BillState: async () => {
        const c = state.data
        c.balance -= c.price
        c.invoices++
        if (c.balance < 0) await reminders.set('overdrawn', { at: Date.now() + MONTH / 2, msg: 'Remind' })
      },
      RemindState: () => void state.data.reminders++,
      AccountState: (): Customer => ({ ...state.data }),
    }),
  })
  await customers.reminders.machine.when('Ready')
  return {
    customers,
    async stop() {
      await system.shutdown() // passivates every customer: their data is saved
      await store.close()
    },
  }
}

const dir = mkdtempSync(join(tmpdir(), 'polymachine-billing-'))
const file = join(dir, 'billing.db')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const money = (n: number) => `${n < 0 ? '-' : ''}$${Math.abs(n).toFixed(2)}`

try {
  const first = await service(file)
  await first.customers.ref('alice').ask('TopUp', { amount: 100 })
  await first.customers.ref('alice').ask('Subscribe', { plan: 'pro', price: 20 })
  await first.customers.ref('bob').ask('Subscribe', { plan: 'basic', price: 5 })
  await sleep(2.5 * MONTH)
  const before = await first.customers.ref('alice').ask('Account')
  console.log(`first run:  alice ${before.invoices} invoices, balance ${money(before.balance)}`)
  await first.stop()

  const second = await service(file)
  const pending = await second.customers.reminders.list()
  console.log(`restarted:  ${pending.length} reminders loaded (${pending.map((r) => `${r.key}/${r.name}`).join(', ')})`)
  await sleep(3 * MONTH)
  for (const key of ['alice', 'bob']) {
    const c = await second.customers.ref(key).ask('Account')
    console.log(`${key.padEnd(6)} plan ${c.plan}, ${c.invoices} invoices, balance ${money(c.balance)}, ${c.reminders} payment reminders`)
  }
  console.log(`reminders fired after the restart: ${second.customers.reminders.fired}`)
  await second.stop()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
