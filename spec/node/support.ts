/**
 * Helpers of the spec/node tests: the fixture worker module, pools closed after each test, and checks that a pid is
 * gone (a zombie counts as gone: it has exited, only its parent has not reaped it yet).
 *
 * The fixture worker is TypeScript (fixtures/worker.ts). `WORKER` runs it through tsx, as users run a .ts worker;
 * most tests use `WORKER_JS`, the same module bundled by esbuild into plain JavaScript once per test file, as users
 * ship workers: a worker then starts in tens of ms instead of compiling the library first, which keeps the suite
 * fast on a loaded machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'
import { afterAll, afterEach } from 'vitest'
import { NodeSupervisor, type NodeSupervisorOptions } from '../../lib/node/index.js'

export const WORKER = new URL('./fixtures/worker.ts', import.meta.url)

const bundleDir = mkdtempSync(join(tmpdir(), 'pm-node-js-'))
/** fixtures/worker.ts and the library, bundled into one plain CommonJS file (ws requires Node built-ins). */
export const WORKER_JS = join(bundleDir, 'worker.cjs')
buildSync({ entryPoints: [fileURLToPath(WORKER)], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  outfile: WORKER_JS, logLevel: 'error' })
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }))

const open: NodeSupervisor[] = []

/** A pool of the fixture worker, closed after the test; fast backoff and small sizes by default. */
export function pool(opts: Partial<NodeSupervisorOptions> = {}): NodeSupervisor {
  const p = new NodeSupervisor({ entry: WORKER_JS, min: 1, max: 2, silent: true, backoff: { min: 20, max: 200 },
    drainTimeout: 2000, ...opts })
  open.push(p)
  return p
}

const dirs: string[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close({ timeout: 1000 })))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A gate for `{ op: 'gate', path }` jobs: they run until `open()`. */
export function gate(): { path: string; open: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pm-node-'))
  dirs.push(dir)
  const path = join(dir, 'open')
  return { path, open: () => writeFileSync(path, '') }
}

/** True while the process runs (not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return process.platform !== 'linux' // no /proc: trust kill(0)
  }
}

/** Writes a plain JavaScript worker module (a file in the bundle's directory) and returns its path. */
export function jsModule(name: string, source: string): string {
  const file = join(bundleDir, name)
  writeFileSync(file, source)
  return file
}

/** Polls `cond` every 20 ms; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The pids of the pool's ready workers. */
export function readyPids(p: NodeSupervisor): number[] {
  return p.workers.filter((w) => w.status === 'ready').map((w) => w.pid as number)
}

/** How many times a multi state was entered (its tick counts up by 2 per entry, odd while active). */
export function entries(tick: number): number {
  return Math.ceil(tick / 2)
}
