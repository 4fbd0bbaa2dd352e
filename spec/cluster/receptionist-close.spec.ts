/**
 * A registration still on its way when its receptionist closes is refused (ERR_CLUSTER_CLOSED) and leaves nothing
 * behind: it is not listed for other nodes, and its actor is not served.
 */
import { afterEach, expect, it } from 'vitest'
import { ActorSystem, serviceKey, type ActorEvent } from '../../lib/actor/index.js'
import { InProcessBus } from '../../lib/cluster/index.js'
import { ClusterReceptionist } from '../../lib/cluster/receptionist.js'
import { schema } from '../../lib/machine/index.js'

const counter = schema({ Add: { multi: true } })
class Counter {
  total = 0
  AddState(e: ActorEvent): number {
    return (this.total += e.args.n as number)
  }
}
const Counters = serviceKey<typeof counter, Counter>('counters')

const bus = new InProcessBus({ id: 'rc' })
const system = new ActorSystem()
afterEach(async () => {
  await bus.close()
  await system.shutdown()
})

it('a register() racing close() is refused and leaves no listing behind', async () => {
  const closing = await ClusterReceptionist.open(bus, { node: 'a' })
  const other = await ClusterReceptionist.open(bus, { node: 'b' })
  const registered = closing.register(Counters, system.spawn(counter, new Counter(), { id: 'c1' })).catch((e: unknown) => e)
  await closing.close()
  expect(await registered).toMatchObject({ code: 'ERR_CLUSTER_CLOSED' })
  expect(await other.find(Counters)).toEqual([])
  await other.close()
})
