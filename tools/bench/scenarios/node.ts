/**
 * node (polymachine/node only): per-task overhead of a pool of 2 worker processes — sequential (each task timed
 * alone) and pipelined (many tasks at once) — against a raw `child_process` IPC echo measured in the same run (the
 * same serialization, no library code); time to replace a worker killed with SIGKILL; fork-to-ready time; memory per
 * idle worker. The worker modules are written to a temp directory (TypeScript, run through tsx like the library's
 * own tests). piscina and tinypool are not installed: their figures from issue 17 are the goals.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NodeSupervisor } from '../../../lib/node/index.js'
import { latencyRows, now, onceRow, pct, textRow } from '../actor-kit.js'
import type { Check, Goal, Row, Scenario } from '../run.js'

const LIB = fileURLToPath(new URL('../../../lib/node/index.ts', import.meta.url))

/** The bench's worker: returns n + 1 (the work is nothing: what is measured is the overhead). */
const WORKER = `import { runWorker } from ${JSON.stringify(LIB)}\nrunWorker((input: { n: number }) => input.n + 1)\n`
/** The baseline: echoes each IPC message with n + 1, no library. */
const ECHO = `process.on('message', (m: { n: number }) => process.send!({ n: m.n + 1 }))\n`

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Resident memory of a process in bytes (Linux /proc); NaN elsewhere. */
function rss(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}

/** Raw IPC echo children: the same fork options as the pool's workers. */
class Echo {
  readonly child: ChildProcess
  #waiting = new Map<number, () => void>()

  constructor(file: string) {
    this.child = fork(file, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (m: { n: number }) => {
      const done = this.#waiting.get(m.n - 1)
      this.#waiting.delete(m.n - 1)
      done?.()
    })
  }

  ready(): Promise<void> {
    return this.send(0)
  }

  send(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.set(n, resolve)
      this.child.send({ n })
    })
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill()
    await exited
  }
}

