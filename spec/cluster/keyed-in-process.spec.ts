/**
 * Cluster keyed actors on the in-process bus: one node, every lease local, the same contract as over NATS.
 */
import { ActorSystem } from '../../lib/actor/index.js'
import { InProcessBus } from '../../lib/cluster/index.js'
import { MemoryStore } from '../../lib/store/index.js'
import { FlakyStore } from './fixtures/ledger.js'
import { keyedContract, ledgerOptions, type Ledger } from './keyed-contract.js'

keyedContract('InProcessBus', async () => {
  const bus = new InProcessBus({ id: 'local' })
  const store = new FlakyStore(new MemoryStore())
  const systems: ActorSystem[] = []
  return {
    nodes: 1,
    store,
    open: async (_node, extra = {}, name = 'ledger') => {
      const system = new ActorSystem({ id: `local-${systems.length}` })
      systems.push(system)
      return await bus.keyed(name, ledgerOptions(system, store, extra)) as Ledger
    },
    cleanup: async () => {
      await bus.close()
      await Promise.all(systems.map((s) => s.shutdown({ timeout: 2000 })))
    },
  }
})
