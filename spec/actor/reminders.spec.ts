/**
 * Durable reminders: delivered to the keyed actor (activating it if passivated), stored in the Store, surviving a
 * process restart, missed ones firing once and then keeping their schedule, cancel/list, and a 10 000 reminder load.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { schema } from '../../lib/index.js'
import { ActorSystem, type ActorEvent } from '../../lib/actor/index.js'
import { PersistentKeyed } from '../../lib/actor/persistent-keyed.js'
import { MemoryStore, type Store } from '../../lib/store/index.js'
import { runChild } from '../support/child.js'

const ss = schema({ Bill: { multi: true }, Remind: { multi: true }, Count: { multi: true } })
type Got = { key: string; msg: string; args: Record<string, unknown>; at: number }

const dir = mkdtempSync(join(tmpdir(), 'pm-remind-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown({ timeout: 200 })
})

function billing(store: Store, got: Got[] = [], opts: { idleTimeout?: number } = {}) {
  const system = new ActorSystem()
  systems.push(system)
  const keyed = new PersistentKeyed(system, {
    id: 'billing',
    schema: ss,
    store,
    ...opts,
    state: { initial: () => ({ bills: 0 }) },
    handlers: ({ key, state }) => ({
      BillState: (e: ActorEvent) => {
        state.data.bills++
        got.push({ key, msg: 'Bill', args: { ...e.args }, at: Date.now() })
      },
      RemindState: (e: ActorEvent) => void got.push({ key, msg: 'Remind', args: { ...e.args }, at: Date.now() }),
      CountState: () => state.data.bills,
    }),
  })
  return { system, keyed, got }
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('reminders', () => {
  it('an `at` reminder fires once with its args, then is removed from the store', async () => {
    const store = new MemoryStore()
    const { keyed, got } = billing(store)
    await keyed.reminders.machine.when('Ready')
    const at = Date.now() + 40
    await keyed.reminders.set('cust-1', 'Remind', { at, args: { text: 'pay' } })
    expect(await keyed.reminders.list('cust-1')).toEqual([{ key: 'cust-1', name: 'Remind', msg: 'Remind', due: at, every: undefined, args: { text: 'pay' } }])
    await until(() => got.length === 1)
    expect(got[0]).toMatchObject({ key: 'cust-1', msg: 'Remind', args: { text: 'pay', reminder: 'Remind', due: at } })
    expect(got[0]?.at).toBeGreaterThanOrEqual(at)
    await until(() => store.size === 0) // the reminder record is gone (the actor's state is saved at passivation)
    expect(await keyed.reminders.list()).toEqual([])
    await new Promise((r) => setTimeout(r, 60))
    expect(got.length).toBe(1)
  })

  it('a reminder due while its actor is passivated activates it; the handler updates persistent state', async () => {
    const store = new MemoryStore()
    const { keyed, got } = billing(store)
    await keyed.ref('cust-2').ask('Count')
    await keyed.passivate('cust-2')
    expect(keyed.activeKeys).toEqual([])
    await keyed.reminders.set('cust-2', 'Bill', { at: Date.now() + 20 })
    await until(() => got.length === 1)
    expect(keyed.activeKeys).toEqual(['cust-2'])
    expect(keyed.activations).toBe(2)
    expect(await keyed.ref('cust-2').ask('Count')).toBe(1)
  })

  it('an `every` reminder keeps firing and stores its next due time; cancel stops it', async () => {
    const store = new MemoryStore()
    const { keyed, got } = billing(store)
    await keyed.reminders.machine.when('Ready')
    const start = Date.now()
    await keyed.reminders.set('c', 'Bill', { every: 30 })
    await until(() => got.length >= 3)
    const dues = got.map((g) => g.args.due as number)
    // on schedule: 30 ms apart, or a multiple of 30 when a loaded host made the timer miss one (missed ones are skipped)
    for (const gap of [dues[1]! - dues[0]!, dues[2]! - dues[1]!]) expect([gap > 0, gap % 30]).toEqual([true, 0])
    expect(dues[0]).toBeGreaterThanOrEqual(start + 30)
    const [stored] = await keyed.reminders.list('c')
    expect(stored?.every).toBe(30)
    expect(stored!.due).toBeGreaterThan(dues[1]!)
    expect(await keyed.reminders.cancel('c', 'Bill')).toBe(true)
    expect(await keyed.reminders.cancel('c', 'Bill')).toBe(false)
    const n = got.length
    await new Promise((r) => setTimeout(r, 100))
    expect(got.length).toBeLessThanOrEqual(n + 1) // at most one already being delivered
    expect(await keyed.reminders.list()).toEqual([])
  })

  it('set() again replaces a reminder of the same name', async () => {
    const store = new MemoryStore()
    const { keyed, got } = billing(store)
    await keyed.reminders.set('c', 'Remind', { at: Date.now() + 30, args: { v: 1 } })
    await keyed.reminders.set('c', 'Remind', { at: Date.now() + 60, args: { v: 2 } })
    await until(() => got.length === 1)
    await new Promise((r) => setTimeout(r, 60))
    expect(got.map((g) => g.args.v)).toEqual([2])
  })

  it('missed reminders fire once at start, then resume their schedule', async () => {
    const store = new MemoryStore()
    const now = Date.now()
    // written by an earlier process that stopped long ago: 10 periods missed, and a one-off missed
    await store.put('billing/reminder/c/Bill', { format: 1, key: 'c', name: 'Bill', msg: 'Bill', due: now - 1000, every: 100, args: null })
    await store.put('billing/reminder/d/Remind', { format: 1, key: 'd', name: 'Remind', msg: 'Remind', due: now - 5000, every: null, args: null })
    const { keyed, got } = billing(store)
    await until(() => got.length === 2)
    expect(got.map((g) => [g.key, g.args.due]).sort()).toEqual([['c', now - 1000], ['d', now - 5000]])
    const [next] = await keyed.reminders.list('c')
    expect(next!.due).toBe(now + 100) // the schedule continues from its own grid
    await until(() => got.length === 3, 2000)
    expect(got[2]).toMatchObject({ key: 'c', args: { due: now + 100 } })
  })

  it('validates its arguments; after the supervisor stops, set/cancel reject', async () => {
    const store = new MemoryStore()
    const { system, keyed } = billing(store)
    const r = keyed.reminders
    expect(() => r.set('c', 'Nope', { at: 1 })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_MESSAGE' }) as Error)
    expect(() => r.set('c', 'Start', { at: 1 })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_MESSAGE' }) as Error)
    expect(() => r.set('', 'Bill', { at: 1 })).toThrow(/key/)
    expect(() => r.set('c', 'Bill', {})).toThrow(/at, every/)
    expect(() => r.set('c', 'Bill', null as never)).toThrow(/options/)
    expect(() => r.set('c', 'Bill', { every: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
    expect(() => r.set('c', 'Bill', { every: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
    expect(() => r.set('c', 'Bill', { at: NaN })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
    expect(() => r.set('c', 'Bill', { at: new Date('x') })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
    expect(() => r.set('c', 'Bill', { at: '1' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
    expect(() => r.set('c', 'Bill', { at: 1, args: [1] as never })).toThrow(/args/)
    expect(() => r.set('c', 'Bill', { at: 1, args: { f: (() => 1) as never } })).toThrow(/args/)
    expect(() => r.set('c', 'Bill', { get at(): number { throw new Error('x') } })).toThrow(/options/)
    expect(store.size).toBe(0)
    await system.shutdown()
    expect(r.machine.is('Stopped')).toBe(true)
    await expect(r.set('c', 'Bill', { at: 1 })).rejects.toMatchObject({ code: 'ERR_REMINDERS_STOPPED' })
    await expect(r.cancel('c', 'Bill')).rejects.toMatchObject({ code: 'ERR_REMINDERS_STOPPED' })
  })

  it('a store that fails at start is ErrStore, retried until the reminders load', async () => {
    const store = new MemoryStore()
    await store.put('billing/reminder/c/Remind', { format: 1, key: 'c', name: 'Remind', msg: 'Remind', due: Date.now(), every: null, args: null })
    let fail = 2
    const list = store.list.bind(store)
    store.list = (o) => (fail-- > 0 ? Promise.reject(new Error('locked')) : list(o))
    const { keyed, got } = billing(store)
    await keyed.reminders.machine.when('ErrStore')
    await until(() => got.length === 1, 3000)
    expect(keyed.reminders.machine.is('Ready')).toBe(true)
  })

  it('a store whose list() ignores `after` fails the scan (ErrStore, retried) instead of paging forever', async () => {
    const store = new MemoryStore()
    await store.put('billing/reminder/c/Remind', { format: 1, key: 'c', name: 'Remind', msg: 'Remind', due: Date.now() + 60_000, every: null, args: null })
    const list = store.list.bind(store)
    let calls = 0
    // a macrotask per page, so the old endless loop shows as a call count instead of blocking the event loop
    store.list = (o) => new Promise((r) => setTimeout(r, 0)).then(() => {
      calls++
      const { after: _ignored, ...rest } = o ?? {}
      return list(rest)
    })
    const { keyed } = billing(store)
    await keyed.reminders.machine.when('ErrStore')
    expect(keyed.reminders.machine.err).toMatchObject({ code: 'ERR_STATE_LOAD' })
    await expect(keyed.reminders.list('c')).rejects.toMatchObject({ code: 'ERR_STATE_LOAD' })
    expect(calls).toBeLessThan(10)
  })

  it('an `at` Date whose getTime() throws is refused as an argument error', () => {
    const store = new MemoryStore()
    const { keyed } = billing(store)
    class BadDate extends Date {
      override getTime(): number {
        throw new Error('hostile')
      }
    }
    expect(() => keyed.reminders.set('c', 'Bill', { at: new BadDate() })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
  })

  it('named reminders deliver their msg; a name that is not a message needs one', async () => {
    const store = new MemoryStore()
    const { keyed, got } = billing(store)
    expect(() => keyed.reminders.set('c', 'dunning-1', { at: 1 })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_MESSAGE' }) as Error)
    expect(() => keyed.reminders.set('c', 'dunning-1', { at: 1, msg: 'Nope' })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_MESSAGE' }) as Error)
    await keyed.reminders.set('c', 'dunning-1', { at: Date.now() + 10, msg: 'Remind' })
    await keyed.reminders.set('c', 'dunning-2', { at: Date.now() + 20, msg: 'Remind' })
    await until(() => got.length === 2)
    expect(got.map((g) => [g.msg, g.args.reminder])).toEqual([['Remind', 'dunning-1'], ['Remind', 'dunning-2']])
  })

  it('a handler sets, lists and cancels its own reminders through ctx.reminders', async () => {
    const system = new ActorSystem()
    systems.push(system)
    const got: string[] = []
    const keyed = new PersistentKeyed(system, {
      id: 'self', schema: ss, store: new MemoryStore(),
      handlers: ({ key, reminders }) => ({
        CountState: async (e: ActorEvent) => {
          await reminders.set('later', { at: Date.now() + 20, msg: 'Remind' })
          await reminders.set('never', { at: Date.now() + 60_000, msg: 'Remind' })
          const names = (await reminders.list()).map((r) => `${r.key}/${r.name}`)
          await reminders.cancel(e.args.cancel as string)
          return names
        },
        RemindState: (e: ActorEvent) => void got.push(`${key}/${String(e.args.reminder)}`),
      }),
    })
    expect(await keyed.ref('me').ask('Count', { cancel: 'never' })).toEqual(['me/later', 'me/never'])
    await until(() => got.length === 1)
    expect(got).toEqual(['me/later'])
    expect(await keyed.reminders.list()).toEqual([])
  })

  it('a reminder a year ahead waits (longer than setTimeout allows) without firing', async () => {
    const store = new MemoryStore()
    const { system, keyed, got } = billing(store)
    const year = Date.now() + 365 * 24 * 3600_000
    await keyed.reminders.set('c', 'Remind', { at: new Date(year) })
    await keyed.reminders.set('c', 'Bill', { every: 2 ** 32 }) // ~50 days
    await new Promise((r) => setTimeout(r, 50))
    expect(got).toEqual([])
    expect((await keyed.reminders.list('c')).map((r) => r.due)).toEqual([expect.any(Number), year])
    await system.shutdown()
    expect(keyed.reminders.machine.is('Stopped')).toBe(true)
  })

  it('10 000 reminders over 500 keys all fire, once each, within a bound of their due time', async () => {
    const store = new MemoryStore()
    const { keyed, got } = billing(store)
    await keyed.reminders.machine.when('Ready')
    const due = Date.now() + 4000 // room for 10 000 sets on a loaded machine
    const sets: Array<Promise<void>> = []
    for (let i = 0; i < 10_000; i++) {
      sets.push(keyed.reminders.set(`k${i % 500}`, `r${i}`, { at: due + (i % 200), msg: 'Bill', args: { i } }))
    }
    await Promise.all(sets)
    expect(Date.now()).toBeLessThan(due) // all stored before the first came due
    await until(() => got.length >= 10_000, 15_000)
    const seen = new Set(got.map((g) => g.args.i as number))
    expect(seen.size).toBe(10_000)
    expect(got.length).toBe(10_000)
    const lateness = got.map((g) => g.at - (g.args.due as number))
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0) // never early
    expect(Math.max(...lateness)).toBeLessThan(5000) // a loose bound for a loaded 2-core machine; see the benchmark
    await until(() => store.size === 0) // every fired reminder was removed from the store
    expect(keyed.reminders.fired).toBe(10_000)
    expect(keyed.activeKeys.length).toBe(500)
  })

  it('reminders survive a process restart on a SQLite file: missed ones fire once, then keep their schedule', async () => {
    const file = JSON.stringify(join(dir, 'restart.db'))
    const setup = `
      import { schema } from 'polymachine-src'
      import { ActorSystem, PersistentKeyed } from 'polymachine-src/actor'
      import { SqliteStore } from 'polymachine-src/store'
      const ss = schema({ Bill: { multi: true }, Remind: { multi: true } })
      export async function start(handlers) {
        const store = await SqliteStore.open(${file})
        const keyed = new PersistentKeyed(new ActorSystem(), { id: 'billing', schema: ss, store, handlers })
        await keyed.reminders.machine.when('Ready')
        return keyed
      }`
    const first = await runChild(`${setup}
      const keyed = await start(() => ({ BillState: () => console.log('early Bill'), RemindState: () => console.log('early Remind') }))
      const now = Date.now()
      await keyed.reminders.set('cust-9', 'Remind', { at: now + 300, args: { text: 'pay' } })
      await keyed.reminders.set('cust-9', 'Bill', { at: now + 300, every: 200 })
      console.log('set', now + 300)
      process.exit(0) // no shutdown: the process just ends
    `)
    expect(first.stderr).toBe('')
    const setAt = Number(/set (\d+)/.exec(first.stdout)?.[1])
    expect(setAt).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, Math.max(0, setAt + 250 - Date.now()))) // both are missed by now
    const second = await runChild(`${setup}
      const fired = []
      let done
      const finished = new Promise((r) => (done = r))
      const log = (msg) => (e) => {
        fired.push([msg, e.args.due, e.args.text ?? null])
        if (fired.filter(([m]) => m === 'Bill').length === 2 && fired.some(([m]) => m === 'Remind')) done()
      }
      const keyed = await start(() => ({ BillState: log('Bill'), RemindState: log('Remind') }))
      await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))])
      console.log(JSON.stringify({ fired, left: await keyed.reminders.list() }))
      await keyed.supervisor.system.shutdown()
    `)
    expect(second.stderr).toBe('')
    expect(second.faults).toBe(0)
    const { fired, left } = JSON.parse(second.stdout.trim().split('\n').pop() as string) as {
      fired: Array<[string, number, string | null]>; left: Array<{ name: string; due: number }>
    }
    expect(fired.filter(([m]) => m === 'Remind')).toEqual([['Remind', setAt, 'pay']])
    const bills = fired.filter(([m]) => m === 'Bill').map(([, due]) => due)
    expect(bills[0]).toBe(setAt) // the missed one, once
    expect(bills.length).toBe(2)
    expect((bills[1] as number) - setAt).toBeGreaterThan(0)
    expect(((bills[1] as number) - setAt) % 200).toBe(0) // back on its schedule
    expect(left.map((r) => r.name)).toEqual(['Bill'])
  }, 30_000)
})
