/**
 * polymachine actors: a tiny bank.
 *
 * - accounts are actors: each message (Deposit, Withdraw, Balance, …) is a `multi` state, each reply is what its
 *   `…State` handler returns, and an overdraft is refused by a negotiation handler (`WithdrawEnter`);
 * - a service key, the receptionist and a round-robin router spread deposits over the accounts;
 * - an actor timer pays monthly interest;
 * - an SMS notifier with a deliberately tiny RED mailbox sheds a burst into dead letters;
 * - stop, watch and shutdown end everything in order.
 *
 * Run: npx tsx examples/actors-bank/main.ts
 */
import { schema } from '../../lib/machine/index.js'
import {
  ActorSystem, MessageRejectedError, seededRandom, serviceKey, type ActorEvent, type ActorStates,
  type DeadLetterReason,
} from '../../lib/actor/index.js'

const account = schema({
  Deposit: { multi: true },
  Withdraw: { multi: true },
  Balance: { multi: true },
  OpenYear: { multi: true },
  Interest: { multi: true },
  // not multi, so not a message: a status the bank can wait for
  YearClosed: {},
})
type AccountEvent = ActorEvent<ActorStates<typeof account>>

const MONTH_MS = 20 // a short month, so the example ends quickly
const cents = (n: number): string => `$${(n / 100).toFixed(2)}`
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

class Account {
  balance = 0 // integer cents: interest rounding stays exact
  private months = 0

  DepositState(e: AccountEvent): number {
    this.balance += e.args.amount as number
    return this.balance // the reply of ask('Deposit')
  }

  /** Negotiation: `false` cancels the message, so the asker gets MessageRejectedError. */
  WithdrawEnter(e: AccountEvent): boolean {
    return (e.args.amount as number) <= this.balance
  }

  WithdrawState(e: AccountEvent): number {
    this.balance -= e.args.amount as number
    return this.balance
  }

  BalanceState(): number {
    return this.balance
  }

  /** Interest starts once the account is funded: a timer sends us `Interest` every month. */
  OpenYearState(e: AccountEvent): void {
    e.timers.every('interest', 'Interest', MONTH_MS, { rate: e.args.rate, months: e.args.months })
  }

  InterestState(e: AccountEvent): void {
    this.balance += Math.round(this.balance * (e.args.rate as number))
    if (++this.months < (e.args.months as number)) return
    e.timers.cancel('interest')
    e.machine.add('YearClosed')
  }

  /** Lifecycle states have handlers too: this one shows the shutdown order. */
  StoppingState(e: AccountEvent): void {
    console.log(`  stopping ${e.machine.id}`)
  }
}

const notifier = schema({ Sms: { multi: true }, Flush: { multi: true } })

class Notifier {
  sent = 0

  /** Async: the actor handles one SMS at a time, including the wait; the rest queue in the mailbox. */
  async SmsState(): Promise<void> {
    await sleep(2)
    this.sent++
  }

  FlushState(): number {
    return this.sent
  }

  StoppingState(): void {
    console.log(`  stopping sms (${this.sent} sent)`)
  }
}

// typed key: refs found through it know the messages and the reply types of Account
const Accounts = serviceKey<typeof account, Account>('accounts')

async function main(): Promise<void> {
  const system = new ActorSystem({ id: 'bank' })
  const dead = new Map<DeadLetterReason, number>()
  system.deadLetters$.subscribe((d) => dead.set(d.reason, (dead.get(d.reason) ?? 0) + 1))

  const open = (id: string) => system.spawn(account, new Account(), { id, key: Accounts })
  const alice = open('alice')
  const bob = open('bob')
  const carol = open('carol')
  // spawned last, so shutdown stops it first. Notifications are nice-to-have: shed them early (RED) under load,
  // but never shed a Flush (protected).
  const sms = system.spawn(notifier, new Notifier(), {
    id: 'sms',
    mailbox: { capacity: 5, overflow: 'red', random: seededRandom(42), protected: ['Flush'] },
  })

  // the receptionist streams the current set, then every change (stopped actors leave by themselves)
  system.receptionist.subscribe(Accounts).subscribe((refs) => {
    console.log(`[receptionist] accounts: ${refs.map((r) => r.id).join(', ') || '(none)'}`)
  })
  const balances = async (): Promise<string> => {
    const refs = system.receptionist.find(Accounts)
    const values = await Promise.all(refs.map((r) => r.ask('Balance')))
    return refs.map((r, i) => `${r.id} ${cents(values[i] ?? 0)}`).join(', ')
  }

  console.log('\n1. deposits through a round-robin router')
  const tellers = system.router(Accounts, 'round-robin')
  await Promise.all([100_00, 250_00, 75_00, 40_00, 60_00, 10_00].map((amount) => tellers.ask('Deposit', { amount })))
  console.log(`   ${await balances()}`)

  console.log('\n2. an overdraft is refused by WithdrawEnter')
  try {
    await bob.ask('Withdraw', { amount: 1_000_00 })
  } catch (err) {
    if (!(err instanceof MessageRejectedError)) throw err
    console.log(`   ${err.name}: ${err.message}`)
  }
  console.log(`   bob withdraws $50.00 instead, balance ${cents(await bob.ask('Withdraw', { amount: 50_00 }))}`)

  console.log('\n3. three months of 1% interest, paid by timers')
  for (const ref of [alice, bob, carol]) ref.tell('OpenYear', { rate: 0.01, months: 3 })
  await Promise.all([alice, bob, carol].map((ref) => ref.machine.when('YearClosed', { timeout: 2000 })))
  console.log(`   ${await balances()}`)

  console.log('\n4. a burst of 30 SMS into a mailbox of 5 (RED)')
  for (let i = 0; i < 30; i++) sms.tell('Sms', { to: `+1-555-01${String(i).padStart(2, '0')}` })
  const { received, dropped } = sms.stats
  console.log(`   accepted ${received}, dropped ${dropped}; Flush (protected) replies: ${await sms.ask('Flush')} sent`)

  console.log('\n5. carol closes her account')
  const carolEnded = system.watch(carol)
  const rest = await carol.ask('Balance')
  await carol.ask('Withdraw', { amount: rest })
  await alice.ask('Deposit', { amount: rest }) // carol's money moves to alice
  await system.stop(carol)
  console.log(`   watch: ${JSON.stringify(await carolEnded)}`)
  carol.tell('Deposit', { amount: 1_00 }) // too late: a dead letter ('stopped')
  await tellers.ask('Deposit', { amount: 5_00 }) // the router now only knows alice and bob
  console.log(`   ${await balances()}`)

  console.log('\n6. shutdown (reverse start order; queued messages are drained to dead letters)')
  const final = await balances()
  for (let i = 0; i < 3; i++) sms.tell('Sms', { to: 'late' })
  await system.shutdown({ timeout: 1000 })

  console.log('\nsummary')
  console.log(`  final balances: ${final}`)
  console.log(`  dead letters:   ${system.deadLetterCount}`, Object.fromEntries(dead))
  console.log(`  system:         ${system.machine.is('Terminated') ? 'Terminated' : 'still running?'}, ${system.size} actors left`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
