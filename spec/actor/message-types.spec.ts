/**
 * Message names are typed from the schema: only `multi` states outside the actor lifecycle can be told or asked, in
 * every kind of ref (spawned, supervised, singleton, pool, keyed); other states stay reachable through `ref.machine`.
 * Each compile-time refusal is also checked at run time (UnknownMessageError), so types and behaviour agree.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { schema, type StateDef } from '../../lib/machine/index.js'
import {
  ActorSystem, Keyed, Pool, singleton, Supervisor, UnknownMessageError, type ActorEventOf, type MessageNames,
} from '../../lib/actor/index.js'

const shop = schema({
  Order: { multi: true },
  Refund: { multi: true },
  Open: {}, // a status, not a message
  Closed: { multi: false, remove: ['Open'] },
})
const handlers = { OrderState: (): number => 1, RefundState: (): string => 'ok' }

let system: ActorSystem | undefined
afterEach(async () => {
  await system?.shutdown({ timeout: 100 })
  system = undefined
})

describe('message types', () => {
  it('MessageNames: the multi states outside the lifecycle', () => {
    expectTypeOf<MessageNames<typeof shop>>().toEqualTypeOf<'Order' | 'Refund'>()
    // a later part's definition replaces an earlier one, multi flag included
    const reopened = schema(shop, { Order: {}, Open: { multi: true } })
    expectTypeOf<MessageNames<typeof reopened>>().toEqualTypeOf<'Refund' | 'Open'>()
    expect(reopened.states.Open.multi).toBe(true)
    // definitions typed StateDef cannot tell: every state may be a message (checked at run time)
    const defs: Record<string, StateDef<string>> = { A: { multi: true } }
    const dynamic = schema(defs)
    expectTypeOf<MessageNames<typeof dynamic>>().toEqualTypeOf<string>()
    expect(dynamic.names).toEqual(['A', 'Exception'])
  })

  it('spawn: non-multi states are compile errors and UnknownMessageError at run time', async () => {
    const sys = (system = new ActorSystem())
    const ref = sys.spawn(shop, handlers, { id: 'shop' })
    expect(await ref.ask('Order')).toBe(1)
    expectTypeOf(ref.ask('Refund')).resolves.toEqualTypeOf<string>()
    // @ts-expect-error Open is not multi: not a message
    expect(() => ref.tell('Open')).toThrow(UnknownMessageError)
    // @ts-expect-error Ready is the lifecycle's
    expect(() => ref.tell('Ready')).toThrow(UnknownMessageError)
    // the machine still knows every state
    ref.machine.add('Open')
    expect(ref.machine.is('Open')).toBe(true)
  })

  it('ActorEventOf: the machine takes every state, self and timers only messages', async () => {
    const sys = (system = new ActorSystem())
    const seen: string[] = []
    class Shop {
      OrderState(e: ActorEventOf<typeof shop>): void {
        e.machine.add('Open') // a status state: fine on the machine
        // @ts-expect-error Open is not a message
        expect(() => e.self.tell('Open')).toThrow(UnknownMessageError)
        // @ts-expect-error Closed is not a message
        expect(() => e.timers.once('t', 'Closed', 1)).toThrow(UnknownMessageError)
        e.timers.once('refund', 'Refund', 1)
      }

      RefundState(e: ActorEventOf<typeof shop>): void {
        seen.push(`refund while ${e.machine.is('Open') ? 'open' : 'closed'}`)
      }
    }
    const ref = sys.spawn(shop, new Shop(), { id: 'shop-2' })
    await ref.ask('Order')
    await ref.machine.when('Refund', { timeout: 1000 })
    expect(seen).toEqual(['refund while open'])
    expect(ref.stats.failed).toBe(0)
  })

  it('supervised, singleton, pool and keyed refs refuse non-messages alike', async () => {
    const sys = (system = new ActorSystem())
    const sup = new Supervisor(sys, { id: 'sup' })
    const supervised = sup.supervise({ id: 'a', schema: shop, handlers: () => handlers })
    const single = singleton(sys, { id: 'single', child: { id: 'b', schema: shop, handlers: () => handlers } }).ref
    const pool = new Pool(sys, { id: 'pool', size: 2, schema: shop, handlers: () => handlers })
    const keyed = new Keyed(sys, { id: 'keyed', schema: shop, handlers: () => handlers })
    const user = keyed.ref('u1')

    expect(await supervised.ask('Order')).toBe(1)
    expect(await single.ask('Order')).toBe(1)
    expect(await pool.ask('Order')).toBe(1)
    expect(await user.ask('Refund')).toBe('ok')
    // @ts-expect-error not a message
    expect(() => supervised.tell('Closed')).toThrow(UnknownMessageError)
    // @ts-expect-error not a message
    expect(() => single.tell('Open')).toThrow(UnknownMessageError)
    // @ts-expect-error not a message
    expect(() => pool.tell('Open')).toThrow(UnknownMessageError)
    // @ts-expect-error not a message
    expect(() => user.tell('Closed')).toThrow(UnknownMessageError)
    // status states stay reachable on the machines
    expect(single.machine.is('Open')).toBe(false)
    expect(pool.refs[0]?.machine.is('Closed')).toBe(false)
  })
})
