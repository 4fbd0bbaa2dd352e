/**
 * polymachine showcase: a small order-processing service where every part is a machine.
 *
 * - a supervised **pool** of image workers with injected random failures: crashed workers restart with backoff, and
 *   the jobs queued behind a crash are handed to the next incarnation;
 * - **keyed virtual actors** (one per customer) that exist when first addressed, are passivated when idle or when
 *   too many are active, and get their clocks back when they return;
 * - a **conversation** for checkout whose first payment provider crashes: the request is routed to the next one;
 * - a tiny mailbox in front of a slow auditor, whose drops show up as **dead letters**.
 *
 * The log (narrate.ts) says, with full ids, which worker starts, fails and restarts, and what the conversation does
 * in each phase, then a summary. Run: npm start
 */
import { schema, type Snapshot } from '../../lib/index.js'
import { ActorSystem, Conversation, Keyed, Pool, seededRandom, type ActorEvent } from '../../lib/actor/index.js'
import { narrateConversation, narrateSupervisor, say, section } from './narrate.js'

const random = seededRandom(42)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const workerSchema = schema({ Resize: { multi: true } })
const customerSchema = schema({ Order: { multi: true }, Orders: { multi: true } })
const paymentSchema = schema({ Charge: { multi: true } })
const auditSchema = schema({ Audit: { multi: true } })

async function main(): Promise<void> {
  const system = new ActorSystem({ id: 'shop' })
  const dead = new Map<string, number>()
  system.deadLetters$.subscribe((d) => dead.set(d.reason, (dead.get(d.reason) ?? 0) + 1))

  section('1. setup: a supervised pool of 3 image workers (about 1 job in 12 crashes one), a virtual actor per customer')
  // A pool of 3 image workers; about 1 job in 12 crashes its worker.
  const workers = new Pool(system, {
    id: 'workers',
    size: 3,
    schema: workerSchema,
    routing: 'least-queued',
    maxRestarts: 20,
    period: 10_000,
    backoff: { min: 40, max: 320, jitter: 0.2, random },
    handlers: ({ id }) => ({
      async ResizeState(e: ActorEvent): Promise<string> {
        await sleep(5 + random() * 15)
        if (random() < 1 / 12) throw new Error(`out of memory on job ${String(e.args.job)}`)
        return `${String(e.args.job)}@${id}`
      },
    }),
  })
  narrateSupervisor(workers.id, workers.supervisor)

  // One virtual actor per customer: at most 4 active, passivated after 250 ms idle, state kept in a store.
  const store = new Map<string, Snapshot>()
  const customers = new Keyed(system, {
    id: 'customers',
    schema: customerSchema,
    maxActive: 4,
    idleTimeout: 250,
    load: (key) => store.get(key),
    save: (key, snap) => void store.set(key, snap),
    handlers: () => ({
      // the Order state's clock is the customer's order count, and it survives passivation
      OrdersState: (e: ActorEvent): number => (e.machine.tick('Order') + 1) / 2,
    }),
  })

  // A slow auditor behind a mailbox of 5 that drops the newest when full.
  const auditor = system.spawn(auditSchema, { AuditState: () => sleep(20) }, { id: 'auditor', mailbox: { capacity: 5 } })

  // The job stream: 90 jobs from 9 customers, in bursts.
  section('2. 90 jobs in bursts of 15 from 9 customers (at most 4 active at once); each is audited by a slow auditor')
  const names = ['ann', 'bob', 'cid', 'dee', 'eve', 'fay', 'gus', 'hal', 'ivy']
  let done = 0
  let failed = 0
  const jobs: Array<Promise<void>> = []
  for (let job = 1; job <= 90; job++) {
    const customer = names[Math.floor(random() * (job < 45 ? 3 : names.length))] as string
    customers.ref(customer).tell('Order', { job })
    auditor.tell('Audit', { job })
    jobs.push(
      workers.ask('Resize', { job }, { timeout: 5000 }).then(
        () => void done++,
        () => void failed++,
      ),
    )
    if (job % 15 === 0) {
      const dropped = [...dead.values()].reduce((a, b) => a + b, 0)
      say('jobs', `${job} sent, ${done} done, ${failed} failed; customers ${customers.activations} activations, ${customers.passivations} passivations; ${dropped} audits dropped`)
      await sleep(120)
    }
  }
  await Promise.all(jobs)
  say('jobs', `all replied: ${done} done, ${failed} failed with their worker's error`)

  // Checkout as a conversation: the first provider is down, the request is routed to the next one.
  section('3. checkout: a conversation with payment providers pay-a (down) and pay-b, onCrash: route-to-next')
  const flaky = system.spawn(paymentSchema, { ChargeState: (): never => {
    throw new Error('provider A: 503')
  } }, { id: 'pay-a' })
  const steady = system.spawn(paymentSchema, { ChargeState: (e: ActorEvent): string => `charged ${String(e.args.eur)} EUR via B` }, { id: 'pay-b' })
  const checkout = new Conversation(system, { id: 'checkout', participants: [flaky, steady], onCrash: 'route-to-next' })
  narrateConversation(checkout)
  checkout.send('Charge', { eur: 42 })
  const receipt = await checkout.receive({ timeout: 2000 })
  checkout.close()

  // Let idle customers passivate, then ask a returning one for her count (she is loaded back from the store).
  section('4. a returning customer, then shutdown')
  await sleep(400)
  say('customers', `${customers.passivations} passivations so far; ann comes back`)
  const annOrders = await customers.ref('ann').ask('Orders')
  say('customers', `ann is active again (loaded from the store): ${annOrders} orders`)
  await system.shutdown({ timeout: 1000 })

  console.log('\nsummary')
  console.log(`  jobs done           ${done} (${failed} lost with their crashed worker, replied with the error)`)
  console.log(`  worker restarts     ${workers.supervisor.restarts}`)
  console.log(`  customers           ${customers.activations} activations, ${customers.passivations} passivations, ann has ${annOrders} orders`)
  console.log(`  checkout            ${String(receipt)} (${checkout.log.map((e) => e.kind).join(' → ')})`)
  console.log(`  dead letters        ${[...dead].map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
