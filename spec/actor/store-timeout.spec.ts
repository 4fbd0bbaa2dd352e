/**
 * A store that never answers: every store call of a PersistentKeyed and its reminders is bounded by `storeTimeout`,
 * and a call that times out fails like a failing store (ERR_STORE_TIMEOUT as the cause): loads, saves at passivation
 * and on demand, reminders set/cancel/list and firing. A timed-out put that lands later is never followed by a blind
 * overwrite (every write is a compare-and-set), and no timer keeps a stopped process alive.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { schema } from '../../lib/index.js'
import { ActorSystem, Reminders, type ActorEvent } from '../../lib/actor/index.js'
import { PersistentKeyed } from '../../lib/actor/persistent-keyed.js'
import { MemoryStore, StoreTimeoutError, type Store, type StoreValue } from '../../lib/store/index.js'
import { runChild } from '../support/child.js'

type Method = 'get' | 'put' | 'delete' | 'list'

/**
 * A MemoryStore whose calls to the methods in `hang` do not answer until released: `release()` then makes the call
 * on the real store (so a put's compare-and-set is checked when it lands, as a late write would be) and settles it.
 */
class HangingStore extends MemoryStore {
  readonly hang = new Set<Method>()
  /** Only calls whose key (or list prefix) contains this hang (default: all). */
  match = ''
  private held: Array<() => void> = []

  get pending(): number {
    return this.held.length
  }

  /** Lands every held call now, in call order; resolves after they settled. */
  async release(): Promise<void> {
    const held = this.held
    this.held = []
    for (const land of held) land()
    await new Promise((r) => setTimeout(r, 10))
  }

  /** Forgets the held calls: they never answer. */
  drop(): void {
    this.held = []
  }

  override get(key: string) {
    return this.maybeHang('get', key, () => super.get(key))
  }

  override put(key: string, value: StoreValue, options?: { expected?: number }) {
    return this.maybeHang('put', key, () => super.put(key, value, options))
  }

  override delete(key: string, options?: { expected?: number }) {
    return this.maybeHang('delete', key, () => super.delete(key, options))
  }

  override list(options?: { prefix?: string; after?: string; limit?: number }) {
    return this.maybeHang('list', options?.prefix ?? '', () => super.list(options))
  }

  private maybeHang<T>(m: Method, key: string, call: () => Promise<T>): Promise<T> {
    if (!this.hang.has(m) || !key.includes(this.match)) return call()
    return new Promise<T>((resolve, reject) => this.held.push(() => void call().then(resolve, reject)))
  }
}

const ss = schema({ Deposit: { multi: true }, Balance: { multi: true }, Bill: { multi: true } })
const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown({ timeout: 200 })
})

/** Accounts with a short store timeout (what is tested is the outcome, not the time it takes). */
function accounts(store: Store, billed: string[] = []) {
  const system = new ActorSystem()
  systems.push(system)
  const keyed = new PersistentKeyed(system, {
    id: 'acc',
    schema: ss,
    store,
    storeTimeout: 150,
    state: { initial: () => ({ balance: 0 }) },
    handlers: ({ key, state }) => ({
      DepositState: (e: ActorEvent) => (state.data.balance += e.args.amount as number),
      BalanceState: () => state.data.balance,
      BillState: () => void billed.push(key),
    }),
  })
  return { system, keyed, billed }
}

const balanceIn = async (store: Store, key: string): Promise<unknown> =>
  ((await store.get(`acc/state/${key}`))?.value as { data: { balance: number } } | undefined)?.data.balance

const timedOut = { code: 'ERR_STORE_TIMEOUT', name: 'StoreTimeoutError' }

