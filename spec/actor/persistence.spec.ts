/**
 * Persistent state of keyed actors: data + clocks through passivation on both stores, saves on demand, version
 * migration, and every failing load or save as an error that fails the waiting messages without overwriting data.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { schema } from '../../lib/index.js'
import { ActorSystem, type ActorEvent } from '../../lib/actor/index.js'
import { PersistentKeyed } from '../../lib/actor/persistent-keyed.js'
import { MemoryStore, SqliteStore, type Store, type StoreValue } from '../../lib/store/index.js'

const ss = schema({
  Open: {},
  Deposit: { multi: true },
  Balance: { multi: true },
  Checkpoint: { multi: true },
  Crash: { multi: true },
})
type Account = { balance: number; history: number[] }

const dir = mkdtempSync(join(tmpdir(), 'pm-persist-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const systems: ActorSystem[] = []
const stores: Store[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown({ timeout: 200 })
  for (const s of stores.splice(0)) await s.close()
})

function accounts(store: Store, extra: { version?: number; migrate?: (old: StoreValue, from: number) => Account } = {}) {
  const system = new ActorSystem()
  systems.push(system)
  const keyed = new PersistentKeyed(system, {
    id: 'accounts',
    schema: ss,
    store,
    state: { initial: (): Account => ({ balance: 0, history: [] }), ...extra },
    handlers: ({ state }) => ({
      DepositState: (e: ActorEvent) => {
        const amount = e.args.amount as number
        state.data.balance += amount
        state.data.history.push(amount)
        e.machine.add('Open')
        return state.data.balance
      },
      BalanceState: () => state.data.balance,
      CheckpointState: async () => {
        await state.save()
        return 'saved'
      },
      CrashState: () => {
        state.data.balance = -1
        throw new Error('crash')
      },
    }),
  })
  return { system, keyed }
}

const makers: Array<[string, () => Promise<Store>]> = [
  ['MemoryStore', () => Promise.resolve(new MemoryStore())],
  ['SqliteStore', () => SqliteStore.open(join(dir, `rt-${Math.random().toString(36).slice(2)}.db`))],
]

describe.each(makers)('PersistentKeyed on %s', (_name, make) => {
  it('data and clocks round-trip through passivation', async () => {
    const store = await make()
    stores.push(store)
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    expect(await ann.ask('Deposit', { amount: 5 })).toBe(5)
    expect(await ann.ask('Deposit', { amount: 7 })).toBe(12)
    expect(await store.get(keyed.storeKey('ann'))).toBeUndefined() // nothing written before passivation
    expect(await keyed.passivate('ann')).toBe(true)
    const rec = (await store.get(keyed.storeKey('ann')))?.value as { format: number; version: number; data: Account; snapshot: { names: string[]; time: number[] } }
    expect(rec).toMatchObject({ format: 1, version: 1, data: { balance: 12, history: [5, 7] } })
    expect(rec.snapshot.time[rec.snapshot.names.indexOf('Open')]).toBe(1)
    expect(keyed.activeKeys).toEqual([])
    expect(await ann.ask('Balance')).toBe(12) // activated again from the store
    expect(keyed.activations).toBe(2)
    expect(keyed.supervisor.child('accounts/ann')?.machine.is('Open')).toBe(true)
    expect(await ann.ask('Deposit', { amount: 1 })).toBe(13)
    await keyed.passivate('ann')
    expect(((await store.get(keyed.storeKey('ann')))?.value as { data: Account }).data).toEqual({ balance: 13, history: [5, 7, 1] })
  })

  it('shutdown saves every active actor', async () => {
    const store = await make()
    stores.push(store)
    const { system, keyed } = accounts(store)
    await Promise.all(['a', 'b', 'c'].map((k, i) => keyed.ref(k).ask('Deposit', { amount: i + 1 })))
    await system.shutdown({ timeout: 1000 })
    const rows = await store.list({ prefix: 'accounts/state/' })
    expect(rows.map((r) => (r.value as { data: Account }).data.balance)).toEqual([1, 2, 3])
  })
})

describe('PersistentKeyed under churn', () => {
  it('deposits racing with LRU evictions, passivations and checkpoints: every one ends up in the store', async () => {
    const store = new MemoryStore()
    const system = new ActorSystem()
    systems.push(system)
    const keyed = new PersistentKeyed(system, {
      id: 'accounts', schema: ss, store, maxActive: 4,
      state: { initial: (): Account => ({ balance: 0, history: [] }) },
      handlers: ({ state }) => ({
        DepositState: (e: ActorEvent) => (state.data.balance += e.args.amount as number),
        CheckpointState: () => state.save(),
      }),
    })
    let seed = 7
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n)
    const expected = new Map<string, number>()
    const pending: Array<Promise<unknown>> = []
    for (let i = 0; i < 1500; i++) {
      const key = `k${rnd(12)}`
      const r = rnd(10)
      if (r < 7) {
        const amount = 1 + rnd(9)
        expected.set(key, (expected.get(key) ?? 0) + amount)
        pending.push(keyed.ref(key).ask('Deposit', { amount }))
      } else if (r < 9) pending.push(keyed.passivate(key))
      else pending.push(keyed.ref(key).ask('Checkpoint'))
      if (i % 50 === 0) await Promise.all(pending.splice(0))
    }
    await Promise.all(pending)
    expect(keyed.supervisor.machine.is('Exception')).toBe(false)
    await system.shutdown()
    const stored = new Map((await store.list({ prefix: 'accounts/state/' })).map((e) => [e.key.slice('accounts/state/'.length), (e.value as { data: Account }).data.balance]))
    expect(stored).toEqual(expected)
    expect(keyed.activations).toBeGreaterThan(12) // evictions and passivations really happened
  })
})

describe('PersistentKeyed: saves on demand, restarts, migration', () => {
  it('state.save() and keyed.save(key) checkpoint; a crash restarts from the last save', async () => {
    const store = new MemoryStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 5 })
    expect(await ann.ask('Checkpoint')).toBe('saved')
    const first = await store.get(keyed.storeKey('ann'))
    expect((first?.value as { data: Account }).data.balance).toBe(5)
    await ann.ask('Deposit', { amount: 3 })
    expect(await keyed.save('ann')).toBe(true)
    expect(await keyed.save('nobody')).toBe(false)
    const second = await store.get(keyed.storeKey('ann'))
    expect(second?.revision).toBeGreaterThan(first?.revision as number)
    expect((second?.value as { data: Account }).data.balance).toBe(8)
    await ann.ask('Deposit', { amount: 100 }) // not saved
    await expect(ann.ask('Crash')).rejects.toThrow('crash')
    expect(await ann.ask('Balance')).toBe(8) // the restarted incarnation starts from the last save
    await keyed.passivate('ann')
    expect(((await store.get(keyed.storeKey('ann')))?.value as { data: Account }).data.balance).toBe(8)
  })

  it('migrate upgrades v1 data to v2 once, and the next save writes v2', async () => {
    const store = new MemoryStore()
    const v1 = accounts(store)
    await v1.keyed.ref('ann').ask('Deposit', { amount: 5 })
    await v1.system.shutdown()
    const calls: Array<[StoreValue, number]> = []
    const v2 = accounts(store, {
      version: 2,
      migrate: (old, from) => {
        calls.push([old, from])
        const o = old as { balance: number }
        return { balance: o.balance * 100, history: [] } // v2 keeps cents
      },
    })
    expect(await v2.keyed.ref('ann').ask('Balance')).toBe(500)
    expect(calls).toEqual([[{ balance: 5, history: [5] }, 1]])
    await v2.keyed.passivate('ann')
    expect((await store.get(v2.keyed.storeKey('ann')))?.value).toMatchObject({ version: 2, data: { balance: 500 } })
    expect(await v2.keyed.ref('ann').ask('Balance')).toBe(500)
    expect(calls.length).toBe(1)
  })

  it('data saved by a newer version, or an older one without migrate, fails to load and stays stored', async () => {
    const store = new MemoryStore()
    const v3 = accounts(store, { version: 3 })
    await v3.keyed.ref('ann').ask('Deposit', { amount: 5 })
    await v3.system.shutdown()
    const before = await store.get('accounts/state/ann')
    const v2 = accounts(store, { version: 2, migrate: () => ({ balance: 0, history: [] }) })
    const err = await v2.keyed.ref('ann').ask('Balance').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_ACTIVATION_FAILED', cause: { code: 'ERR_STATE_LOAD' } })
    expect(String((err as Error).cause)).toMatch(/version 3, newer than this code's 2/)
    expect(v2.keyed.supervisor.machine.is('Exception')).toBe(true)
    await v2.system.shutdown()
    const v4 = accounts(store, { version: 4 })
    await expect(v4.keyed.ref('ann').ask('Balance')).rejects.toMatchObject({ cause: { code: 'ERR_STATE_LOAD', message: expect.stringMatching(/migrate is not given/) as string } })
    await v4.system.shutdown()
    expect(await store.get('accounts/state/ann')).toEqual(before)
  })
})

/** A store whose methods can be made to fail (throw, reject, return garbage) one call at a time. */
class FaultyStore extends MemoryStore {
  getFault: (() => Promise<unknown>) | undefined
  putFault: (() => Promise<number>) | undefined
  override get(key: string) {
    return this.getFault && key.includes('/state/') ? (this.getFault() as ReturnType<MemoryStore['get']>) : super.get(key)
  }
  override put(key: string, value: StoreValue, options?: { expected?: number }) {
    return this.putFault && key.includes('/state/') ? this.putFault() : super.put(key, value, options)
  }
}

