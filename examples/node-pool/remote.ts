/**
 * polymachine/node: clients in other processes. The supervisor serves its pool over RPC (`pool.serve()`, TCP on
 * 127.0.0.1 with a token) and forks two client processes (this same file, with `--client`). Each client connects
 * (`NodeClient.connect(url, { token })`), is leased a worker of its own and sends it jobs directly (over the worker's
 * own TCP server). Client "b" first crashes its worker on purpose: its job fails with `ERR_NODE_WORKER_LOST`, and its
 * next run gets another worker.
 *
 * Run: npx tsx examples/node-pool/remote.ts
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { NodeClient, NodeError, NodeSupervisor } from '../../lib/node/index.js'
import type { Task } from './worker.js'

const LIMIT = 2_000_000

async function client(url: string, token: string, id: string, crashFirst: boolean): Promise<void> {
  const c = NodeClient.connect(url, { token, id })
  if (crashFirst) {
    try {
      await c.run<never>({ crash: true } satisfies Task)
    } catch (err) {
      if (!(err instanceof NodeError) || err.code !== 'ERR_NODE_WORKER_LOST') throw err
      console.log(`client ${id}: my worker died (${err.code}); asking for another`)
    }
  }
  const half = id === 'a' ? { from: 0, to: LIMIT / 2 } : { from: LIMIT / 2, to: LIMIT }
  const { count, workerId } = await c.run<{ count: number; workerId: string }>(half satisfies Task)
  console.log(`client ${id} (pid ${process.pid}): ${count} primes in [${half.from}, ${half.to}) on worker ${workerId}`)
  await c.close()
}

async function supervisor(): Promise<void> {
  const pool = new NodeSupervisor({ entry: new URL('./worker.ts', import.meta.url), min: 1, max: 3,
    backoff: { min: 50, max: 1000 } })
  pool.machine.bind({
    ClientRequestedState: (e) => console.log(`supervisor: client ${String(e.args.clientId)} asks for a worker`),
    ErrWorkerState: (e) => console.log(`supervisor: ErrWorker: ${(e.args.err as NodeError).message}`),
  })
  await pool.start()
  const { url, token } = await pool.serve()
  console.log(`supervisor (pid ${process.pid}): serving ${url}`)
  const self = fileURLToPath(import.meta.url)
  const clients = [['a', ''], ['b', 'crash']].map(([id, crash]) => {
    const child = fork(self, ['--client', url, token, id as string, crash as string], { execArgv: ['--import', 'tsx'] })
    return new Promise<number | null>((resolve) => child.on('exit', resolve))
  })
  const codes = await Promise.all(clients)
  console.log(`clients exited with ${codes.join(', ')}; workers leased now: ${pool.workers.filter((w) => w.leasedBy).length}`)
  await pool.close()
  console.log(`pool closed: ${pool.machine.is('Stopped') ? 'Stopped' : 'not stopped'}, ${pool.workers.length} workers left`)
}

const i = process.argv.indexOf('--client')
if (i >= 0) {
  const [url = '', token = '', id = '', crash = ''] = process.argv.slice(i + 1)
  await client(url, token, id, crash === 'crash')
} else {
  await supervisor()
}
