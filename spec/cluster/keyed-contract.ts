/**
 * The cluster keyed actor contract, run against every bus (InProcessBus: one node; NatsBus: two nodes of one
 * cluster). `keyedContract(name, setup)`: `setup()` gives a `Cluster` whose `open(i, options)` opens the keyed set on
 * node `i` (`nodes` of them), all sharing one store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ActorSystem } from '../../lib/actor/index.js'
import { ClusterError, RemoteActorError } from '../../lib/cluster/index.js'
import { InvalidArgumentError, OutOfRangeError, TimeoutError } from '../../lib/machine/index.js'
import { eventually } from './contract.js'
import { aborted, type FlakyStore, type Ledger, type LedgerData, type LedgerOptions } from './fixtures/ledger.js'

export { ledgerOptions, type Ledger, type LedgerOptions } from './fixtures/ledger.js'

export interface Cluster {
  /** How many nodes `open` can use. */
  nodes: number
  /** The store every node uses (its writes can be made to fail). */
  store: FlakyStore
  open(node: number, options?: LedgerOptions, name?: string): Promise<Ledger>
  cleanup(): Promise<void>
}

export function keyedContract(name: string, setup: () => Promise<Cluster>): void {
  describe(`cluster keyed actors: ${name}`, () => {
    let c: Cluster
    beforeEach(async () => { c = await setup() })
    afterEach(async () => { await c.cleanup() })
    const last = (): number => c.nodes - 1

    it('ask and tell reach the key from every node; one activation; each message saved before it is acknowledged', async () => {
      const first = await c.open(0)
      const other = c.nodes > 1 ? await c.open(last()) : first
      expect(await first.ref('acc-1').ask('Append', { item: 'a' })).toEqual(['a'])
      expect(await other.ref('acc-1').ask('Append', { item: 'b' })).toEqual(['a', 'b'])
      other.ref('acc-1').tell('Append', { item: 'c' })
      first.ref('acc-1').tellOnly().tell('Append', { item: 'd' })
      await eventually(async () => (await other.ref('acc-1').ask('Get')).items.length === 4)
      expect(first.activations + (other === first ? 0 : other.activations)).toBe(1)
      expect(first.keys).toEqual(['acc-1'])
      // checkpoint 'message': the store already has every acknowledged item
      const saved = await c.store.get(first.local.storeKey('acc-1'))
      expect((saved?.value as { data: LedgerData }).data.items.sort()).toEqual(['a', 'b', 'c', 'd'])
    })

    it("one sender's messages to a key arrive in order, its first ones (placing the key) included", async () => {
      const k = await c.open(last())
      const owner = c.nodes > 1 ? await c.open(0) : k
      const items = Array.from({ length: 20 }, (_, i) => `m${i}`)
      for (const item of items.slice(0, 10)) k.ref('ordered').tell('Append', { item })
      const asked = items.slice(10).map((item) => k.ref('ordered').ask('Append', { item }))
      await Promise.all(asked)
      await eventually(async () => (await k.ref('ordered').ask('Get')).items.length === items.length)
      expect((await k.ref('ordered').ask('Get')).items).toEqual(items)
      // to a key placed on another node, first contact included
      await owner.ref('elsewhere').ask('Append', { item: 'placed' })
      const more = items.map((item) => k.ref('elsewhere').ask('Append', { item }))
      await Promise.all(more)
      expect((await k.ref('elsewhere').ask('Get')).items).toEqual(['placed', ...items])
    })

    it("a handler's error rejects the ask with a RemoteActorError; the key keeps working", async () => {
      const k = await c.open(last())
      const err = await k.ref('x').ask('Fail').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RemoteActorError)
      expect(err).toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteName: 'LedgerError', remoteCode: 'E_LOCKED', message: 'the ledger is locked' })
      expect(await k.ref('x').ask('Append', { item: 'ok' })).toEqual(['ok'])
    })

    it("an ask's timeout and signal cancel its message: the handler's signal aborts", async () => {
      const owner = await c.open(0)
      const caller = c.nodes > 1 ? await c.open(last()) : owner
      await owner.ref('slow').ask('Append', { item: 'placed' }) // the key is placed on `owner`
      const before = aborted.length
      await expect(caller.ref('slow').ask('Slow', undefined, { timeout: 300 })).rejects.toBeInstanceOf(TimeoutError)
      const ctl = new AbortController()
      const asked = caller.ref('slow').ask('Slow', undefined, { signal: ctl.signal })
      setTimeout(() => ctl.abort(new Error('user gave up')), 200)
      await expect(asked).rejects.toThrow('user gave up')
      await eventually(() => aborted.length >= before + 2)
      expect(await caller.ref('slow').ask('Get')).toEqual({ key: 'slow', items: ['placed'] })
    })

    it('an idle key is passivated (saved), its lease released, and re-activated with its state', async () => {
      const k = await c.open(0, { idleTimeout: 200 })
      await k.ref('idle').ask('Append', { item: '1' })
      await eventually(() => k.keys.length === 0 && k.leases.released === 1)
      expect(k.local.passivations).toBe(1)
      expect(await k.ref('idle').ask('Append', { item: '2' })).toEqual(['1', '2'])
      expect(k.activations).toBe(2)
    })

    it('a key whose stored record cannot be read fails its messages: no fresh activation over stored data', async () => {
      const k = await c.open(last())
      await c.store.put(k.local.storeKey('broken'), { something: 'else' })
      const err = await k.ref('broken').ask('Append', { item: 'x' }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteCode: 'ERR_ACTIVATION_FAILED' })
      expect((err as Error).message).toMatch(/activation of 'broken'/)
      expect((await c.store.get(k.local.storeKey('broken')))?.value).toEqual({ something: 'else' })
      expect(k.activations).toBe(0)
    })

    it('a message whose save fails is not acknowledged, and the key reloads what the store has', async () => {
      const k = await c.open(0)
      const other = c.nodes > 1 ? await c.open(last()) : k
      expect(await k.ref('flaky').ask('Append', { item: 'saved' })).toEqual(['saved'])
      c.store.failing = true
      const err = await other.ref('flaky').ask('Append', { item: 'unsaved' }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'ERR_CLUSTER_REMOTE', remoteCode: 'ERR_STATE_SAVE' })
      c.store.failing = false
      expect(await other.ref('flaky').ask('Append', { item: 'next' })).toEqual(['saved', 'next'])
      expect(k.activations).toBe(2)
    })

    it('messages beyond maxBuffered are refused with ERR_CLUSTER_OVERFLOW; the others are delivered', async () => {
      const k = await c.open(0, { maxBuffered: 3 })
      const slow = [1, 2, 3].map(() => k.ref('busy').ask('Slow', undefined, { timeout: 1500 }).catch((e: unknown) => e))
      expect(k.buffered).toBe(3)
      await expect(k.ref('busy').ask('Get')).rejects.toMatchObject({ code: 'ERR_CLUSTER_OVERFLOW' })
      expect(() => k.ref('busy').tell('Append', { item: 'x' })).toThrow(ClusterError)
      expect((await Promise.all(slow)).every((x) => x instanceof TimeoutError)).toBe(true)
      await eventually(() => k.buffered === 0)
      expect(await k.ref('busy').ask('Append', { item: 'after' })).toEqual(['after'])
    })

    it("a tell is bounded too: its handler's signal aborts at the set's timeout and nothing stays buffered", async () => {
      const k = await c.open(0, { timeout: 400 })
      const before = aborted.length
      k.ref('told').tell('Slow')
      expect(k.buffered).toBe(1)
      await eventually(() => k.buffered === 0 && aborted.length > before)
      expect(aborted.at(-1)).toBeInstanceOf(TimeoutError)
    })

    it('durable reminders are off (they would fire on every node, bypassing the leases)', async () => {
      const k = await c.open(0)
      await expect(k.local.reminders.set('r', 'Append', { at: Date.now() + 60_000 })).rejects.toMatchObject({ name: 'RemindersStoppedError' })
    })

    it('checks its arguments', async () => {
      const k = await c.open(0)
      await expect(c.open(0)).rejects.toMatchObject({ code: 'ERR_CLUSTER_EXPOSED' })
      expect(() => k.ref('')).toThrow(InvalidArgumentError)
      await expect(c.open(0, { leaseTtl: 5 }, 'other')).rejects.toBeInstanceOf(OutOfRangeError)
      await expect(c.open(0, { checkpoint: 'never' as 'message' }, 'other')).rejects.toBeInstanceOf(InvalidArgumentError)
      await expect(c.open(0, { system: {} as ActorSystem }, 'other')).rejects.toBeInstanceOf(InvalidArgumentError)
      await expect(c.open(0, { maxBuffered: 0 }, 'other')).rejects.toBeInstanceOf(OutOfRangeError)
      await expect(c.open(0, {}, '')).rejects.toBeInstanceOf(InvalidArgumentError)
      await expect(c.open(0, {}, 'n'.repeat(129))).rejects.toBeInstanceOf(OutOfRangeError)
      expect(k.leaseTtl).toBe(3000)
    })

    it('close() passivates and saves the keys here and releases them; later messages fail with ERR_CLUSTER_CLOSED', async () => {
      const k = await c.open(0)
      await k.ref('closing').ask('Append', { item: 'kept' })
      const events: string[] = []
      k.machine.bind({ LeaseReleasedState: (e: { args: { key?: unknown } }) => void events.push(`released ${String(e.args.key)}`) })
      expect(k.machine.is('Ready')).toBe(true)
      await k.close()
      expect(k.machine.is('Closed')).toBe(true)
      expect(events).toEqual(['released closing'])
      expect(k.keys).toEqual([])
      expect(k.leases).toMatchObject({ taken: 1, released: 1 })
      await expect(k.ref('closing').ask('Get')).rejects.toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
      expect(() => k.ref('closing').tell('Get')).toThrow(ClusterError)
      const again = await c.open(c.nodes > 1 ? 1 : 0, {}, 'ledger')
      expect(await again.ref('closing').ask('Get')).toEqual({ key: 'closing', items: ['kept'] })
    })
  })
}
