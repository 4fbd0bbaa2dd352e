/**
 * polymachine/node: a pool of worker processes doing CPU-bound work, one of them crashing on purpose.
 *
 * - a `NodeSupervisor` forks workers from ./worker.ts (2 ready, up to 3) and waits for `PoolReady`;
 * - 12 chunks of "count the primes below 3 000 000" run on the pool in parallel (`pool.run(task, { retries: 1 })`);
 * - meanwhile one job crashes its worker (`process.exit(1)`): that job fails with `ERR_NODE_WORKER_LOST`, the
 *   supervisor records `ErrWorker` (exit code 1) and forks a replacement; jobs caught on the dead worker run again
 *   on another one;
 * - `pool.close()` lets the workers finish and exit; no process is left behind.
 *
 * Run: npx tsx examples/node-pool/main.ts           (worker processes)
 *      npx tsx examples/node-pool/main.ts --threads (the same worker module in worker_threads: kind 'thread')
 */
import { NodeError, NodeSupervisor } from '../../lib/node/index.js'
import type { Task } from './worker.js'

const LIMIT = 3_000_000
const CHUNKS = 12
const kind = process.argv.includes('--threads') ? 'thread' : 'process'

const pool = new NodeSupervisor({
  entry: new URL('./worker.ts', import.meta.url), // a .ts entry runs through tsx (execArgv: ['--import', 'tsx'])
  kind,
  min: 2,
  max: 3,
  backoff: { min: 50, max: 1000 },
})
pool.machine.bind({
  ErrWorkerState: (e) => console.log(`supervisor: ErrWorker: ${(e.args.err as NodeError).message}`),
  WorkerReadyState: (e) => console.log(`supervisor: worker ${String(e.args.workerId)} ready (${kind === 'thread' ? 'a thread' : `pid ${String(e.args.pid)}`})`),
})

const t0 = performance.now()
await pool.start()
console.log(`pool ready: ${pool.workers.length} workers in ${Math.round(performance.now() - t0)} ms`)

const size = LIMIT / CHUNKS
const tasks: Task[] = Array.from({ length: CHUNKS }, (_, i) => ({ from: i * size, to: (i + 1) * size }))
const t1 = performance.now()
const counting = Promise.all(tasks.map((t) => pool.run<{ count: number; workerId: string }>(t, { retries: 1 })))
const crash = pool.run({ crash: true } satisfies Task).then(
  () => 'no crash?',
  (err: unknown) => err instanceof NodeError ? `${err.code} (exit code ${String(err.exitCode)})` : String(err))
const [results, crashed] = await Promise.all([counting, crash])
const byWorker = new Map<string, number>()
for (const r of results) byWorker.set(r.workerId, (byWorker.get(r.workerId) ?? 0) + 1)

console.log(`the crashing job: ${crashed}`)
console.log(`primes below ${LIMIT}: ${results.reduce((n, r) => n + r.count, 0)} in ${Math.round(performance.now() - t1)} ms`)
console.log(`chunks per worker: ${[...byWorker].map(([id, n]) => `${id.slice(-2)}=${n}`).sort().join(' ')}`)
console.log(`worker failures recorded: ${Math.ceil(pool.machine.tick('ErrWorker') / 2)}`)

const pids = pool.workers.map((w) => w.pid)
await pool.close()
const alive = pids.filter((pid) => {
  try {
    process.kill(pid as number, 0)
    return true
  } catch {
    return false
  }
})
console.log(`pool closed: ${pool.machine.is('Stopped') ? 'Stopped' : pool.machine.toString()}, ${alive.length} worker processes left`)
