import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { alive, until, WORKER_JS } from './support.js'

const LIB = fileURLToPath(new URL('../../lib/node/index.ts', import.meta.url))

/** Starts a supervisor in its own process; resolves with it and its workers' pids once its pool is ready. */
async function supervisorProcess(body: string): Promise<{ pid: number; workers: number[]; exited: Promise<unknown> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-node-sup-'))
  const file = join(dir, 'sup.mts')
  writeFileSync(file, `
import { NodeSupervisor } from ${JSON.stringify(LIB)}
const pool = new NodeSupervisor({ entry: ${JSON.stringify(WORKER_JS)}, min: 2, max: 2, silent: true })
await pool.start()
console.log(JSON.stringify(pool.workers.map((w) => w.pid)))
${body}
`)
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((r) => child.once('exit', r)).finally(() => rmSync(dir, { recursive: true, force: true }))
  let out = ''
  const workers = await new Promise<number[]>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no pids in 15 s: ${out}`)), 15_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('['))
      if (line && out.includes('\n')) {
        clearTimeout(t)
        resolve(JSON.parse(line) as number[])
      }
    })
  })
  return { pid: child.pid as number, workers, exited }
}

describe('no orphans', () => {
  it('the supervisor killed with SIGKILL: its workers notice the lost IPC channel and exit', async () => {
    const sup = await supervisorProcess('setInterval(() => undefined, 1000)')
    expect(sup.workers).toHaveLength(2)
    expect(sup.workers.every(alive)).toBe(true)
    process.kill(sup.pid, 'SIGKILL')
    await sup.exited
    await until(() => sup.workers.every((p) => !alive(p)), 5000, 'workers to exit')
  })

  it('a supervisor process that ends without close(): its workers exit too', async () => {
    const sup = await supervisorProcess('process.exit(0)')
    await sup.exited
    await until(() => sup.workers.every((p) => !alive(p)), 5000, 'workers to exit')
  })
})
