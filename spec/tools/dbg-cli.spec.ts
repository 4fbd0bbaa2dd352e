/**
 * `polymachine-dbg --dump` (issue 16 item 2): the headless history of a live session and of a recorded one, export
 * on exit, usage errors; and the documented example run as users run it — `polymachine-dbg --dump` in one process,
 * examples/debugger in another with POLYMACHINE_DBG.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { attachDebugger } from '../../lib/telemetry/index.js'
import { parseArgs, runCli, USAGE, type CliIo } from '../../tools/dbg/cli.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'pm-dbg-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function io(): CliIo & { stdout: string; stderr: string; url(): Promise<string> } {
  const o = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (o.stdout += t),
    err: (t: string) => void (o.stderr += t),
    url: async (): Promise<string> => {
      const end = Date.now() + 5000
      for (;;) {
        const m = /listening on (ws:\/\/\S+)/.exec(o.stderr)
        if (m) return m[1] as string
        if (Date.now() > end) throw new Error(`no url in: ${o.stderr}`)
        await new Promise((r) => setTimeout(r, 5))
      }
    },
  }
  return o
}

describe('polymachine-dbg --dump', () => {
  it('listens, prints the history once the machines’ process is gone, exports it; --import replays the file', async () => {
    const file = join(dir, 'live.jsonl')
    const o = io()
    const done = runCli(['--dump', '--port', '0', '--timeout', '15000', '--export', file], o)
    const m = new Machine(schema({ A: { remove: ['B'] }, B: { remove: ['A'] }, C: { auto: true, require: ['A'] } }), { id: 'cli' })
    const dbg = attachDebugger(m, { url: await o.url(), batchMs: 1 })
    m.add('A')
    m.add('B')
    await dbg.close()
    expect(await done).toBe(0)
    expect(o.stdout.split('\n')).toEqual([
      '# 1 machines, 3 records, 3 shown, 0 dropped',
      'machine cli states:A,B,C,Exception start:()',
      '#1 cli#1 executed add [A] +A => (A:1)',
      '#2 cli#2 executed add [C] +C auto => (A:1 C:1)',
      '#3 cli#3 executed add [B] +B -A -C => (B:1)',
      '',
    ])
    const again = io()
    expect(await runCli(['--import', file, '--dump', '--hide-auto', '--state', 'A'], again)).toBe(0)
    expect(again.stdout).toBe([
      '# 1 machines, 3 records, 2 shown, 0 dropped (filters: auto:hide state:A)',
      'machine cli states:A,B,C,Exception start:()',
      '#1 cli#1 executed add [A] +A => (A:1)',
      '#3 cli#3 executed add [B] +B -A -C => (B:1)',
      '',
    ].join('\n'))
    expect(again.stderr).toBe('')
  })

  it('usage: --help, unknown options and bad values (exit 2), an unreadable import (exit 1)', async () => {
    const h = io()
    expect(await runCli(['--help'], h)).toBe(0)
    expect(h.stdout).toBe(USAGE + '\n')
    const bad = io()
    expect(await runCli(['--nope'], bad)).toBe(2)
    expect(bad.stderr).toMatch(/^polymachine-dbg: unknown option --nope\n/)
    expect(parseArgs(['--port', '70000'])).toEqual({ error: '--port must be an integer ≥ 0, got 70000' })
    expect(parseArgs(['--state'])).toEqual({ error: '--state needs a value' })
    expect(parseArgs(['--only-canceled', '--machine', 'a,b', '--checks'])).toMatchObject({
      filters: { canceled: 'only', machines: ['a', 'b'], checks: 'all' } })
    const missing = io()
    expect(await runCli(['--import', join(dir, 'none.jsonl'), '--dump'], missing)).toBe(1)
    expect(missing.stderr).toMatch(/cannot import .*none\.jsonl/)
  })
})

describe('docs/debugger.md example: two processes', () => {
  it('examples/debugger streams to `polymachine-dbg --dump`, which prints the reconstructed history', async () => {
    const dbgProc = spawn(process.execPath, ['--import', 'tsx', 'tools/dbg/main.ts', '--dump', '--port', '0',
      '--timeout', '30000'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    dbgProc.stdout.on('data', (d: Buffer) => (out += d.toString()))
    dbgProc.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((r) => dbgProc.on('exit', (code) => r(code)))
    const end = Date.now() + 20_000
    while (!/listening on ws:/.test(err)) {
      if (Date.now() > end) throw new Error(`the debugger did not start: ${err}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const url = /listening on (ws:\/\/\S+)/.exec(err)?.[1] as string
    const app = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'examples/debugger/main.ts'],
        { cwd: root, timeout: 30_000, env: { ...process.env, POLYMACHINE_DBG: url } },
        (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }))
    })
    expect(app.stderr).toBe('')
    expect(app.code).toBe(0)
    expect(app.stdout).toContain(`sent to ${url}`)
    expect(await exited).toBe(0)
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^# 2 machines, \d+ records, \d+ shown, 0 dropped$/)
    expect(lines).toContain('machine app states:Start,Ready,Fetch,Fail,Exception start:()')
    expect(lines).toContain('  machine worker states:Job,Done,Exception start:()')
    expect(lines.some((l) => /worker#\d+ executed add \[Job\] \+Job <- app#3 \{url=https:\/\/example.com\/a\} => \(Job:1\)$/.test(l)))
      .toBe(true)
    expect(lines.some((l) => /app#\d+ canceled add \[Fail\] by:FailEnter/.test(l))).toBe(true)
    expect(lines.filter((l) => l.startsWith('#')).at(-1)).toMatch(/app#\d+ executed add \[Fetch\] \+Fetch .* => \(Start:1 Ready:1 Fetch:3\)$/)
  }, 60_000)
})
