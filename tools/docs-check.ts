/**
 * `npm run docs:check`: type-checks every ```ts snippet of README.md and docs/*.md against the library's source, so
 * the documentation cannot drift from the API. How snippets make programs:
 * - a snippet with an `import` starts a program; one without continues the program before it;
 * - a snippet fenced as ```` ```ts (continued) ```` continues the file's first program, the running example of a
 *   page (its imports may add names: ES imports can come anywhere at a module's top level).
 * - a program whose first snippet is fenced as ```` ```ts (runs) ```` is also RUN, start to end with its continued
 *   snippets, under node + tsx: it must exit 0 within 30 s with nothing on stderr (so it must close what it opens:
 *   a server, an actor system with timers). Programs run in a scratch folder; when one reads 'key.pem', the folder
 *   holds key.pem and cert.pem, a self-signed certificate for 127.0.0.1 made with openssl, as TLS examples assume.
 *   Mark every program that can run this way; leave unmarked only those that need the network.
 * Errors are reported at their Markdown line; a failed run at its program's first line, with its output.
 *
 * Snippets are compiled with the project's strict settings; `polymachine` and `polymachine/<entry>` resolve to
 * lib/ (no build needed), when compiling and when running.
 *
 * Usage: `npm run docs:check [-- [--no-run | --run-all] [file.md …]]`: `--no-run` only compiles, `--run-all` also
 * runs the unmarked programs (to find which could be marked); files limit the check to those pages.
 * Exit code: 0 when all compile and run, 1 otherwise, 2 on bad usage.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tsupEntries } from './package-entries.js'

const root = resolve(fileURLToPath(import.meta.url), '../..')
/** Each check works in its own folder under this one, so checks running at once do not clobber each other. */
const workRoot = join(root, '.docs-check')
const ENTRIES = await tsupEntries()
const RUN_TIMEOUT = 30_000
/** Programs run at once: the runs are mostly waiting (timers, backoff), but CI machines may have 2 cores. */
const RUN_CONCURRENCY = 4

export interface Line {
  /** Markdown file, relative to the repository root. */
  readonly md: string
  /** 1-based line in that file. */
  readonly line: number
}

export interface Program {
  readonly name: string
  readonly code: string[]
  /** Source position of each line of `code`. */
  readonly origin: Line[]
  /** Marked ```` ```ts (runs) ````: docs:check runs it too. */
  readonly runs: boolean
}

function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))
  return ['README.md', ...docs.sort()]
}

/** The programs of one Markdown file (see the file comment for how snippets combine). */
export function programs(md: string, text = readFileSync(join(root, md), 'utf8')): Program[] {
  const lines = text.split('\n')
  const out: Program[] = []
  let current: Program | null = null
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```ts(?:\s+\((continued|runs)\))?\s*$/.exec(lines[i] as string)
    if (!fence) {
      if (/^```ts\b/.test(lines[i] as string)) throw new Error(`${md}:${i + 1}: unknown fence; use \`\`\`ts, \`\`\`ts (continued) or \`\`\`ts (runs)`)
      continue
    }
    const start = i + 1
    let end = start
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++
    const body = lines.slice(start, end)
    if (fence[1] === 'continued') {
      current = out[0] ?? null
      if (current === null) throw new Error(`${md}:${i + 1}: a (continued) snippet needs an earlier one to continue`)
    } else if (current === null || body.some((l) => /^import\s/.test(l))) {
      current = { name: `${basename(md, '.md')}-${out.length + 1}`, code: [], origin: [], runs: fence[1] === 'runs' }
      out.push(current)
    } else if (fence[1] === 'runs') {
      throw new Error(`${md}:${i + 1}: (runs) marks a program's first snippet, and this one continues the one before`)
    }
    body.forEach((l, k) => {
      current?.code.push(l)
      current?.origin.push({ md, line: start + k + 1 })
    })
    i = end
  }
  return out
}

/** Writes the programs and their tsconfig.json into a fresh folder and returns it. */
function writeProject(all: Program[]): string {
  mkdirSync(workRoot, { recursive: true })
  const outDir = mkdtempSync(join(workRoot, 'run-'))
  for (const p of all) writeFileSync(join(outDir, `${p.name}.ts`), `${p.code.join('\n')}\nexport {}\n`)
  const paths: Record<string, string[]> = { polymachine: ['../../lib/index.ts'] }
  // Every published entry (tsup.config.ts), whatever its source file: polymachine/otel is lib/telemetry/otel-entry.ts.
  for (const [name, src] of Object.entries(ENTRIES)) if (name !== 'index') paths[`polymachine/${name}`] = [`../../${src}`]
  const tsconfig = {
    extends: '../../tsconfig.json',
    compilerOptions: { noEmit: true, paths },
    include: ['*.ts'],
  }
  writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  return outDir
}

/** Maps `file.ts(line,col): error …` lines of tsc's output back to Markdown positions. */
function report(output: string, all: Program[]): string[] {
  const byName = new Map(all.map((p) => [`${p.name}.ts`, p]))
  const errors: string[] = []
  for (const raw of output.split('\n')) {
    const m = /^(?:\.docs-check\/[\w-]+\/)?([\w.-]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(raw.trim())
    if (!m) {
      if (raw.trim() !== '' && errors.length > 0) errors[errors.length - 1] += `\n    ${raw.trim()}`
      continue
    }
    const [, file, line, col, msg] = m as unknown as [string, string, string, string, string]
    const at = byName.get(file)?.origin[Number(line) - 1]
    errors.push(at ? `${at.md}:${at.line}:${col}: ${msg}` : `${file}(${line},${col}): ${msg}`)
  }
  return errors
}

/**
 * Writes key.pem and cert.pem, a self-signed certificate for 127.0.0.1 (openssl), into `dir`, where programs run:
 * the TLS examples read them as a server's files.
 */
function selfSignedCertificate(dir: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
  { stdio: 'pipe', timeout: 20_000 })
}

