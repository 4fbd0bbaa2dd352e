/**
 * polymachine-dbg in a real terminal (issue 16's "real-terminal test"): the debugger runs in tmux (a private tmux
 * server, so a developer's own tmux is untouched), a live machine in this process streams to it, and the screen is
 * read with capture-pane: the machine appears, a key steps back in time, `q` quits. Skipped, saying so, when tmux is
 * not installed (.ci/run installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { attachDebugger } from '../../lib/telemetry/index.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const hasTmux = spawnSync('tmux', ['-V']).status === 0
const SOCKET = `pm-dbg-${process.pid}`
const SESSION = 'dbg'

const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' })
const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION)
const alive = (): boolean => spawnSync('tmux', ['-L', SOCKET, 'has-session', '-t', SESSION]).status === 0

async function until(test: (s: string) => boolean, what: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    const s = alive() ? screen() : ''
    if (test(s)) return s
    if (Date.now() > end) throw new Error(`tmux screen never showed ${what}; last screen:\n${s}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server'])
})

describe.skipIf(!hasTmux)('polymachine-dbg in tmux', () => {
  it('shows a live machine, steps back with ←, quits with q', async () => {
    // CI unset inside the pane: ink disables interactivity under CI=true
    tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', '-c', root,
      `env -u CI -u CONTINUOUS_INTEGRATION ${process.execPath} --import tsx tools/dbg/main.ts --port 0`)
    const first = await until((s) => /listening on ws:\/\/127\.0\.0\.1:\d+/.test(s) || /polymachine-dbg · ws:/.test(s),
      'the debugger starting')
    const url = /(ws:\/\/127\.0\.0\.1:\d+)/.exec(first)?.[1] as string
    const m = new Machine(schema({ Start: {}, Ready: { auto: true, require: ['Start'] } }), { id: 'tmux-app' })
    const dbg = attachDebugger(m, { url, batchMs: 1 })
    m.add('Start')
    expect(await dbg.flush(10_000)).toBe(true)
    let s = await until((x) => x.includes('log 2/2 live'), 'two records')
    expect(s).toMatch(/> tmux-app \(2\)/)
    expect(s).toMatch(/^polymachine-dbg · ws:\/\/127\.0\.0\.1:\d+ · clients 1 · machines 1 · records 2 · dropped 0/m)
    expect(s).toMatch(/\+ Ready +1 +auto req:Start/) // live: the newest record entered Ready
    tmux('send-keys', '-t', SESSION, 'Left')
    s = await until((x) => x.includes('log 1/2'), 'the first record after ←')
    expect(s).toContain('states of tmux-app at #1')
    expect(s).toMatch(/○ Ready +0/)
    await dbg.close()
    tmux('send-keys', '-t', SESSION, 'q')
    const end = Date.now() + 10_000
    while (alive() && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    expect(alive()).toBe(false)
  }, 60_000)
})