describe('PersistentKeyed: failing stores never activate fresh over stored data', () => {
  const faults: Array<[string, () => Promise<unknown>]> = [
    ['throws', () => { throw new Error('boom') }],
    ['rejects', () => Promise.reject(new Error('disk'))],
    ['garbage value', () => Promise.resolve({ key: 'x', value: { format: 9 }, revision: 3 })],
    ['garbage revision', () => Promise.resolve({ key: 'x', value: { format: 1, version: 1, data: 1, snapshot: null }, revision: -1 })],
    ['not data', () => Promise.resolve({ key: 'x', value: { format: 1, version: 1, data: () => 1, snapshot: null }, revision: 2 })],
    ['a hostile getter', () => Promise.resolve({ get value(): never { throw new Error('getter') }, revision: 1, key: 'x' })],
  ]
  it.each(faults)('get %s: asks fail with ERR_STATE_LOAD, the record is kept, the next message retries', async (_l, fault) => {
    const store = new FaultyStore()
    const { keyed } = accounts(store)
    await keyed.ref('ann').ask('Deposit', { amount: 9 })
    await keyed.passivate('ann')
    const before = await store.get('accounts/state/ann')
    store.getFault = fault
    const results = await Promise.allSettled([keyed.ref('ann').ask('Balance'), keyed.ref('ann').ask('Deposit', { amount: 1 })])
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_ACTIVATION_FAILED', cause: { code: 'ERR_STATE_LOAD' } } })
    expect(keyed.supervisor.machine.is('Exception')).toBe(true)
    expect(keyed.activeKeys).toEqual([])
    store.getFault = undefined
    expect(await store.get('accounts/state/ann')).toEqual(before)
    expect(await keyed.ref('ann').ask('Balance')).toBe(9)
  })

  it('initial() or migrate() throwing fails the activation', async () => {
    const store = new MemoryStore()
    const system = new ActorSystem()
    systems.push(system)
    const keyed = new PersistentKeyed(system, {
      id: 'k', schema: ss, store,
      state: { initial: () => { throw new Error('no initial') } },
      handlers: () => ({}),
    })
    await expect(keyed.ref('x').ask('Balance')).rejects.toMatchObject({ cause: { code: 'ERR_STATE_LOAD', cause: { message: 'no initial' } } })
    await store.put('m/state/x', { format: 1, version: 1, data: 1, snapshot: null })
    const m = new PersistentKeyed(system, {
      id: 'm', schema: ss, store,
      state: { version: 2, initial: () => 0, migrate: () => Promise.reject(new Error('bad migration')) },
      handlers: () => ({}),
    })
    await expect(m.ref('x').ask('Balance')).rejects.toMatchObject({ cause: { code: 'ERR_STATE_LOAD', cause: { message: 'bad migration' } } })
    expect((await store.get('m/state/x'))?.value).toEqual({ format: 1, version: 1, data: 1, snapshot: null })
  })

  it('a failed save at passivation is an error on the supervisor; the next activation fails once, then loads the stored state', async () => {
    const store = new FaultyStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 4 })
    await keyed.passivate('ann')
    await ann.ask('Deposit', { amount: 6 }) // 10, not yet saved
    store.putFault = () => Promise.reject(new Error('disk full'))
    await keyed.passivate('ann')
    expect(keyed.supervisor.machine.is('Exception')).toBe(true)
    expect(keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_STATE_SAVE', cause: { message: 'disk full' } })
    store.putFault = undefined
    await expect(ann.ask('Balance')).rejects.toMatchObject({ code: 'ERR_ACTIVATION_FAILED', cause: { code: 'ERR_STATE_SAVE' } })
    expect(await ann.ask('Balance')).toBe(4) // the stored state, not a fresh one
  })

  it('data that is not store data fails the save; the stored record is kept', async () => {
    const store = new MemoryStore()
    const system = new ActorSystem()
    systems.push(system)
    const keyed = new PersistentKeyed(system, {
      id: 'k', schema: ss, store,
      state: { initial: () => ({ n: 1 }) as Record<string, StoreValue> },
      handlers: ({ state }) => ({ DepositState: () => void (state.data.fn = (() => 1) as never) }),
    })
    await keyed.ref('x').ask('Balance')
    await keyed.passivate('x')
    const before = await store.get('k/state/x')
    await keyed.ref('x').ask('Deposit')
    await keyed.passivate('x')
    expect(keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_STATE_SAVE', cause: { code: 'ERR_INVALID_ARG' } })
    expect(await store.get('k/state/x')).toEqual(before)
  })

  it('two activations of one key on one store: the second save conflicts and overwrites nothing', async () => {
    const store = new MemoryStore()
    const a = accounts(store)
    const b = accounts(store)
    await a.keyed.ref('ann').ask('Deposit', { amount: 1 })
    await b.keyed.ref('ann').ask('Deposit', { amount: 50 })
    await a.keyed.passivate('ann')
    await b.keyed.passivate('ann')
    expect(b.keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_STATE_SAVE', cause: { code: 'ERR_STORE_CONFLICT' } })
    expect(((await store.get('accounts/state/ann'))?.value as { data: Account }).data).toEqual({ balance: 1, history: [1] })
    await expect(b.keyed.ref('ann').ask('Balance')).rejects.toMatchObject({ cause: { code: 'ERR_STATE_SAVE' } })
    expect(await b.keyed.ref('ann').ask('Balance')).toBe(1) // b now sees a's write
  })

  it('holds state only for active keys: passivated and stopped-for-good actors leave nothing behind', async () => {
    const store = new MemoryStore()
    const system = new ActorSystem()
    systems.push(system)
    const keyed = new PersistentKeyed(system, {
      id: 'k', schema: ss, store, decide: () => 'stop',
      state: { initial: () => ({ n: 0 }) },
      handlers: ({ state }) => ({
        DepositState: () => ++state.data.n,
        CrashState: () => { throw new Error('crash') },
      }),
    })
    await keyed.ref('a').ask('Deposit')
    await keyed.ref('b').ask('Deposit')
    expect(keyed.tracked.states).toBe(2)
    await keyed.passivate('a')
    expect(keyed.tracked.states).toBe(1)
    await expect(keyed.ref('b').ask('Crash')).rejects.toThrow('crash') // decide: stop for good, nothing saved
    await new Promise((r) => setTimeout(r, 20))
    expect(keyed.tracked.states).toBe(0)
    expect(await keyed.ref('b').ask('Deposit')).toBe(1) // b was never saved: it starts from initial()
    expect(await keyed.ref('a').ask('Deposit')).toBe(2)
    expect(keyed.tracked.states).toBe(2)
  })

  it('a store that never answers: shutdown still settles every ask and returns', async () => {
    const store = new FaultyStore()
    const { system, keyed } = accounts(store)
    await keyed.ref('saved').ask('Deposit', { amount: 1 })
    store.getFault = () => new Promise(() => undefined)
    store.putFault = () => new Promise(() => undefined)
    const pending = keyed.ref('new').ask('Balance').catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 10))
    await system.shutdown({ timeout: 50 }) // 'saved' passivates into a put that never settles: reported, not awaited
    expect(await pending).toMatchObject({ code: 'ERR_ACTOR_TERMINATED' })
    expect(keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_TIMEOUT' })
  })

  it('refuses bad options', () => {
    const system = new ActorSystem()
    systems.push(system)
    const base = { id: 'k', schema: ss, store: new MemoryStore(), handlers: () => ({}) }
    expect(() => new PersistentKeyed(system, { ...base, store: {} as Store })).toThrow(/options.store/)
    expect(() => new PersistentKeyed(system, { ...base, namespace: '' })).toThrow(/options.namespace/)
    expect(() => new PersistentKeyed(system, { ...base, state: { initial: 1 as never } })).toThrow(/state.initial/)
    expect(() => new PersistentKeyed(system, { ...base, state: { initial: () => 1, version: 0 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
    expect(() => new PersistentKeyed(system, { ...base, state: { initial: () => 1, migrate: 'x' as never } })).toThrow(/migrate/)
    expect(() => new PersistentKeyed(system, { ...base, handlers: undefined as never })).toThrow(/handlers/)
  })
})
