import { InProcessBus } from '../../lib/cluster/index.js'
import { actorContract } from './actor-contract.js'
import { busContract } from './contract.js'

busContract('InProcessBus', async () => {
  const bus = new InProcessBus({ id: 'local' })
  return { a: bus, b: bus, cleanup: () => bus.close() }
})

actorContract('InProcessBus', async () => {
  const bus = new InProcessBus({ id: 'local-actors' })
  return { a: bus, b: bus, cleanup: () => bus.close() }
})
