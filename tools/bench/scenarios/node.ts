/**
 * node (polymachine/node, piscina 5, tinypool 2 in the same run): per-task overhead of a pool of 2 workers —
 * sequential (each task timed alone) and pipelined (many tasks at once) — for polymachine's process workers
 * (`child_process.fork`) and thread workers (`kind: 'thread'`), piscina and tinypool (both worker_threads), with two
 * raw baselines without any pool (a forked child and a thread echoing each message); time to replace a killed worker;
 * memory per idle worker. Every worker module is plain JavaScript in a temp directory (polymachine's is bundled by
 * esbuild, as the tests run it), so no loader is measured.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { buildSync } from 'esbuild'
import { Piscina } from 'piscina'
import Tinypool from 'tinypool'
import { NodeClient, NodeSupervisor, type NodeSupervisorOptions } from '../../../lib/node/index.js'
import { latencyRows, now, onceRow, pct, textRow } from '../actor-kit.js'
import type { Check, Goal, Row, Scenario } from '../run.js'

const LIB = fileURLToPath(new URL('../../../lib/node/index.ts', import.meta.url))

type Input = { n: number; exit?: boolean }
/** Each worker returns n + 1 (the work is nothing: what is measured is the overhead); `exit` kills the worker. */
const WORKER = `import { runWorker } from ${JSON.stringify(LIB)}
runWorker((i: { n: number; exit?: boolean }) => { if (i.exit) process.exit(1); return i.n + 1 })\n`
const TASK = 'module.exports = (i) => { if (i.exit) process.exit(1); return i.n + 1 }\n'
const FORK_ECHO = "process.on('message', (m) => process.send({ n: m.n + 1 }))\n"
const THREAD_ECHO = "const { parentPort } = require('node:worker_threads')\nparentPort.on('message', (m) => parentPort.postMessage({ n: m.n + 1 }))\n"

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const med = (xs: number[]): number => pct([...xs].sort((a, b) => a - b), 0.5)
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`

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

/** A task runner: one of the pools, or a raw echo over 2 children / threads. */
interface Runner {
  readonly name: string
  run(i: Input): Promise<number>
  close(): Promise<void>
}

/** Raw baseline: 2 echo children (fork) or threads, alternated; no pool, no queue, no library. */
function echo(name: string, file: string, kind: 'fork' | 'thread', pids: Array<number | undefined>): Runner & { pids: number[] } {
  const own: number[] = []
  const waiting = new Map<number, (v: number) => void>()
  let seq = 0
  const onMessage = (m: { n: number }): void => {
    const done = waiting.get(m.n - 1)
    waiting.delete(m.n - 1)
    done?.(m.n)
  }
  const ends = [0, 1].map(() => {
    if (kind === 'thread') {
      const w = new Worker(file)
      w.on('message', onMessage)
      return { send: (m: unknown) => w.postMessage(m), close: () => w.terminate().then(() => undefined) }
    }
    const c: ChildProcess = fork(file, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    pids.push(c.pid)
    if (c.pid !== undefined) own.push(c.pid)
    c.on('message', onMessage)
    return {
      send: (m: unknown) => c.send(m as object),
      close: () => new Promise<void>((r) => {
        c.once('exit', () => r())
        c.kill()
      }),
    }
  })
  return {
    name,
    pids: own,
    // the echo adds 1 to the number it gets: each message carries a unique key (its result is key + 1)
    run: (i) => new Promise((resolve) => {
      const key = seq++
      waiting.set(key, (v) => resolve(v - key + i.n))
      ;(ends[key % 2] as { send: (m: unknown) => void }).send({ n: key })
    }),
    close: async () => {
      await Promise.all(ends.map((e) => e.close()))
    },
  }
}

function ours(name: string, file: string, opts: Partial<NodeSupervisorOptions>): Runner & { pool: NodeSupervisor } {
  const pool = new NodeSupervisor({ entry: file, min: 2, max: 2, health: { interval: 0 }, backoff: { min: 0, max: 10 },
    silent: true, ...opts })
  return { name, pool, run: (i) => pool.run<number>(i), close: () => pool.close({ timeout: 2000 }) }
}

/** A client through `pool.serve()` / `NodeClient.connect()` (TCP to the supervisor, then to its own worker). */
async function remoteClient(file: string): Promise<Runner> {
  const r = ours('', file, { min: 1, max: 1 })
  await r.pool.start()
  const { url, token } = await r.pool.serve()
  const client = NodeClient.connect(url, { token })
  await client.start()
  return {
    name: 'polymachine client over TCP (NodeClient.connect, 1 worker process)',
    run: (i) => client.run<number>(i),
    close: async () => {
      await client.close()
      await r.close()
    },
  }
}

function piscina(file: string, threads = 2): Runner {
  const pool = new Piscina({ filename: file, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 })
  return { name: 'piscina', run: (i) => pool.run(i) as Promise<number>, close: () => pool.destroy() }
}

function tinypool(file: string, threads = 2): Runner {
  const pool = new Tinypool({ filename: file, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 })
  return { name: 'tinypool', run: (i) => pool.run(i) as Promise<number>, close: () => pool.destroy() }
}

/** Rejects after `ms` (a pool that never answers fails the bench instead of hanging it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

export const node: Scenario = {
  name: 'node',
  title: 'node: per-task overhead of a pool of 2 workers (sequential, pipelined): polymachine processes and threads vs piscina, tinypool and raw echoes; replacing a killed worker; memory per idle worker',
  async run(_opts, quick) {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-node-'))
    const file = (name: string, src: string): string => {
      writeFileSync(join(dir, name), src)
      return join(dir, name)
    }
    const ourFile = join(dir, 'worker.cjs')
    buildSync({ entryPoints: [file('worker.mts', WORKER)], bundle: true, platform: 'node', format: 'cjs',
      target: 'node20', outfile: ourFile, logLevel: 'error' })
    const taskFile = file('task.cjs', TASK)
    const rows: Row[] = []
    const checks: Check[] = []
    const goals: Goal[] = []
    const pids: Array<number | undefined> = []
    let wrong = 0
    const proc = ours('polymachine processes', ourFile, {})
    const thread = ours('polymachine threads', ourFile, { kind: 'thread' })
    const forkEcho = echo('raw fork IPC echo', file('echo.cjs', FORK_ECHO), 'fork', pids)
    const runners: Runner[] = [proc, thread, piscina(taskFile), tinypool(taskFile), forkEcho,
      echo('raw worker_threads echo', file('techo.cjs', THREAD_ECHO), 'thread', pids)]
    const extra: Runner[] = []
    try {
      const t0 = now()
      await proc.pool.start()
      const startNs = Number(now() - t0)
      await thread.pool.start()
      for (const w of proc.pool.workers) pids.push(w.pid)
      const check = (v: number, n: number): void => {
        if (v !== n + 1) wrong++
      }

      // sequential: each task timed alone, in blocks of 50 per runner, rotating (after a warm-up); the remote client
      // only here (it holds one worker: pipelining it measures its worker's queue, not the pool)
      const remote = await remoteClient(ourFile)
      extra.push(remote)
      const seqRunners = [...runners, remote]
      const warm = quick ? 100 : 1000
      const count = quick ? 300 : 10_000
      const seq = new Map<string, number[]>(seqRunners.map((r) => [r.name, []]))
      for (const r of seqRunners) for (let i = 0; i < warm; i++) check(await within(r.run({ n: i }), 10_000, r.name), i)
      for (let done = 0; done < count; done += 50) {
        for (const r of seqRunners) {
          const xs = seq.get(r.name) as number[]
          for (let i = 0; i < 50; i++) {
            const t = now()
            const v = await r.run({ n: i })
            xs.push(Number(now() - t))
            check(v, i)
          }
        }
      }
      for (const r of seqRunners) rows.push(...latencyRows(`${r.name}: sequential`, seq.get(r.name) as number[]))

      // pipelined: n tasks at once (Promise.all); one in flight per worker (the pools' default), the rest queued
      const wideProc = ours('polymachine processes, tasksPerWorker 16', ourFile, { tasksPerWorker: 16 })
      const wideThread = ours('polymachine threads, tasksPerWorker 16', ourFile, { kind: 'thread', tasksPerWorker: 16 })
      extra.push(wideProc, wideThread)
      await Promise.all([wideProc.pool.start(), wideThread.pool.start()])
      for (const w of wideProc.pool.workers) pids.push(w.pid)
      const piped = [...runners, wideProc, wideThread]
      const n = quick ? 2000 : 30_000
      const reps = quick ? 1 : 3
      const pipe = new Map<string, number[]>(piped.map((r) => [r.name, []]))
      for (let rep = 0; rep < reps; rep++) {
        for (const r of piped) {
          const t = now()
          const out = await within(Promise.all(Array.from({ length: n }, (_, i) => r.run({ n: i }))), 60_000, r.name)
          ;(pipe.get(r.name) as number[]).push(Number(now() - t))
          out.forEach(check)
        }
      }
      const perSec = new Map<string, number>()
      for (const r of piped) {
        const ns = med(pipe.get(r.name) as number[])
        perSec.set(r.name, n / (ns / 1e9))
        rows.push(onceRow(`${r.name}: pipelined, ${n.toLocaleString('en')} tasks (median of ${reps})`, ns, n))
      }

      // replacing a killed worker: a pool of 1; a task calls process.exit(1), then the next task is timed until the
      // replacement answers it (polymachine: backoff 0…10 ms; the others replace at once)
      const ones: Runner[] = [ours('polymachine processes', ourFile, { min: 1, max: 1 }),
        ours('polymachine threads', ourFile, { kind: 'thread', min: 1, max: 1 }), piscina(taskFile, 1), tinypool(taskFile, 1)]
      extra.push(...ones)
      for (const r of ones) {
        if ('pool' in r) await (r.pool as NodeSupervisor).start()
        check(await within(r.run({ n: 1 }), 10_000, r.name), 1)
        const reps2 = quick ? 1 : 3
        const times: number[] = []
        try {
          for (let k = 0; k < reps2; k++) {
            const t = now()
            await within(r.run({ n: 0, exit: true }).then(() => wrong++, () => undefined), 3000, r.name)
            check(await within(r.run({ n: 2 }), 30_000, `${r.name} after a kill`), 2)
            times.push(Number(now() - t))
          }
        } catch (err) {
          // tinypool 2: the task of a worker that exits never settles, and no task runs again
          rows.push(textRow(`${r.name}: a worker exits → …`, `never answered: ${String(err)}`))
          continue
        }
        rows.push(onceRow(`${r.name}: a worker exits → the next task answered by its replacement (median of ${reps2})`,
          med(times), 1))
      }
      rows.push(onceRow('polymachine processes: start a pool of 2 (fork → both ready)', startNs, 1))

      // memory: RSS of each idle worker process; for threads, what 4 idle threads add to this process's RSS
      await sleep(200)
      const procMem = proc.pool.workers.map((w) => rss(w.pid))
      const echoMem = forkEcho.pids.map(rss)
      rows.push(textRow('polymachine processes: memory per idle worker (its RSS)', mb(procMem.reduce((a, b) => a + b, 0) / procMem.length)),
        textRow('raw fork IPC echo: memory per idle child (its RSS, no library)', mb(echoMem.reduce((a, b) => a + b, 0) / echoMem.length)))
      const threadMem = async (name: string, make: () => Runner): Promise<void> => {
        await sleep(100)
        const before = process.memoryUsage().rss
        const r = make()
        extra.push(r)
        if ('pool' in r) await (r.pool as NodeSupervisor).start()
        await Promise.all(Array.from({ length: 8 }, (_, i) => r.run({ n: i })))
        await sleep(200)
        rows.push(textRow(`${name}: memory per idle worker (this process's RSS growth / 4 threads)`,
          mb((process.memoryUsage().rss - before) / 4)))
      }
      await threadMem('polymachine threads', () => ours('polymachine threads', ourFile, { kind: 'thread', min: 4, max: 4 }))
      await threadMem('piscina', () => piscina(taskFile, 4))
      await threadMem('tinypool', () => tinypool(taskFile, 4))

      const p50 = (name: string): number => pct([...(seq.get(name) as number[])].sort((a, b) => a - b), 0.5)
      const vs = (name: string): string => `${name} p50 ${(p50(name) / 1e3).toFixed(1)} µs`
      for (const kind of ['polymachine processes', 'polymachine threads']) {
        goals.push({
          name: `node: ${kind}, sequential per-task overhead ≤ piscina's (same run)`,
          pass: p50(kind) <= p50('piscina'),
          detail: `${vs(kind)}; ${vs('piscina')}; ${vs('tinypool')}; ${vs('raw fork IPC echo')}; ${vs('raw worker_threads echo')}`,
        })
        const k = (name: string): string => `${name} ${((perSec.get(name) ?? NaN) / 1e3).toFixed(1)} k/s`
        goals.push({
          name: `node: ${kind}, pipelined throughput ≥ piscina's (same run, pool of 2)`,
          pass: Math.max(perSec.get(kind) ?? 0, perSec.get(`${kind}, tasksPerWorker 16`) ?? 0) >= (perSec.get('piscina') ?? Infinity),
          detail: `${k(kind)} (tasksPerWorker 16: ${k(`${kind}, tasksPerWorker 16`)}); ${k('piscina')}; ${k('tinypool')}; ` +
            `${k(kind.includes('process') ? 'raw fork IPC echo' : 'raw worker_threads echo')}`,
        })
      }
    } finally {
      // bounded: tinypool's destroy() never settles after a worker exited under a task
      await Promise.all([...runners, ...extra].map((r) => within(r.close(), 5000, `${r.name}: close`).catch(() => undefined)))
      rmSync(dir, { recursive: true, force: true })
    }
    checks.push({ name: 'node: every task returned its own input + 1', ok: wrong === 0, detail: `${wrong} wrong` })
    await sleep(50)
    const left = pids.filter(alive)
    checks.push({ name: 'node: no worker or echo process left after close()', ok: left.length === 0,
      detail: `${left.length} of ${pids.length} pids alive` })
    return {
      rows, checks, goals,
      notes: [
        'pools of 2 workers returning n + 1: polymachine NodeSupervisor (min = max = 2, health checks off) with processes ' +
          "(child_process.fork, serialization 'advanced') or threads (kind 'thread'); piscina and tinypool (min = max " +
          '= 2 threads). Raw: 2 forked children / 2 threads echoing each message, alternated, no pool and no queue.',
        'piscina and tinypool use worker_threads: compare polymachine processes with the raw fork echo (the ceiling of ' +
          'child_process IPC), and polymachine threads with piscina and tinypool.',
        'sequential: each task awaited and timed alone, in blocks of 50 per runner in turn (after a warm-up); ' +
          'p50/p99, best = fastest one. A polymachine thread that finished its job parks up to 2 ms on an Atomics ' +
          'counter and takes the next message with receiveMessageOnPort (as piscina does), skipping its event loop. ' +
          "The remote client is NodeClient.connect() to pool.serve() in this process: RPC over TCP to its own worker.",
        'pipelined: all tasks started at once (Promise.all), median of the rounds (runners in turn); the pools keep ' +
          'one task in flight per worker (their default) and queue the rest; polymachine also with tasksPerWorker 16 ' +
          '(16 per worker, sent and answered in batches of one IPC message per turn).',
        'replacement: a pool of 1; a task calls process.exit(1), then the next task is timed until the new worker ' +
          'answers it (detection, start, first task). polymachine backoff 0–10 ms here (default 100 ms–5 s).',
        'memory: a worker process is its own RSS; a thread is what 4 idle threads add to this process (noisy: freed ' +
          "memory is not always returned to the OS, so later pools may look smaller).",
      ],
    }
  },
}
