/**
 * Runs a test body in a child Node process, so a regression that kills the process (an uncaught exception from a
 * microtask, a starved event loop) fails the test instead of the runner. The body is an ES module source (TypeScript
 * through tsx) that imports the library with `import … from 'polymachine-src/<entry>'` → `lib/<entry>/index.ts`.
 * The child counts `uncaughtException` and `unhandledRejection` events and prints them with its own output.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface ChildRun {
  /** Exit code; null when killed (e.g. by the timeout: see `timedOut`). */
  code: number | null
  timedOut: boolean
  stdout: string
  stderr: string
  /** `uncaughtException` + `unhandledRejection` events seen by the child (parsed from its last line). */
  faults: number
}

const PRELUDE = `
let __faults = 0
process.on('uncaughtException', (e) => { __faults++; console.error('uncaughtException:', e) })
process.on('unhandledRejection', (e) => { __faults++; console.error('unhandledRejection:', e) })
process.on('exit', () => { process.stdout.write('\\n__FAULTS__=' + __faults + '\\n') })
`

/**
 * Runs `source` (an ES module body; top-level await allowed) in a child with `--expose-gc`; resolves when it exits or
 * after `timeoutMs` (then killed, `timedOut` true). `'polymachine-src/x'` imports resolve to `lib/x/index.ts`.
 */
export function runChild(source: string, timeoutMs = 15_000, nodeArgs: readonly string[] = []): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-child-'))
  const file = join(dir, 'main.mts') // .mts: an ES module outside the package, so top-level await works
  const body = source.replace(/'polymachine-src\/?([a-z]*)'/g, (_, entry: string) =>
    JSON.stringify(join(root, 'lib', entry === '' ? 'index.ts' : `${entry}/index.ts`)))
  writeFileSync(file, PRELUDE + body)
  return new Promise((resolve) => {
    execFile(process.execPath, ['--expose-gc', ...nodeArgs, '--import', 'tsx', file],
      { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true })
        const m = /__FAULTS__=(\d+)\s*$/.exec(stdout)
        const killed = err !== null && (err as { killed?: boolean }).killed === true
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          timedOut: killed,
          stdout: m ? stdout.slice(0, m.index) : stdout,
          stderr,
          faults: m ? Number(m[1]) : -1,
        })
      })
  })
}

/**
 * Resolves once `child` prints `line` on its stdout; rejects when it exits first or after `ms` (its stdout must be
 * piped).
 */
export function printed(child: ChildProcess, line: string, ms = 15_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not print '${line}' within ${ms / 1000} s`)), ms)
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes(line)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`child exited with ${String(code)}`))
    })
  })
}
