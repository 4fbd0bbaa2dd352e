/**
 * Clients in other processes: the pool is served over RPC (`pool.serve()`), a real child process connects with
 * `NodeClient.connect(url, { token })`, is leased a worker, runs jobs on it directly (over the worker's own TCP
 * server), gets `ERR_NODE_WORKER_LOST` when that worker dies and succeeds on another on retry. Several client
 * processes hold distinct workers; a client process killed with SIGKILL gives its worker back.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { NodeClient } from '../../lib/node/index.js'
import { alive, pool, until } from './support.js'

const dir = mkdtempSync(join(tmpdir(), 'pm-node-remote-'))
const CLIENT_JS = join(dir, 'remote-client.cjs')
buildSync({ entryPoints: [fileURLToPath(new URL('./fixtures/remote-client.ts', import.meta.url))], bundle: true,
  platform: 'node', format: 'cjs', target: 'node20', outfile: CLIENT_JS, logLevel: 'error' })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Answer {
  value?: unknown
  worker?: { id: string; pid: number | null } | null
  error?: { code: string; workerId?: string; exitCode?: number | null; message: string }
  errorState?: boolean
  closed?: boolean
}

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

/** A client process connected to `url`; `ask()` sends it a command and waits (bounded) for its answer. */
function clientProcess(url: string, token: string, id: string): { child: ChildProcess; ask: (cmd: object) => Promise<Answer> } {
  const child = fork(CLIENT_JS, [url, token, id], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  let n = 0
  const ask = (cmd: object): Promise<Answer> => new Promise((resolve, reject) => {
    const mine = ++n
    const timer = setTimeout(() => reject(new Error(`client ${id}: no answer to ${JSON.stringify(cmd)}`)), 20_000)
    const on = (m: { n: number } & Answer): void => {
      if (m.n !== mine) return
      clearTimeout(timer)
      child.off('message', on)
      resolve(m)
    }
    child.on('message', on)
    child.send({ n: mine, ...cmd })
  })
  return { child, ask }
}

describe.each(['process', 'thread'] as const)('NodeClient in another process (kind %s)', (kind) => {
  it('is leased a worker over RPC, runs jobs on it directly, gets ERR_NODE_WORKER_LOST when it dies, retries on another', async () => {
    const p = pool({ kind, min: 1, max: 3 })
    await p.start()
    const { url, token } = await p.serve()
    expect(url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
    expect(p.machine.is('Serving')).toBe(true)
    const c = clientProcess(url, token, 'remote-a')

    const first = await c.ask({ op: 'run', input: { op: 'square', n: 7 } })
    expect(first.value).toBe(49)
    const workerId = first.worker?.id
    expect(p.workers.find((w) => w.id === workerId)?.leasedBy).toBe('remote-a')
    const where = await c.ask({ op: 'run', input: kind === 'process' ? { op: 'pid' } : { op: 'thread' } })
    const info = p.workers.find((w) => w.id === workerId)
    expect(where.value).toBe(kind === 'process' ? info?.pid : info?.threadId)

    const died = await c.ask({ op: 'run', input: { op: 'exit', code: 3 } })
    expect(died.error).toMatchObject({ code: 'ERR_NODE_WORKER_LOST', workerId })
    expect(died.errorState).toBe(true)
    const again = await c.ask({ op: 'run', input: { op: 'square', n: 8 } })
    expect(again.value).toBe(64)
    expect(again.worker?.id).not.toBe(workerId)
    expect(p.workers.find((w) => w.id === again.worker?.id)?.leasedBy).toBe('remote-a')

    expect(await c.ask({ op: 'close' })).toMatchObject({ closed: true })
    await until(() => p.workers.every((w) => w.leasedBy === null), 10_000, 'the worker given back')
    expect(await p.run({ op: 'square', n: 2 })).toBe(4) // the pool goes on
  }, 90_000)
})

describe('NodeClient in another process: many clients, lost clients, refusals', () => {
  it('several client processes hold distinct workers; one killed with SIGKILL gives its worker back', async () => {
    const p = pool({ min: 1, max: 3 })
    await p.start()
    const { url, token } = await p.serve()
    const a = clientProcess(url, token, 'remote-a')
    const b = clientProcess(url, token, 'remote-b')
    const [ra, rb] = await Promise.all([a.ask({ op: 'run', input: { op: 'pid' } }), b.ask({ op: 'run', input: { op: 'pid' } })])
    expect(ra.value).not.toBe(rb.value)
    expect(p.workers.map((w) => w.leasedBy).filter((x) => x !== null).sort()).toEqual(['remote-a', 'remote-b'])
    expect([ra.value, rb.value].every((pid) => alive(pid as number))).toBe(true)
    a.child.kill('SIGKILL')
    await until(() => !p.workers.some((w) => w.leasedBy === 'remote-a'), 15_000, 'remote-a\'s worker given back')
    expect((await b.ask({ op: 'run', input: { op: 'pid' } })).value).toBe(rb.value) // b keeps its own
    expect(await b.ask({ op: 'close' })).toMatchObject({ closed: true })
  }, 90_000)

  it('a wrong token is refused; a closed pool refuses; arguments are checked', async () => {
    const p = pool({ min: 1, max: 1 })
    await p.start()
    const { url } = await p.serve()
    const intruder = NodeClient.connect(url, { token: 'wrong', id: 'intruder' })
    await expect(intruder.run({ op: 'square', n: 1 })).rejects.toMatchObject({ code: 'ERR_RPC_AUTH' })
    await intruder.close()
    expect(() => NodeClient.connect('http://x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect(() => NodeClient.connect(url, { timeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    await expect(p.serve({ token: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    expect(await p.serve()).toEqual(await p.serve()) // served once
    await p.close()
    expect(p.machine.is('Serving')).toBe(false)
    await expect(p.serve()).rejects.toMatchObject({ code: 'ERR_NODE_CLOSED' })
  }, 60_000)
})
