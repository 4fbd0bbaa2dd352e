/**
 * An ask the keyed set refuses at once (maxBuffered reached) rejects with ERR_CLUSTER_OVERFLOW and leaves nothing
 * behind: no listener on the caller's signal, no timer waiting for the ask's timeout.
 */
import { getEventListeners } from 'node:events'
import { afterEach, expect, it } from 'vitest'
import { ActorSystem } from '../../lib/actor/index.js'
import { InProcessBus } from '../../lib/cluster/index.js'
import { MemoryStore } from '../../lib/store/index.js'
import { eventually } from './contract.js'
import { ledgerOptions, type Ledger } from './keyed-contract.js'

const bus = new InProcessBus({ id: 'overflow' })
const system = new ActorSystem({ id: 'overflow' })
afterEach(async () => {
  await bus.close()
  await system.shutdown({ timeout: 2000 })
})

it('an ask refused for overflow leaves no listener on its signal', async () => {
  const k = await bus.keyed('ledger', ledgerOptions(system, new MemoryStore(), { maxBuffered: 1 })) as Ledger
  const slow = new AbortController()
  const held = k.ref('a').ask('Slow', undefined, { signal: slow.signal, timeout: 10_000 }).catch((e: unknown) => e)
  expect(k.buffered).toBe(1)
  const ctl = new AbortController()
  await expect(k.ref('b').ask('Append', { item: 'x' }, { signal: ctl.signal, timeout: 60_000 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_OVERFLOW' })
  expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0)
  slow.abort(new Error('done'))
  expect(await held).toMatchObject({ message: 'done' })
  await eventually(() => k.buffered === 0) // the slow message's slot is freed once its cancel ends it
})
