/**
 * Regenerates the debugger screenshots of docs/tools.md from a real terminal, so they are captured, never drawn by
 * hand. It records examples/debugger into a session file (a headless `polymachine-dbg --dump --export`), opens that
 * file in the interactive debugger inside a PRIVATE tmux server (`tmux -L pm-shots-<pid>`: a developer's own tmux is
 * never touched), presses keys and reads each screen with `capture-pane -p`. Each screen replaces the text between
 * `<!-- screen:NAME -->` and `<!-- /screen -->` in docs/tools.md.
 *
 * Usage: `npx tsx tools/dbg/screenshots.ts [--check] [--print]`: `--check` writes nothing and exits 1 when a screen
 * in the page differs from the capture; `--print` prints the screens instead of writing. Needs tmux.
 * Exit codes: 0 written / up to date, 1 a step failed or (with --check) the page is stale, 2 bad usage or no tmux.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(import.meta.url), '../../..')
const PAGE = join(root, 'docs/tools.md')
const DBG = join(root, 'tools/dbg/main.ts')
/** The tsx loader by absolute URL: the debugger runs in a scratch folder, where `--import tsx` would not resolve. */
const tsxLoader = (): string => import.meta.resolve('tsx')
export const COLS = 100
const ROWS = 22
const SOCKET = `pm-shots-${process.pid}`
const SESSION = 'dbg'

/** One screenshot: keys pressed (one at a time, as a user types) and what the screen must show when it is taken. */
interface Shot {
  readonly name: string
  readonly keys: readonly string[]
  readonly ready: (screen: string) => boolean
}

/** In order: each shot starts from the screen the one before left. */
export const SHOTS: readonly Shot[] = [
  { name: 'live', keys: [], ready: (s) => s.includes('log 12/12 live') },
  // five records back: the canceled add of Fail, app's states as they were then
  { name: 'time-travel', keys: ['Left', 'Left', 'Left', 'Left', 'Left'],
    ready: (s) => s.includes('log 7/12') && s.includes('states of app at #7') },
  // Tab focuses the machine tree, ↓ selects worker, m keeps only its records
  { name: 'machine', keys: ['Tab', 'Down', 'm'], ready: (s) => s.includes('machine:worker') },
  // x clears the filters, Tab back to the log, / filters by the states typed
  { name: 'filter', keys: ['x', 'Tab', '/', 'D', 'o', 'n', 'e', 'Enter'],
    ready: (s) => /log \S+ · state:Done/.test(s) },
]

/** tmux runs the pane's command through a shell: quote each word (paths may hold spaces). */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' })
const alive = (): boolean => spawnSync('tmux', ['-L', SOCKET, 'has-session', '-t', SESSION]).status === 0
/** The pane's text, trailing blanks cut (they differ between tmux versions). */
const capture = (): string =>
  tmux('capture-pane', '-p', '-t', SESSION).split('\n').map((l) => l.trimEnd()).join('\n').trimEnd() + '\n'

async function until(test: (s: string) => boolean, what: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms
  for (;;) {
    const s = alive() ? capture() : ''
    if (test(s)) return s
    if (Date.now() > end) throw new Error(`the screen never showed ${what}; last screen:\n${s}`)
    await sleep(100)
  }
}

/** Records examples/debugger through a headless debugger into `dir/example.jsonl`. */
async function record(dir: string): Promise<void> {
  const dbg = spawn(process.execPath, ['--import', tsxLoader(), DBG, '--dump', '--port', '0', '--export', join(dir, 'example.jsonl'),
    '--timeout', '30000'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = new Promise<number | null>((r) => dbg.once('exit', r))
  let err = ''
  dbg.stderr.on('data', (b: Buffer) => { err += b.toString() })
  const end = Date.now() + 20_000
  let url: string | undefined
  while ((url = /ws:\/\/127\.0\.0\.1:\d+/.exec(err)?.[0]) === undefined) {
    if (Date.now() > end || dbg.exitCode !== null) throw new Error(`the recording debugger did not start: ${err}`)
    await sleep(50)
  }
  const example = spawnSync(process.execPath, ['--import', tsxLoader(), join(root, 'examples/debugger/main.ts')],
    { cwd: root, env: { ...process.env, POLYMACHINE_DBG: url }, encoding: 'utf8', timeout: 30_000 })
  if (example.status !== 0) throw new Error(`examples/debugger failed: ${example.stderr}`)
  if (await exited !== 0) throw new Error(`the recording debugger failed: ${err}`)
}

/** Opens the recording in the interactive debugger inside the private tmux server and takes every shot. */
async function shoot(dir: string): Promise<Map<string, string>> {
  // CI unset inside the pane: ink disables interactivity under CI=true
  tmux('new-session', '-d', '-s', SESSION, '-x', String(COLS), '-y', String(ROWS), '-c', dir,
    ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', process.execPath, '--import', tsxLoader(), DBG, '--import', 'example.jsonl']
      .map(shellQuote).join(' '))
  const screens = new Map<string, string>()
  for (const shot of SHOTS) {
    for (const key of shot.keys) {
      tmux('send-keys', '-t', SESSION, key)
      await sleep(150) // one key per read: ink sees a burst of keys as one input
    }
    screens.set(shot.name, await until(shot.ready, `the ${shot.name} screen`))
  }
  tmux('send-keys', '-t', SESSION, 'q')
  return screens
}

/** The page with every `<!-- screen:NAME -->` region holding its screen; throws when a region has no shot. */
export function fill(page: string, screens: ReadonlyMap<string, string>): string {
  return page.replace(/(<!-- screen:([\w-]+) -->\n)[\s\S]*?(<!-- \/screen -->)/g, (_all, open: string, name: string,
    close: string) => {
    const s = screens.get(name)
    if (s === undefined) throw new Error(`docs/tools.md has a screen:${name} region but no shot of that name`)
    return `${open}\`\`\`text\n${s}\`\`\`\n${close}`
  })
}

async function main(argv: readonly string[]): Promise<number> {
  const bad = argv.find((a) => a !== '--check' && a !== '--print')
  if (bad !== undefined) {
    process.stderr.write(`screenshots: unknown option ${bad}\nusage: npx tsx tools/dbg/screenshots.ts [--check] [--print]\n`)
    return 2
  }
  if (spawnSync('tmux', ['-V']).status !== 0) {
    process.stderr.write('screenshots: tmux is not installed\n')
    return 2
  }
  const dir = mkdtempSync(join(tmpdir(), 'pm-shots-'))
  try {
    await record(dir)
    const screens = await shoot(dir)
    if (argv.includes('--print')) {
      for (const [name, s] of screens) process.stdout.write(`--- ${name}\n${s}`)
      return 0
    }
    const page = readFileSync(PAGE, 'utf8')
    const next = fill(page, screens)
    const missing = [...screens.keys()].filter((n) => !page.includes(`<!-- screen:${n} -->`))
    if (missing.length) process.stderr.write(`screenshots: no region in docs/tools.md for ${missing.join(', ')}\n`)
    if (next === page) {
      process.stdout.write(`docs/tools.md: ${screens.size} screens up to date\n`)
      return 0
    }
    if (argv.includes('--check')) {
      process.stderr.write('docs/tools.md: screens differ from the capture; run npx tsx tools/dbg/screenshots.ts\n')
      return 1
    }
    writeFileSync(PAGE, next)
    process.stdout.write(`docs/tools.md: ${screens.size} screens written\n`)
    return 0
  } catch (err) {
    process.stderr.write(`screenshots: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server'])
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2))
}
