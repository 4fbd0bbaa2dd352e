/**
 * The worker module of examples/node-pool: counts the primes in a range (CPU-bound), or crashes its process on
 * purpose when asked to.
 */
import { runWorker } from '../../lib/node/index.js'

export type Task = { from: number; to: number } | { crash: true }

function isPrime(n: number): boolean {
  if (n < 2) return false
  if (n % 2 === 0) return n === 2
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false
  return true
}

runWorker((task: Task, { workerId }) => {
  if ('crash' in task) process.exit(1) // a native crash, an OOM, a bug: the process is gone, mid-job
  let count = 0
  for (let n = task.from; n < task.to; n++) if (isPrime(n)) count++
  return { count, workerId }
})
