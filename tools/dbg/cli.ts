/**
 * `polymachine-dbg`'s command line: the interactive debugger (ink), or `--dump`, a headless mode printing the
 * reconstructed history for CI and scripts. See docs/debugger.md.
 */
import type { interactive as Interactive } from './interactive.js'
import { DEFAULT_FILTERS, type Filters, type Show } from './filters.js'
import { dump } from './dump.js'
import { runDiagram } from './diagram.js'
import { exportSession, importSession } from './file.js'
import { listen, type DbgServer } from './server.js'
import { Session } from './session.js'

export const USAGE = `usage: polymachine-dbg [options]
       polymachine-dbg diagram <module> [--d2] [--out FILE]   Mermaid/D2 diagrams of a module's schemas

  --host HOST        listen on HOST (default 127.0.0.1)
  --port PORT        listen on PORT (default 6831; 0 picks a free one)
  --import FILE      open a saved session (.jsonl or msgpack) instead of listening
  --export FILE      where the e key writes the session; with --dump, written when it ends
  --dump             headless: print the history and exit. With --import at once; otherwise after every
                     connected process disconnected (at least one came), on SIGINT/SIGTERM, or after --timeout
  --timeout MS       with --dump: stop listening after MS milliseconds
  --hide-canceled, --only-canceled, --hide-auto, --only-auto, --hide-queued, --only-queued, --checks
  --state NAMES      only records calling, entering or exiting these states (comma-separated)
  --machine IDS      only records of these machines (comma-separated)
  --times            print each record's wall-clock time
  --max-machines N   machines kept (default 10000); more are refused and counted
  -h, --help         this text

Machines connect with attachDebugger(mach, { url: 'ws://127.0.0.1:6831' }) or POLYMACHINE_DBG=ws://127.0.0.1:6831.`

export interface CliOptions {
  host: string
  port: number
  import: string | null
  export: string | null
  dump: boolean
  timeout: number | null
  filters: Filters
  times: boolean
  maxMachines: number | null
}

/** Parses the arguments; returns an error text for bad usage. */
export function parseArgs(argv: readonly string[]): CliOptions | { error: string } | { help: true } {
  const o: CliOptions = { host: '127.0.0.1', port: 6831, import: null, export: null, dump: false, timeout: null,
    filters: { ...DEFAULT_FILTERS }, times: false, maxMachines: null }
  const show = (key: 'canceled' | 'auto' | 'queued', v: Show): void => {
    o.filters = { ...o.filters, [key]: v }
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const value = (): string | null => {
      const v = argv[++i]
      return v === undefined || v.startsWith('--') ? null : v
    }
    switch (a) {
      case '-h': case '--help': return { help: true }
      case '--dump': o.dump = true; break
      case '--times': o.times = true; break
      case '--checks': o.filters = { ...o.filters, checks: 'all' }; break
      case '--hide-canceled': show('canceled', 'hide'); break
      case '--only-canceled': show('canceled', 'only'); break
      case '--hide-auto': show('auto', 'hide'); break
      case '--only-auto': show('auto', 'only'); break
      case '--hide-queued': show('queued', 'hide'); break
      case '--only-queued': show('queued', 'only'); break
      case '--host': case '--port': case '--import': case '--export': case '--timeout': case '--state': case '--machine':
      case '--max-machines': {
        const v = value()
        if (v === null) return { error: `${a} needs a value` }
        if (a === '--host') o.host = v
        else if (a === '--import') o.import = v
        else if (a === '--export') o.export = v
        else if (a === '--state') o.filters = { ...o.filters, states: [...o.filters.states, ...v.split(',').filter(Boolean)] }
        else if (a === '--machine') o.filters = { ...o.filters, machines: [...o.filters.machines, ...v.split(',').filter(Boolean)] }
        else {
          const n = Number(v)
          if (!Number.isSafeInteger(n) || n < 0 || (a === '--port' && n > 65535)) return { error: `${a} must be an integer ≥ 0, got ${v}` }
          if (a === '--port') o.port = n
          else if (a === '--timeout') o.timeout = n
          else if (n < 1) return { error: `--max-machines must be an integer ≥ 1, got ${v}` }
          else o.maxMachines = n
        }
        break
      }
      default: return { error: `unknown option ${a}` }
    }
  }
  return o
}

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
}

const processIo: CliIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) }

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  if (argv[0] === 'diagram') return runDiagram(argv.slice(1), io)
  const o = parseArgs(argv)
  if ('help' in o) {
    io.out(USAGE + '\n')
    return 0
  }
  if ('error' in o) {
    io.err(`polymachine-dbg: ${o.error}\n${USAGE}\n`)
    return 2
  }
  let session = new Session(o.maxMachines !== null ? { maxMachines: o.maxMachines } : {})
  if (o.import !== null) {
    try {
      session = await importSession(o.import, session)
    } catch (err) {
      io.err(`polymachine-dbg: cannot import ${o.import}: ${err instanceof Error ? err.message : String(err)}\n`)
      return 1
    }
  }
  let server: DbgServer | null = null
  if (o.import === null) {
    try {
      server = await listen(session, { host: o.host, port: o.port })
    } catch (err) {
      io.err(`polymachine-dbg: cannot listen on ${o.host}:${o.port}: ${err instanceof Error ? err.message : String(err)}\n`)
      return 1
    }
    io.err(`polymachine-dbg: listening on ${server.url}\n`)
  }
  try {
    if (o.dump) {
      if (server) await untilDone(server, o.timeout)
      if (o.export !== null) await exportSession(session, o.export)
      io.out(dump(session, { filters: o.filters, times: o.times }))
      return 0
    }
    const view = await loadInteractive()
    if (typeof view === 'string') {
      io.err(`polymachine-dbg: ${view}\n`)
      return 2
    }
    await view(session, server?.url ?? o.import ?? '', o)
    return 0
  } finally {
    await server?.close()
  }
}

/**
 * The interactive view needs ink and react, optional peers of the package: without them it says what to install
 * instead of a module-resolution stack (`--dump` needs neither).
 */
async function loadInteractive(): Promise<typeof Interactive | string> {
  try {
    return (await import('./interactive.js')).interactive
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return 'the interactive view needs the optional peers ink 6 and react 19 (npm install ink@6 react@19); ' +
        '--dump works without them'
    }
    throw err
  }
}

/** Waits until every process that connected is gone, a signal, or the timeout. */
function untilDone(server: DbgServer, timeout: number | null): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      if (timer) clearTimeout(timer)
      resolve()
    }
    const timer = timeout !== null ? setTimeout(done, timeout) : null
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    void server.allGone().then(done)
  })
}