const until = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('PersistentKeyed: a store call that never answers fails like a failing store', () => {
  it('load: the waiting asks fail with ERR_STATE_LOAD (cause ERR_STORE_TIMEOUT), never a fresh activation', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    await keyed.ref('ann').ask('Deposit', { amount: 9 })
    await keyed.passivate('ann')
    store.hang.add('get')
    const results = await Promise.allSettled([keyed.ref('ann').ask('Balance'), keyed.ref('ann').ask('Deposit', { amount: 1 })])
    for (const r of results) {
      expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_ACTIVATION_FAILED', cause: { code: 'ERR_STATE_LOAD', cause: timedOut } } })
    }
    expect(keyed.supervisor.machine.is('Exception')).toBe(true)
    expect(keyed.activeKeys).toEqual([])
    store.hang.clear()
    await store.release() // the late answers change nothing
    expect(await keyed.ref('ann').ask('Balance')).toBe(9) // the stored state, not initial()
  })

  it('save at passivation times out: an error on the supervisor; the next activation fails once, then loads what is stored', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 4 })
    await keyed.passivate('ann')
    await ann.ask('Deposit', { amount: 6 }) // 10, not yet saved
    store.hang.add('put')
    await keyed.passivate('ann') // settles: the put is given up after the timeout
    expect(keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_STATE_SAVE', cause: timedOut })
    store.hang.clear()
    store.drop() // that put never lands
    await expect(ann.ask('Balance')).rejects.toMatchObject({
      code: 'ERR_ACTIVATION_FAILED', cause: { code: 'ERR_STATE_SAVE', cause: { code: 'ERR_STATE_SAVE', cause: timedOut } },
    })
    expect(await ann.ask('Balance')).toBe(4)
  })

  it('save at passivation times out, then lands after all: nothing was lost, the next activation loads it', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 4 })
    await keyed.passivate('ann')
    await ann.ask('Deposit', { amount: 6 })
    store.hang.add('put')
    await keyed.passivate('ann')
    expect(keyed.supervisor.machine.err).toMatchObject({ code: 'ERR_STATE_SAVE', cause: timedOut })
    store.hang.clear()
    await store.release()
    expect(await balanceIn(store, 'ann')).toBe(10)
    expect(await ann.ask('Balance')).toBe(10)
    expect(await ann.ask('Deposit', { amount: 1 })).toBe(11)
    await keyed.passivate('ann')
    expect(await balanceIn(store, 'ann')).toBe(11)
  })

  it('save on demand times out; when the late put lands, the next save writes on top of it', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 1 })
    store.hang.add('put')
    await expect(keyed.save('ann')).rejects.toMatchObject({ name: 'ActorStateError', code: 'ERR_STATE_SAVE', cause: timedOut })
    store.hang.clear()
    await store.release()
    expect(await balanceIn(store, 'ann')).toBe(1)
    await ann.ask('Deposit', { amount: 2 })
    expect(await keyed.save('ann')).toBe(true)
    expect(await balanceIn(store, 'ann')).toBe(3)
  })

  it('save on demand times out; a late put that lands after a newer save conflicts and overwrites nothing', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 1 })
    store.hang.add('put')
    await expect(keyed.save('ann')).rejects.toMatchObject({ cause: timedOut })
    store.hang.clear()
    await ann.ask('Deposit', { amount: 5 })
    expect(await keyed.save('ann')).toBe(true) // the timed-out put is still held
    expect(await balanceIn(store, 'ann')).toBe(6)
    await store.release() // the old put (balance 1) lands now: compare-and-set refuses it
    expect(await balanceIn(store, 'ann')).toBe(6)
    expect(await keyed.save('ann')).toBe(true)
  })

  it('save on demand times out while another writer changes the record: the late put and the next save both conflict', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    const ann = keyed.ref('ann')
    await ann.ask('Deposit', { amount: 1 })
    await keyed.save('ann')
    await ann.ask('Deposit', { amount: 1 })
    store.hang.add('put')
    await expect(keyed.save('ann')).rejects.toMatchObject({ cause: timedOut })
    store.hang.clear()
    const other = await store.get('acc/state/ann') // another activation (another process) writes meanwhile
    await store.put('acc/state/ann', { ...(other?.value as object), data: { balance: 100 } }, { expected: other?.revision ?? 0 })
    await store.release()
    expect(await balanceIn(store, 'ann')).toBe(100)
    await expect(keyed.save('ann')).rejects.toMatchObject({ code: 'ERR_STATE_SAVE', cause: { code: 'ERR_STORE_CONFLICT' } })
    expect(await balanceIn(store, 'ann')).toBe(100)
  })

  it('refuses a bad storeTimeout with argument errors', () => {
    const system = new ActorSystem()
    systems.push(system)
    const base = { id: 'k', schema: ss, store: new MemoryStore(), handlers: () => ({}) }
    const make = (storeTimeout: unknown) => () => new PersistentKeyed(system, { ...base, id: `k${Math.random()}`, storeTimeout: storeTimeout as number })
    expect(make('1000')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
    for (const bad of [0, -1, NaN, 2 ** 31, -Infinity]) {
      expect(make(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.storeTimeout') as string }) as Error)
    }
    expect(make(Infinity)).not.toThrow()
    expect(make(2 ** 31 - 1)).not.toThrow()
    const host = { id: 'r', store: new MemoryStore(), namespace: 'r', isMessage: () => true, deliver: () => undefined }
    expect(() => new Reminders({ ...host, storeTimeout: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
    expect(() => new Reminders({ ...host, store: {} as Store })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
    new Reminders({ ...host, storeTimeout: 50 }).stop()
  })
})

describe('reminders: a store call that never answers', () => {
  it('set() rejects with StoreTimeoutError; a put that lands later is scheduled and fires', async () => {
    const store = new HangingStore()
    const { keyed, billed } = accounts(store)
    await keyed.reminders.machine.when('Ready')
    store.hang.add('put')
    store.match = '/reminder/'
    const err = await keyed.reminders.set('ann', 'Bill', { at: Date.now() + 50 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreTimeoutError)
    expect(err).toMatchObject({ code: 'ERR_STORE_TIMEOUT', timeout: 150 })
    expect(billed).toEqual([])
    store.hang.clear()
    await store.release()
    await until(() => billed.length === 1)
    expect(billed).toEqual(['ann'])
  })

  it('cancel() and list() reject with StoreTimeoutError', async () => {
    const store = new HangingStore()
    const { keyed } = accounts(store)
    await keyed.reminders.machine.when('Ready')
    store.hang.add('delete').add('list')
    await expect(keyed.reminders.cancel('ann', 'Bill')).rejects.toMatchObject(timedOut)
    await expect(keyed.reminders.list('ann')).rejects.toMatchObject(timedOut)
  })

  it('firing: every reminder is still delivered while its writes time out (ErrStore)', async () => {
    const store = new HangingStore()
    const { keyed, billed } = accounts(store)
    await keyed.reminders.set('ann', 'Bill', { every: 40 })
    await keyed.reminders.set('bob', 'Bill', { at: Date.now() + 40 })
    store.hang.add('put').add('delete')
    await until(() => billed.filter((k) => k === 'ann').length >= 4 && billed.includes('bob'))
    await until(() => keyed.reminders.machine.is('ErrStore'))
    expect(keyed.reminders.machine.err).toMatchObject(timedOut)
    expect(billed.filter((k) => k === 'bob')).toEqual(['bob'])
  })

  it('loading: a list() that never answers is ErrStore and retried; set() meanwhile still works', async () => {
    const store = new HangingStore()
    await store.put('acc/reminder/ann/Bill', { format: 1, key: 'ann', name: 'Bill', msg: 'Bill', due: Date.now(), every: null, args: null })
    store.hang.add('list')
    const { keyed, billed } = accounts(store)
    await until(() => keyed.reminders.machine.is('ErrStore'))
    expect(keyed.reminders.machine.err).toMatchObject(timedOut)
    expect(keyed.reminders.machine.is('Loading')).toBe(true)
    store.hang.clear()
    store.drop()
    await keyed.reminders.machine.when('Ready')
    await until(() => billed.length === 1)
  })
})

describe('a store that never answers (child processes)', () => {
  it('while running, a pending store call keeps the process alive until its timeout: the awaiting script gets the error', async () => {
    const r = await runChild(`
import { schema } from 'polymachine-src'
import { ActorSystem, PersistentKeyed } from 'polymachine-src/actor'
import { MemoryStore } from 'polymachine-src/store'
class Never extends MemoryStore {
  override get(_key: string) { return new Promise<never>(() => undefined) }
}
const system = new ActorSystem()
const keyed = new PersistentKeyed(system, {
  id: 'acc', schema: schema({ Deposit: { multi: true } }), store: new Never(), storeTimeout: 300,
  handlers: () => ({ DepositState: () => 1 }),
})
const err = await keyed.ref('a').ask('Deposit').then(() => undefined, (e) => e)
console.log(JSON.stringify([err?.code, err?.cause?.code, err?.cause?.cause?.code]))
await system.shutdown({ timeout: 100 })
`, 30_000)
    expect(r.timedOut).toBe(false)
    expect(r.code).toBe(0) // not 13 (a top-level await left pending when the event loop emptied)
    expect(r.faults).toBe(0)
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]')).toEqual(['ERR_ACTIVATION_FAILED', 'ERR_STATE_LOAD', 'ERR_STORE_TIMEOUT'])
  }, 60_000)

  it('after shutdown no store timer keeps the process alive, and nothing is left unhandled', async () => {
    const r = await runChild(`
import { schema } from 'polymachine-src'
import { ActorSystem, PersistentKeyed } from 'polymachine-src/actor'
import { MemoryStore } from 'polymachine-src/store'
class Never extends MemoryStore {
  hang = false
  override get(key: string) { return this.hang ? new Promise<never>(() => undefined) : super.get(key) }
  override put(key: string, v: never, o?: { expected?: number }) { return this.hang ? new Promise<never>(() => undefined) : super.put(key, v, o) }
  override delete(key: string, o?: { expected?: number }) { return this.hang ? new Promise<never>(() => undefined) : super.delete(key, o) }
  override list(o?: { prefix?: string }) { return this.hang ? new Promise<never>(() => undefined) : super.list(o) }
}
const store = new Never()
const system = new ActorSystem()
const keyed = new PersistentKeyed(system, {
  id: 'acc', schema: schema({ Deposit: { multi: true } }), store, storeTimeout: 600_000,
  state: { initial: () => ({ n: 0 }) },
  handlers: ({ state }) => ({ DepositState: () => ++state.data.n }),
})
await keyed.ref('a').ask('Deposit')
await keyed.reminders.machine.when('Ready')
await keyed.reminders.set('a', 'Deposit', { every: 3_600_000 })
store.hang = true
const out: unknown[] = []
const note = (p: Promise<unknown>) => p.then(() => out.push('ok'), (e) => out.push(e?.code))
note(keyed.save('a'))
note(keyed.ref('b').ask('Deposit'))
note(keyed.reminders.set('a', 'Deposit', { every: 60_000 }))
note(keyed.reminders.cancel('a', 'Deposit'))
await new Promise((r) => setTimeout(r, 50))
await system.shutdown({ timeout: 100 })
await new Promise((r) => setTimeout(r, 50))
console.log(JSON.stringify({ out, stopped: keyed.reminders.machine.is('Stopped') }))
`, 30_000)
    expect(r.timedOut).toBe(false) // the store timers would hold the process for 10 minutes
    expect(r.code).toBe(0)
    expect(r.faults).toBe(0)
    const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { out: unknown[]; stopped: boolean }
    // the asked activation fails at shutdown; the save and the reminder calls fail when the supervisor stops
    expect(last.stopped).toBe(true)
    expect([...last.out].sort()).toEqual(['ERR_ACTOR_TERMINATED', 'ERR_REMINDERS_STOPPED', 'ERR_REMINDERS_STOPPED', 'ERR_STATE_SAVE'])
  }, 60_000)
})
