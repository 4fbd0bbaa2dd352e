/**
 * Supervisor kinds: singleton, pool (routing, resize, restarts keep the size) and keyed virtual actors (activation
 * on first message, idle passivation with saved state, LRU at maxActive, nothing lost meanwhile).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { schema, type Snapshot } from '../../lib/machine/index.js'
import { ActorSystem, Keyed, Pool, singleton, type ActorEvent } from '../../lib/actor/index.js'

const ss = schema({ Work: { multi: true }, Crash: { multi: true }, Visit: { multi: true }, Count: { multi: true } })

let system: ActorSystem
afterEach(async () => {
  vi.useRealTimers()
  await system.shutdown({ timeout: 100 })
})

describe('singleton and pool', () => {
  it('singleton: one child; its ref survives a restart', async () => {
    system = new ActorSystem()
    const { supervisor, ref } = singleton(system, {
      id: 'single',
      backoff: { min: 1, max: 1, jitter: 0 },
      child: {
        id: 'only',
        schema: ss,
        handlers: ({ incarnation }) => ({
          WorkState: (): number => incarnation,
          CrashState(): void {
            throw new Error('x')
          },
        }),
      },
    })
    expect(await ref.ask('Work')).toBe(1)
    await ref.ask('Crash').catch(() => undefined)
    expect(await ref.ask('Work', {}, { timeout: 1000 })).toBe(2)
    expect(supervisor.childIds).toEqual(['only'])
  })

  it('pool: round-robin over N workers, resize, and a crashed worker comes back', async () => {
    system = new ActorSystem()
    const pool = new Pool(system, {
      id: 'pool',
      size: 3,
      schema: ss,
      backoff: { min: 1, max: 1, jitter: 0 },
      handlers: ({ id, incarnation }) => ({
        WorkState: (): string => `${id}#${incarnation}`,
        CrashState(): void {
          throw new Error('x')
        },
      }),
    })
    expect(await Promise.all([1, 2, 3, 4].map(() => pool.ask('Work')))).toEqual(['pool-1#1', 'pool-2#1', 'pool-3#1', 'pool-1#1'])
    await pool.refs[1]?.ask('Crash').catch(() => undefined)
    await pool.supervisor.machine.whenNot('Restarting', { timeout: 1000 })
    expect(await Promise.all([1, 2, 3].map(() => pool.ask('Work')))).toEqual(['pool-2#2', 'pool-3#1', 'pool-1#1'])
    await pool.resize(1)
    expect(pool.size).toBe(1)
    expect(pool.supervisor.childIds).toEqual(['pool-1'])
    await pool.resize(2)
    expect(pool.supervisor.childIds).toEqual(['pool-1', 'pool-4'])
    await expect(pool.resize(-1)).rejects.toThrow(RangeError)
  })

  it('least-queued routing picks the idlest worker', async () => {
    system = new ActorSystem()
    let release = (): void => undefined
    const gate = new Promise<void>((r) => (release = r))
    const pool = new Pool(system, {
      id: 'lq',
      size: 2,
      schema: ss,
      routing: 'least-queued',
      handlers: ({ id }) => ({ WorkState: async (): Promise<string> => (await gate, id), VisitState: (): string => id }),
    })
    await Promise.all(pool.refs.map((r) => r.machine.when('Ready')))
    const busy = pool.refs[0]?.ask('Work')
    await new Promise((r) => setTimeout(r, 0))
    expect(await pool.ask('Visit')).toBe('lq-2')
    release()
    expect(await busy).toBe('lq-1')
  })
})

describe('keyed virtual actors', () => {
  const handlers = ({ key }: { key: string }) => ({
    VisitState: (e: ActorEvent): string => `${key}:${e.machine.tick('Visit')}`,
    CountState: (e: ActorEvent): number => (e.machine.tick('Visit') + 1) / 2,
  })

  it('a ref is valid before its actor exists; the first message activates it', async () => {
    system = new ActorSystem()
    const keyed = new Keyed(system, { id: 'users', schema: ss, handlers })
    const ann = keyed.ref('ann')
    expect(keyed.activeKeys).toEqual([])
    expect(keyed.ref('ann')).toBe(ann)
    expect(await ann.ask('Visit')).toBe('ann:1')
    expect(await ann.ask('Visit')).toBe('ann:3')
    expect(keyed.activeKeys).toEqual(['ann'])
    expect(keyed.activations).toBe(1)
    expect(() => keyed.ref(42 as unknown as string)).toThrow(TypeError)
    expect(() => keyed.ref('')).toThrow(TypeError)
  })

  it('idle actors are passivated with their state saved, and loaded on the next message', async () => {
    vi.useFakeTimers()
    system = new ActorSystem()
    const store = new Map<string, Snapshot>()
    const keyed = new Keyed(system, {
      id: 'users',
      schema: ss,
      handlers,
      idleTimeout: 1000,
      load: (k) => store.get(k),
      save: (k, s) => void store.set(k, s),
    })
    const ann = keyed.ref('ann')
    await ann.ask('Visit')
    await ann.ask('Visit')
    await vi.advanceTimersByTimeAsync(999)
    expect(keyed.activeKeys).toEqual(['ann'])
    await vi.advanceTimersByTimeAsync(2)
    expect(keyed.activeKeys).toEqual([])
    expect(keyed.passivations).toBe(1)
    expect(store.has('ann')).toBe(true)
    // reactivated with its clocks: the third visit
    expect(await ann.ask('Count')).toBe(2)
    expect(await ann.ask('Visit')).toBe('ann:5')
    expect(keyed.activations).toBe(2)
  })

  it('maxActive passivates the least recently used actor', async () => {
    system = new ActorSystem()
    const saved: string[] = []
    const keyed = new Keyed(system, { id: 'u', schema: ss, handlers, maxActive: 2, save: (k) => void saved.push(k) })
    await keyed.ref('a').ask('Visit')
    await keyed.ref('b').ask('Visit')
    await keyed.ref('a').ask('Visit') // a is now the most recent
    await keyed.ref('c').ask('Visit')
    expect(keyed.activeKeys).toEqual(['a', 'c'])
    expect(saved).toEqual(['b'])
  })

  it('messages sent while an actor passivates are delivered after it reactivates', async () => {
    system = new ActorSystem()
    const store = new Map<string, Snapshot>()
    const keyed = new Keyed(system, {
      id: 'u',
      schema: ss,
      handlers,
      load: (k) => store.get(k),
      save: async (k, s) => {
        await new Promise((r) => setTimeout(r, 5))
        store.set(k, s)
      },
    })
    const ann = keyed.ref('ann')
    await ann.ask('Visit')
    const passivated = keyed.passivate('ann')
    const during = ann.ask('Visit')
    expect(await passivated).toBe(true)
    expect(await during).toBe('ann:3')
    expect(await keyed.passivate('nobody')).toBe(false)
  })

  it('unknown messages throw; a stopped keyed supervisor fails asks', async () => {
    system = new ActorSystem()
    const keyed = new Keyed(system, { id: 'u', schema: ss, handlers })
    expect(() => (keyed.ref('a').tell as (m: string) => void)('Ready')).toThrow(/not a message/)
    await keyed.supervisor.stop()
    await expect(keyed.ref('a').ask('Visit')).rejects.toThrow(/terminated/)
  })
})
