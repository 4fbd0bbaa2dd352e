/**
 * A message for a key whose lease this node is releasing (the key passivating after its idle timeout) waits for
 * the release to end, then takes the key again: it neither spins nor fails while the passivation's save is slow.
 * A tell whose save fails is reported on the set's machine.
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { ActorSystem } from '../../lib/actor/index.js'
import { InProcessBus } from '../../lib/cluster/index.js'
import { MemoryStore, type Store } from '../../lib/store/index.js'
import { eventually } from './contract.js'
import { FlakyStore } from './fixtures/ledger.js'
import { ledgerOptions, type Ledger } from './keyed-contract.js'

/** A store whose writes answer after `delay` ms. */
class SlowStore implements Store {
  constructor(private readonly inner: Store, private readonly delay: number) {}
  get: Store['get'] = (key) => this.inner.get(key)
  list: Store['list'] = (opts) => this.inner.list(opts)
  put: Store['put'] = async (key, value, opts) => {
    await new Promise((r) => setTimeout(r, this.delay))
    return await this.inner.put(key, value, opts)
  }
  delete: Store['delete'] = (key, opts) => this.inner.delete(key, opts)
  close: Store['close'] = () => this.inner.close()
}

let bus: InProcessBus
let system: ActorSystem
beforeEach(() => {
  bus = new InProcessBus({ id: 'releasing' })
  system = new ActorSystem({ id: 'releasing' })
})
afterEach(async () => {
  await bus.close()
  await system.shutdown({ timeout: 2000 })
})

it('a message sent while its key is being released is delivered once the release ends', async () => {
  const store = new SlowStore(new MemoryStore(), 600)
  const k = await bus.keyed('ledger', ledgerOptions(system, store, { checkpoint: 'passivation', idleTimeout: 50, leaseTtl: 400 })) as Ledger
  expect(await k.ref('acc').ask('Append', { item: 'a' })).toEqual(['a'])
  // idle: the key passivates (a 600 ms save) before its lease is released
  await eventually(() => k.keys.length === 0, 5000)
  expect(k.leases.released).toBe(0) // still releasing
  expect(await k.ref('acc').ask('Append', { item: 'b' }, { timeout: 3000 })).toEqual(['a', 'b'])
  expect(k.leases.released).toBe(1)
})

it("a tell whose change cannot be saved is reported (ErrDelivery): nobody else hears of it", async () => {
  const store = new FlakyStore(new MemoryStore())
  const k = await bus.keyed('ledger', ledgerOptions(system, store)) as Ledger
  expect(await k.ref('acc').ask('Append', { item: 'a' })).toEqual(['a'])
  store.failing = true
  k.ref('acc').tell('Append', { item: 'lost' })
  await eventually(() => k.machine.is('ErrDelivery'), 5000)
  store.failing = false
  expect(await k.ref('acc').ask('Get')).toEqual({ key: 'acc', items: ['a'] }) // reloaded: the tell's change is gone
})
