/**
 * `PoolWorker.listen()` against a worker that answers late: the first listen times out, the next one gets the
 * worker's answer. The worker keeps the TCP server (and the token) it made for the first `listen`, so the token
 * handed to clients must be that one.
 */
import { expect, it } from 'vitest'
import type { IpcControl } from '../../lib/node/ipc.js'
import { PoolWorker } from '../../lib/node/pool-worker.js'
import type { Exit, WorkerHandle } from '../../lib/node/process.js'

/** A worker handle that records the control messages sent to it and answers only when told. */
function fakeHandle(): { proc: WorkerHandle; sent: IpcControl[] } {
  const sent: IpcControl[] = []
  const proc = {
    id: 'w1', pid: 1, threadId: undefined, label: 'pid 1', exit: null, stderrTail: '',
    exited: new Promise<Exit>(() => undefined),
    hub: { ended: false, control: (m: IpcControl) => sent.push(m) > 0 },
    onReady: () => undefined, onDrained: () => undefined, onListening: () => undefined, onExit: () => undefined,
    kill: () => undefined, disconnect: () => undefined,
  }
  return { proc: proc as unknown as WorkerHandle, sent }
}

it('a listen asked again after a timeout hands out the token the worker serves with', async () => {
  const { proc, sent } = fakeHandle()
  const w = new PoolWorker('w1', proc)
  await expect(w.listen(20)).rejects.toMatchObject({ code: 'ERR_NODE_WORKER_LOST' })
  const first = sent[0]
  expect(first?.pm).toBe('listen')
  const again = w.listen(5000)
  // the worker made its server for the first listen and answers with it (worker.ts: one server per worker)
  proc.onListening('tcp://127.0.0.1:1234', null)
  const address = await again
  expect(address.url).toBe('tcp://127.0.0.1:1234')
  expect(address.token).toBe((first as { t: string }).t)
})
