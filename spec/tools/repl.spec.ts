/**
 * polymachine-repl (issue 16 item 5) against a live RPC server on 127.0.0.1: one-shot commands with exit codes for
 * scripts, commands piped on stdin, and the real executable in a child process.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { serve, type RemoteMachine, type RpcServer } from '../../lib/rpc/index.js'
import { parseArgs, runRepl } from '../../tools/repl/cli.js'
import { replIo as io } from './repl-io.js'
import { Exit, runCommand, words } from '../../tools/repl/commands.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ss = schema({ Start: {}, Ready: { require: ['Start'] }, Locked: {}, Job: { multi: true, require: ['Start'] } })

const open: RpcServer[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

async function served(id = 'svc'): Promise<{ mach: Machine<string>; url: string }> {
  const mach = new Machine(ss, { id })
  mach.bind({ LockedEnter: () => false })
  const server = await serve(mach, { url: 'tcp://127.0.0.1:0' })
  open.push(server)
  return { mach, url: server.url as string }
}

describe('polymachine-repl URL -- COMMAND', () => {
  it('mutations print the result and the clock; canceled exits 1, unknown states 2', async () => {
    const { mach, url } = await served()
    const a = io()
    expect(await runRepl([url, '--', 'add', 'Start', 'Job', 'n=5'], a)).toBe(0)
    expect(a.out()).toBe('executed (Start:1 Job:1)\n')
    expect(mach.is(['Start', 'Job'])).toBe(true)
    const b = io()
    expect(await runRepl([url, '--', 'add', 'Locked'], b)).toBe(1)
    expect(b.err()).toBe('canceled (Start:1 Job:1)\n')
    const c = io()
    expect(await runRepl([url, '--', 'add', 'Nope'], c)).toBe(2)
    expect(c.err()).toMatch(/^unknown state Nope \(known: Start, Ready, Locked, Job, Exception\)/)
  })

  it('when waits for the source (exit 0) or times out (exit 3); whenNot too', async () => {
    const { mach, url } = await served()
    mach.add('Start')
    setTimeout(() => mach.add('Ready'), 50)
    const a = io()
    expect(await runRepl([url, '--', 'when', 'Ready', '--timeout', '5000'], a)).toBe(0)
    expect(a.out()).toBe('ok: Ready\n')
    const b = io()
    expect(await runRepl([url, '--', 'whenNot', 'Ready', '--timeout', '100'], b)).toBe(3)
    expect(b.err()).toMatch(/^error: .*100 ms/)
    const c = io()
    expect(await runRepl([url, '--', 'whenNot', 'Locked', '--timeout', '100'], c)).toBe(0)
  })

  it('usage and network failures have their own exit codes', async () => {
    expect(parseArgs([])).toEqual({ error: 'name at least one URL' })
    expect(parseArgs(['tcp://x:1', '--'])).toEqual({ error: 'a command must follow --' })
    expect(parseArgs(['--timeout', '0', 'tcp://x:1'])).toMatchObject({ error: expect.stringMatching(/--timeout/) })
    expect(words('add A "two words" k=v')).toEqual(['add', 'A', 'two words', 'k=v'])
    const bad = io()
    expect(await runRepl(['--bogus'], bad)).toBe(2)
    const { url } = await served()
    const server = open.pop() as RpcServer
    await server.close()
    const gone = io()
    expect(await runRepl([url, '--timeout', '500', '--', 'list'], gone)).toBe(4)
    expect(gone.err()).toMatch(/cannot connect to tcp:\/\/127\.0\.0\.1:\d+/)
  })
})

describe('polymachine-repl, commands on stdin', () => {
  it('list, use, inspect, time, add, remove, log; the exit code is the last command’s', async () => {
    const one = await served('one')
    const two = await served('two')
    two.mach.add('Start')
    const s = io()
    const done = runRepl([one.url, two.url], s)
    const lines = ['list', 'add Start', 'time Start Ready', 'use two', 'inspect Start Ready', 'use nobody']
    s.stdin.write(lines.join('\n') + '\n')
    await until(() => s.out().includes('use: no machine named nobody') || s.out().includes('● Start'))
    // log: a change made on the source while it listens
    s.stdin.write('log 1500\n')
    await new Promise((r) => setTimeout(r, 400)) // the REPL reads the line and binds meanwhile
    two.mach.add('Ready')
    s.stdin.end('remove Nope\n')
    expect(await done).toBe(2)
    const out = s.out()
    expect(out).toContain('* one one connected ()\n  two two connected (Start:1)\n')
    expect(out).toContain('executed (Start:1)\n')
    expect(out).toContain('Start:1 Ready:0\n')
    expect(out).toContain('using two\n')
    expect(out).toContain('two connected queue tick')
    expect(out).toMatch(/● Start +1\n○ Ready +0 +req:Start\n/)
    expect(out).toContain('use: no machine named nobody\n')
    expect(out).toMatch(/two: \+Ready \(Start:1 Ready:1\)\n1 change in 1500 ms\n/)
    expect(out).toContain('unknown state Nope')
  })
})

describe('the executable', () => {
  it('`polymachine-repl URL -- when Start` in a child process exits 0 once the source gets there', async () => {
    const { mach, url } = await served()
    setTimeout(() => mach.add('Start'), 200)
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'tools/repl/main.ts', url, '--', 'when', 'Start'],
        { cwd: root, timeout: 30_000 },
        (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }))
    })
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('ok: Start\n')
    expect(r.code).toBe(0)
  }, 40_000)
})

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('polymachine-repl: log', () => {
  it('refuses a duration setTimeout cannot wait (it would end at once, having watched nothing)', async () => {
    const printed: string[] = []
    const m = { time: () => [0], names: ['A'], bind: () => 1, unbind: () => undefined, id: 'm', toString: () => '' }
    const repl = { machines: new Map([['m', m as unknown as RemoteMachine<string>]]), current: 'm',
      print: (l: string) => void printed.push(l) }
    const r = await runCommand(repl, 'log 3000000000')
    expect(r.code).toBe(Exit.usage)
    expect(r.out).toMatch(/^log: the duration/)
  })
})