interface RunResult {
  readonly program: Program
  readonly ok: boolean
  readonly detail: string
  readonly ms: number
}

/** Runs one program under node + tsx, with lib/ as `polymachine` (the paths of .docs-check/tsconfig.json). */
function runProgram(p: Program, outDir: string): Promise<RunResult> {
  const started = performance.now()
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(outDir, `${p.name}.ts`)], {
      cwd: outDir,
      timeout: RUN_TIMEOUT,
      maxBuffer: 16 << 20,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(outDir, 'tsconfig.json'), NO_COLOR: '1', FORCE_COLOR: '0' },
    }, (err, stdout, stderr) => {
      const ms = performance.now() - started
      const timedOut = err !== null && err.killed && ms >= RUN_TIMEOUT
      const ok = err === null && stderr === ''
      const why = timedOut ? `did not end within ${RUN_TIMEOUT / 1000} s (something left open?)`
        : err !== null ? `exited with ${String(err.code ?? err.signal)}` : stderr !== '' ? 'wrote to stderr' : ''
      const output = toMarkdown([stdout.trimEnd(), stderr.trimEnd()].filter((o) => o !== '').join('\n'), p, outDir)
        .split('\n').slice(-30)
      done({ program: p, ok, ms, detail: ok ? '' : `${why}; output (last lines):\n      ${output.join('\n      ')}` })
    })
  })
}

/** Rewrites `…/name.ts:line` positions in a program's output (stack traces) to Markdown positions. */
function toMarkdown(output: string, p: Program, outDir: string): string {
  const file = join(outDir, `${p.name}.ts`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return output.replace(new RegExp(`${file}:(\\d+)`, 'g'), (whole, line: string) => {
    const at = p.origin[Number(line) - 1]
    return at ? `${at.md}:${at.line}` : whole
  })
}

/** Runs `list` with at most RUN_CONCURRENCY at a time, in order of completion. */
async function runAll(list: readonly Program[], outDir: string): Promise<RunResult[]> {
  const results: RunResult[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < list.length) results.push(await runProgram(list[next++] as Program, outDir))
  }
  await Promise.all(Array.from({ length: Math.min(RUN_CONCURRENCY, list.length) }, worker))
  return results
}

const where = (p: Program): string => `${(p.origin[0] as Line).md}:${(p.origin[0] as Line).line - 1}`

interface Args {
  readonly run: 'marked' | 'none' | 'all'
  readonly files: readonly string[]
}

function parseArgs(argv: readonly string[]): Args | null {
  let run: Args['run'] = 'marked'
  const files: string[] = []
  for (const a of argv) {
    if (a === '--no-run' && run === 'marked') run = 'none'
    else if (a === '--run-all' && run === 'marked') run = 'all'
    else if (a.endsWith('.md') && !a.startsWith('-')) files.push(relative(root, resolve(a)))
    else return null
  }
  return { run, files }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  const known = docFiles()
  if (args === null || args.files.some((f) => !known.includes(f))) {
    console.error(`usage: npm run docs:check [-- [--no-run | --run-all] [file.md …]] (files: ${known.join(', ')})`)
    return 2
  }
  const all = (args.files.length > 0 ? args.files : known).flatMap((md) => programs(md))
  const outDir = writeProject(all)
  const snippets = all.reduce((n, p) => n + p.origin.filter((o, i) => i === 0 || o.line !== (p.origin[i - 1] as Line).line + 1).length, 0)
  try {
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', relative(root, outDir)], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      })
    } catch (err) {
      const out = String((err as { stdout?: unknown }).stdout ?? '') + String((err as { stderr?: unknown }).stderr ?? '')
      const errors = report(out, all)
      console.error(errors.join('\n'))
      console.error(`\ndocs:check: ${errors.length} error(s) in ${all.length} programs from ${snippets} snippets`)
      return 1
    }
    console.log(`docs:check: ${all.length} programs from ${snippets} snippets compile`)
    const toRun = all.filter((p) => args.run === 'all' || (args.run === 'marked' && p.runs))
    if (toRun.length === 0) return 0
    const started = performance.now()
    if (toRun.some((p) => p.code.some((l) => l.includes("'key.pem'")))) selfSignedCertificate(outDir)
    const results = await runAll(toRun, outDir)
    const failed = results.filter((r) => !r.ok)
    for (const r of failed) console.error(`${where(r.program)}: ${r.program.runs ? '' : '(unmarked) '}${r.program.name} ${r.detail}`)
    if (args.run === 'all') {
      for (const r of results) if (r.ok && !r.program.runs) console.log(`${where(r.program)}: ${r.program.name} runs but is not marked (runs)`)
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1)
    const line = `docs:check: ${results.length - failed.length} of ${results.length} programs ran to their end (${secs} s)`
    if (failed.length > 0) {
      console.error(line)
      return 1
    }
    console.log(line)
    return 0
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => (process.exitCode = code), (err: unknown) => {
    console.error(`docs:check: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  })
}
