/**
 * The Bus contract, run against every implementation (InProcessBus, NatsBus): `busContract(name, setup)` where
 * `setup` gives two buses of one cluster (they may be the same object) and a cleanup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Machine, Result, schema } from '../../lib/machine/index.js'
import { ClusterError, type Bus } from '../../lib/cluster/index.js'

export const ss = schema({
  Start: {},
  Ready: { require: ['Start'] },
  Job: { multi: true },
})

export interface Pair {
  /** The bus exposing machines. */
  a: Bus
  /** The bus mirroring them. */
  b: Bus
  cleanup(): Promise<void>
}

/** Polls `fn` until it is true, at most `ms`. */
export async function eventually(fn: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export function busContract(name: string, setup: () => Promise<Pair>): void {
  describe(`Bus contract: ${name}`, () => {
    let pair: Pair
    let n = 0
    const fresh = (id: string) => new Machine(ss, { id: `${id}-${++n}` })

    beforeEach(async () => { pair = await setup() })
    afterEach(async () => { await pair.cleanup() })

    it('lists exposed machines, filtered by id, tag and parent', async () => {
      const w1 = fresh('w'); const w2 = fresh('w'); const db = fresh('db')
      await pair.a.expose(w1, { tags: ['worker', 'eu'], parent: 'sup' })
      await pair.a.expose(w2, { tags: ['worker'] })
      await pair.a.expose(db, { tags: ['db'], parent: 'sup' })
      const ids = async (f?: Parameters<Bus['list']>[0]): Promise<string[]> => (await pair.b.list(f)).map((i) => i.id).sort()
      expect(await ids()).toEqual([w1.id, w2.id, db.id].sort())
      expect(await ids({ tag: 'worker' })).toEqual([w1.id, w2.id].sort())
      expect(await ids({ parent: 'sup' })).toEqual([w1.id, db.id].sort())
      expect(await ids({ tag: 'worker', parent: 'sup' })).toEqual([w1.id])
      expect(await ids({ id: db.id })).toEqual([db.id])
      expect(await ids({ id: 'nobody' })).toEqual([])
      const [info] = await pair.b.list({ id: w1.id })
      expect(info).toEqual({ id: w1.id, tags: ['worker', 'eu'], parent: 'sup', node: pair.a.id })
    })

    it('mirrors a machine: remote mutations return the source result, pushes keep the clock in sync', async () => {
      const src = fresh('src')
      const exposed = await pair.a.expose(src)
      const remote = await pair.b.machine(src.id, { schema: ss })
      expect(exposed.clients).toBe(1)
      expect(await remote.add('Start')).toBe(Result.Executed)
      expect(src.is('Start')).toBe(true)
      expect(remote.is('Start')).toBe(true)
      expect(await remote.add('Ready', undefined)).toBe(Result.Executed)
      expect(await remote.remove('Start')).toBe(Result.Executed) // Ready requires Start: both go
      expect(src.is('Ready')).toBe(false)
      src.add('Start')
      await remote.when('Start', { timeout: 3000 })
      const two = remote.whenTicks('Job', 2, { timeout: 3000 })
      src.add('Job'); src.add('Job')
      await two
      expect(remote.time()).toEqual(src.time())
      // a remote waiter on args, answered by the source's side
      const job7 = remote.whenArgs('Job', { id: 7 }, { timeout: 3000 })
      expect(await remote.add('Job', { id: 7 })).toBe(Result.Executed)
      await job7
      await remote.close()
      await eventually(() => exposed.clients === 0)
    })

    it('fails at once for a machine nobody exposes', async () => {
      const t0 = Date.now()
      const err = await pair.b.machine('nobody', { timeout: 15_000 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ClusterError)
      expect((err as ClusterError).code).toBe('ERR_CLUSTER_NOT_FOUND')
      expect(Date.now() - t0).toBeLessThan(10_000) // not the 15 s deadline
    })

    it('refuses bad input with library errors', async () => {
      await expect(pair.a.expose({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(pair.b.list({ tag: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(pair.b.machine('' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(pair.b.machine('x', { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      await expect(pair.b.machine('x', 'y' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
      const m = fresh('dup')
      await pair.a.expose(m)
      await expect(pair.a.expose(m)).rejects.toMatchObject({ code: 'ERR_CLUSTER_EXPOSED' })
    })

    it('unexposing leaves the listing and disconnects the mirrors', async () => {
      const src = fresh('gone')
      const exposed = await pair.a.expose(src, { tags: ['t'] })
      const remote = await pair.b.machine(src.id, { schema: ss })
      await exposed.close()
      expect(await pair.b.list({ id: src.id })).toEqual([])
      await remote.client.when('Disconnected', { timeout: 5000 })
      await expect(remote.add('Start')).rejects.toMatchObject({ code: 'ERR_RPC_CLOSED' })
      await expect(pair.b.machine(src.id)).rejects.toMatchObject({ code: 'ERR_CLUSTER_NOT_FOUND' })
    })
  })
}
