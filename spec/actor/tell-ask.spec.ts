/**
 * Actors: messages are multi states; tell is asynchronous; one message at a time including the async part; asks
 * resolve with the State handler's return value or fail with a typed error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TimeoutError, schema } from '../../lib/machine/index.js'
import { internals } from '../../lib/machine/internals.js'
import {
  ActorSystem, ActorTerminatedError, DuplicateActorError, MessageRejectedError, UnknownMessageError,
  type ActorEvent,
} from '../../lib/actor/index.js'

const bank = schema({
  Deposit: { multi: true },
  Withdraw: { multi: true },
  Balance: { multi: true },
  Slow: { multi: true },
  Frozen: {},
})

class Account {
  balance = 0
  log: string[] = []
  active = 0
  maxActive = 0

  DepositState(e: ActorEvent): number {
    this.balance += e.args.amount as number
    return this.balance
  }

  WithdrawEnter(e: ActorEvent): boolean {
    return !e.machine.is('Frozen') && (e.args.amount as number) <= this.balance
  }

  WithdrawState(e: ActorEvent): number {
    this.balance -= e.args.amount as number
    return this.balance
  }

  BalanceState(): number {
    return this.balance
  }

  async SlowState(e: ActorEvent): Promise<string> {
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    this.log.push(`start ${String(e.args.n)}`)
    await new Promise((r) => setTimeout(r, 5))
    this.log.push(`end ${String(e.args.n)}`)
    this.active--
    return `done ${String(e.args.n)}`
  }
}

let system: ActorSystem
afterEach(async () => {
  await system.shutdown()
})

describe('tell and ask', () => {
  it('ask resolves with the return value of the message’s State handler', async () => {
    system = new ActorSystem()
    const acc = system.spawn(bank, new Account(), { id: 'acc' })
    expect(await acc.ask('Deposit', { amount: 10 })).toBe(10)
    expect(await acc.ask('Deposit', { amount: 5 })).toBe(15)
    const balance: number = await acc.ask('Balance')
    expect(balance).toBe(15)
    expect(acc.machine.tick('Deposit')).toBe(3)
  })

  it('actors of one handlers class share its wrappers but each calls its own instance', async () => {
    system = new ActorSystem()
    const [a, b] = [new Account(), new Account()]
    const ra = system.spawn(bank, a, { id: 'a' })
    const rb = system.spawn(bank, b, { id: 'b' })
    await Promise.all([ra.ask('Deposit', { amount: 5 }), rb.ask('Deposit', { amount: 7 }), ra.ask('Deposit', { amount: 1 })])
    expect([a.balance, b.balance]).toEqual([6, 7])
    expect(await rb.ask('Withdraw', { amount: 7 })).toBe(0)
    // the bound objects differ, their handler functions are the same
    const bound = (r: typeof ra) => internals(r.machine).bindings[0]
    expect(bound(ra)?.obj).not.toBe(bound(rb)?.obj)
    expect(bound(ra)?.state).toBe(bound(rb)?.state)
  })

  it('tell never runs the handler on the caller’s stack; messages keep their order', async () => {
    system = new ActorSystem()
    const h = new Account()
    const acc = system.spawn(bank, h, { id: 'acc' })
    await acc.machine.when('Ready')
    acc.tell('Deposit', { amount: 1 })
    acc.tell('Deposit', { amount: 2 })
    expect(h.balance).toBe(0)
    expect(await acc.ask('Balance')).toBe(3)
    expect(acc.stats).toMatchObject({ received: 3, processed: 3, dropped: 0, queued: 0 })
  })

  it('one message at a time, including the async part of its handler', async () => {
    system = new ActorSystem()
    const h = new Account()
    const acc = system.spawn(bank, h, { id: 'acc' })
    const replies = await Promise.all([1, 2, 3].map((n) => acc.ask('Slow', { n })))
    expect(replies).toEqual(['done 1', 'done 2', 'done 3'])
    expect(h.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'])
    expect(h.maxActive).toBe(1)
  })

  it('concurrency: n handles up to n messages at once', async () => {
    system = new ActorSystem()
    const h = new Account()
    const acc = system.spawn(bank, h, { id: 'acc', concurrency: 2 })
    await Promise.all([1, 2, 3, 4].map((n) => acc.ask('Slow', { n })))
    expect(h.maxActive).toBe(2)
  })

  it('a message refused by negotiation fails the ask with MessageRejectedError', async () => {
    system = new ActorSystem()
    const acc = system.spawn(bank, new Account(), { id: 'acc' })
    await expect(acc.ask('Withdraw', { amount: 1 })).rejects.toBeInstanceOf(MessageRejectedError)
    expect(acc.machine.is('Exception')).toBe(false)
  })

  it('a throwing handler fails the ask with its error and puts the actor in Exception', async () => {
    system = new ActorSystem()
    const acc = system.spawn(
      bank,
      {
        DepositState(): number {
          throw new Error('ledger unavailable')
        },
      },
      { id: 'acc' },
    )
    await expect(acc.ask('Deposit', { amount: 1 })).rejects.toThrow('ledger unavailable')
    expect(acc.machine.is('Exception')).toBe(true)
    expect(acc.stats).toMatchObject({ processed: 1, failed: 1 })
  })

  it('a rejecting async handler fails the ask with its error', async () => {
    system = new ActorSystem()
    const acc = system.spawn(
      bank,
      {
        async SlowState(): Promise<void> {
          await Promise.resolve()
          throw new Error('async failure')
        },
      },
      { id: 'acc' },
    )
    await expect(acc.ask('Slow')).rejects.toThrow('async failure')
  })

  it('ask times out with TimeoutError and fails with the abort reason', async () => {
    system = new ActorSystem()
    const acc = system.spawn(bank, new Account(), { id: 'acc' })
    await expect(acc.ask('Slow', { n: 1 }, { timeout: 1 })).rejects.toBeInstanceOf(TimeoutError)
    const ctl = new AbortController()
    const asked = acc.ask('Slow', { n: 2 }, { signal: ctl.signal })
    ctl.abort(new Error('caller gave up'))
    await expect(asked).rejects.toThrow('caller gave up')
    await expect(acc.ask('Slow', {}, { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already')
    expect(() => acc.ask('Slow', {}, { timeout: -1 })).toThrow(RangeError)
  })

  it('unknown or non-multi message names throw UnknownMessageError (and are compile errors)', () => {
    system = new ActorSystem()
    const acc = system.spawn(bank, new Account(), { id: 'acc' })
    // @ts-expect-error 'Depositt' is not a message of this actor
    expect(() => acc.tell('Depositt')).toThrow(UnknownMessageError)
    // @ts-expect-error 'Frozen' is not a multi state, so not a message
    expect(() => acc.tell('Frozen')).toThrow(/not a message/)
    expect(() => (acc.tell as (m: string) => void)('Ready')).toThrow(UnknownMessageError)
  })

  it('ids are unique; asking a stopped actor fails with ActorTerminatedError', async () => {
    system = new ActorSystem()
    const acc = system.spawn(bank, new Account(), { id: 'acc' })
    expect(() => system.spawn(bank, new Account(), { id: 'acc' })).toThrow(DuplicateActorError)
    await system.stop(acc)
    expect(acc.stopped).toBe(true)
    await expect(acc.ask('Balance')).rejects.toBeInstanceOf(ActorTerminatedError)
    // the id is free again
    const again = system.spawn(bank, new Account(), { id: 'acc' })
    expect(await again.ask('Balance')).toBe(0)
  })

  it('handlers get timers and self on the event; tellOnly refs only tell', async () => {
    system = new ActorSystem()
    let self: unknown
    const acc = system.spawn(
      bank,
      {
        DepositState(e: ActorEvent): void {
          self = e.self
        },
      },
      { id: 'acc' },
    )
    await acc.ask('Deposit')
    expect(self).toBe(acc)
    const only = acc.tellOnly()
    expect(Object.keys(only).sort()).toEqual(['id', 'tell'])
    expect(only.id).toBe('acc')
    only.tell('Deposit')
    await acc.ask('Balance')
    expect(acc.machine.tick('Deposit')).toBe(3)
  })
})
