import { InProcessBus } from '../../lib/cluster/index.js'
import { busContract } from './contract.js'

busContract('InProcessBus', async () => {
  const bus = new InProcessBus({ id: 'local' })
  return { a: bus, b: bus, cleanup: () => bus.close() }
})