export const node: Scenario = {
  name: 'node',
  title: 'node: per-task overhead of a pool of 2 worker processes (sequential, pipelined) vs a raw child_process IPC echo; replacing a killed worker; memory per idle worker',
  async run(_opts, quick) {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-node-'))
    const workerFile = join(dir, 'worker.mts')
    const echoFile = join(dir, 'echo.mts')
    writeFileSync(workerFile, WORKER)
    writeFileSync(echoFile, ECHO)
    const rows: Row[] = []
    const checks: Check[] = []
    const goals: Goal[] = []
    const pids: Array<number | undefined> = []
    const echoes = [new Echo(echoFile), new Echo(echoFile)]
    const pool = new NodeSupervisor({ entry: workerFile, min: 2, max: 2, health: { interval: 0 }, backoff: { min: 0, max: 10 } })
    try {
      const t0 = now()
      await Promise.all([pool.start(), ...echoes.map((e) => e.ready())])
      const startNs = Number(now() - t0)
      for (const w of pool.workers) pids.push(w.pid)
      for (const e of echoes) pids.push(e.child.pid)
      const echo = echoes[0] as Echo

      // sequential: each task timed alone, interleaved with raw echoes in blocks of 50
      const warm = quick ? 200 : 2000
      const count = quick ? 600 : 20_000
      const lib: number[] = []
      const raw: number[] = []
      let wrong = 0
      for (let i = 0; i < warm; i++) {
        if ((await pool.run<number>({ n: i })) !== i + 1) wrong++
        await echo.send(i)
      }
      for (let done = 0; done < count; done += 50) {
        for (let i = 0; i < 50; i++) {
          const t = now()
          const r = await pool.run<number>({ n: i })
          lib.push(Number(now() - t))
          if (r !== i + 1) wrong++
        }
        for (let i = 0; i < 50; i++) {
          const t = now()
          await echo.send(i)
          raw.push(Number(now() - t))
        }
      }
      rows.push(...latencyRows('pool.run sequential, pool of 2', lib), ...latencyRows('raw IPC echo round trip', raw))
      const seq50 = pct([...lib].sort((a, b) => a - b), 0.5)
      const raw50 = pct([...raw].sort((a, b) => a - b), 0.5)

      // pipelined: many tasks at once over 2 workers (tasksPerWorker 1: one in flight per worker, the rest queued)
      const n = quick ? 2000 : 50_000
      const reps = quick ? 1 : 3
      const runs: number[] = []
      const raws: number[] = []
      for (let r = 0; r < reps; r++) {
        let t = now()
        const results = await Promise.all(Array.from({ length: n }, (_, i) => pool.run<number>({ n: i })))
        runs.push(Number(now() - t))
        wrong += results.filter((v, i) => v !== i + 1).length
        t = now()
        await Promise.all(Array.from({ length: n }, (_, i) => (echoes[i % 2] as Echo).send(i)))
        raws.push(Number(now() - t))
      }
      const med = (xs: number[]): number => pct([...xs].sort((a, b) => a - b), 0.5)
      rows.push(onceRow(`pool.run pipelined, ${n.toLocaleString('en')} tasks, pool of 2 (median of ${reps})`, med(runs), n),
        onceRow(`raw IPC echo pipelined over 2 children, ${n.toLocaleString('en')} messages`, med(raws), n))
      const perSec = n / (med(runs) / 1e9)

      // the same with 4 tasks in flight per worker, and a NodeClient's jobs (RPC: request, reply, payload)
      const wide = new NodeSupervisor({ entry: workerFile, min: 2, max: 2, tasksPerWorker: 4, health: { interval: 0 } })
      await wide.start()
      for (const w of wide.workers) pids.push(w.pid)
      const wides: number[] = []
      for (let r = 0; r < reps; r++) {
        const t = now()
        const results = await Promise.all(Array.from({ length: n }, (_, i) => wide.run<number>({ n: i })))
        wides.push(Number(now() - t))
        wrong += results.filter((v, i) => v !== i + 1).length
      }
      const client = wide.client()
      const viaRpc: number[] = []
      for (let i = 0; i < warm + count; i++) {
        const t = now()
        if ((await client.run<number>({ n: i })) !== i + 1) wrong++
        if (i >= warm) viaRpc.push(Number(now() - t))
      }
      await client.close()
      await wide.close({ timeout: 2000 })
      rows.push(onceRow(`pool.run pipelined, tasksPerWorker 4 (median of ${reps})`, med(wides), n),
        ...latencyRows('NodeClient.run sequential (RPC mirror + payload)', viaRpc))
      const widePerSec = n / (med(wides) / 1e9)
      checks.push({ name: 'node: every task returned its own input + 1', ok: wrong === 0, detail: `${wrong} wrong` })

      // memory of idle workers, after a moment to settle
      await sleep(200)
      const mem = pool.workers.map((w) => rss(w.pid))
      const echoMem = echoes.map((e) => rss(e.child.pid))
      const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB RSS`
      rows.push(textRow('memory per idle worker (RSS)', mb(mem.reduce((a, b) => a + b, 0) / mem.length)),
        textRow('memory per raw echo child (RSS, tsx loaded, no library)', mb(echoMem.reduce((a, b) => a + b, 0) / echoMem.length)))

      // replacing a worker killed with SIGKILL (backoff 0 … 10 ms): kill → the replacement is ready
      const victim = pool.workers[0]?.pid as number
      const t = now()
      process.kill(victim, 'SIGKILL')
      await pool.machine.when('ErrWorker', { timeout: 10_000 })
      await pool.machine.when('PoolReady', { timeout: 30_000 })
      const replaceNs = Number(now() - t)
      for (const w of pool.workers) pids.push(w.pid)
      rows.push(onceRow('replace a SIGKILLed worker (kill → PoolReady again)', replaceNs, 1),
        onceRow('start a pool of 2 (fork → both ready; tsx compiles the worker)', startNs, 1))

      goals.push({
        name: 'node: sequential per-task overhead ≤ piscina (≈ 75 µs, issue 17)',
        pass: seq50 <= 75_000,
        detail: `p50 ${(seq50 / 1e3).toFixed(1)} µs; raw IPC round trip p50 ${(raw50 / 1e3).toFixed(1)} µs (${(seq50 / raw50).toFixed(2)}×)`,
      }, {
        name: 'node: pipelined throughput ≥ piscina (≈ 35 k tasks/s, issue 17)',
        pass: Math.max(perSec, widePerSec) >= 35_000,
        detail: `${(perSec / 1e3).toFixed(1)} k tasks/s (tasksPerWorker 4: ${(widePerSec / 1e3).toFixed(1)} k/s); ` +
          `raw ${(n / (med(raws) / 1e9) / 1e3).toFixed(1)} k messages/s`,
      })
    } finally {
      await pool.close({ timeout: 2000 })
      await Promise.all(echoes.map((e) => e.close()))
      rmSync(dir, { recursive: true, force: true })
    }
    await sleep(50)
    const left = pids.filter(alive)
    checks.push({ name: 'node: no worker or echo process left after close()', ok: left.length === 0,
      detail: `${left.length} of ${pids.length} pids alive` })
    return {
      rows, checks, goals,
      notes: [
        'pool: NodeSupervisor with min = max = 2, health checks off, a TypeScript worker run through tsx returning ' +
          'n + 1; a task is pool.run({ n }): WorkRequested on the worker over RPC over the IPC channel, the result ' +
          'back as a payload. Raw: a child echoing { n } over the same IPC channel (serialization "advanced"), no library.',
        'sequential: each task awaited and timed alone, in blocks of 50 interleaved with as many raw echoes ' +
          '(after a warm-up); p50/p99, best = fastest one.',
        'pipelined: all tasks started at once (Promise.all); the pool keeps one task (tasksPerWorker 1, the default) ' +
          'or 4 in flight per worker and queues the rest; raw: all messages sent at once, alternating between two children.',
        'NodeClient.run: a client with a leased worker; each job is an RPC WorkRequested mutation, its reply and a ' +
          'WorkReady payload (pool.run takes the direct IPC lane: one message each way).',
        'memory: VmRSS of each idle process (Linux); both kinds load tsx, so the difference is the library and its RPC.',
      ],
    }
  },
}
