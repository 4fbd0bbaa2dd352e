/**
 * `polymachine-repl`'s command line: connects to machines served over RPC (`tcp://`, `ws://`, `tls://`, `wss://`)
 * and to cluster buses (`nats://`, see bus.ts), and runs commands from stdin (interactive, or piped), or one command
 * given after `--` (its exit code is the process's). See docs/tools.md.
 */
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { connect, type RemoteMachine } from '../../lib/rpc/index.js'
import { connectBus, isBusUrl, type ReplBus } from './bus.js'
import { Exit, HELP, runCommand, useMachine, type Repl } from './commands.js'

export const USAGE = `usage: polymachine-repl [--token TOKEN] [--timeout MS] [--prefix P] [--machine ID] URL… [-- COMMAND ARGS…]

  URL            a served machine: tcp://host:port, ws://host:port/path (tls://, wss:// too),
                 or a cluster bus: nats://host:port (list shows its machines, use ID mirrors one)
  --token TOKEN  the servers' shared secret (RPC URLs)
  --timeout MS   connect and call deadline (default 5000)
  --prefix P     the bus's subject prefix (default pm, as NatsBus)
  --machine ID   start on machine ID (on a bus: mirror it first; exit 5 when no process serves it)
  -- COMMAND     run one command and exit with its code (0 ok, 1 canceled/failed, 2 usage, 3 timeout,
                 4 network, 5 not on the bus); without it, commands are read from stdin

${HELP}`

export interface ReplIo {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable
  /** Show a prompt (a terminal). Default: stdin is a TTY. */
  readonly prompt?: boolean
}

interface Parsed {
  urls: string[]
  token: string | undefined
  timeout: number
  prefix: string
  machine: string | null
  command: string[] | null
}

export function parseArgs(argv: readonly string[]): Parsed | { error: string } | { help: true } {
  const p: Parsed = { urls: [], token: undefined, timeout: 5000, prefix: 'pm', machine: null, command: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      p.command = argv.slice(i + 1)
      break
    }
    if (a === '-h' || a === '--help') return { help: true }
    if (a === '--token' || a === '--timeout' || a === '--prefix' || a === '--machine') {
      const v = argv[++i]
      if (v === undefined) return { error: `${a} needs a value` }
      if (a === '--token') p.token = v
      else if (a === '--machine') p.machine = v
      else if (a === '--prefix') {
        if (!/^[A-Za-z0-9_-]+$/.test(v)) return { error: `--prefix takes letters, digits, - and _, got ${v}` }
        p.prefix = v
      } else {
        const n = Number(v)
        if (!Number.isInteger(n) || n < 1) return { error: `--timeout must be an integer ≥ 1, got ${v}` }
        p.timeout = n
      }
    } else if (a.startsWith('-')) return { error: `unknown option ${a}` }
    else p.urls.push(a)
  }
  if (p.urls.length === 0) return { error: 'name at least one URL' }
  if (p.command !== null && p.command.length === 0) return { error: 'a command must follow --' }
  return p
}

/** Runs the REPL; resolves with the exit code. */
export async function runRepl(argv: readonly string[], io: ReplIo): Promise<number> {
  const say = (w: Writable, t: string): void => void w.write(t.endsWith('\n') || t === '' ? t : `${t}\n`)
  const p = parseArgs(argv)
  if ('help' in p) {
    say(io.stdout, USAGE)
    return Exit.ok
  }
  if ('error' in p) {
    say(io.stderr, `polymachine-repl: ${p.error}\n${USAGE}`)
    return Exit.usage
  }
  const buses: ReplBus[] = []
  const repl: Repl = { machines: new Map(), current: null, print: (l) => say(io.stdout, l), buses }
  try {
    for (const url of p.urls) {
      const failed = (err: unknown): number => {
        say(io.stderr, `polymachine-repl: cannot connect to ${url}: ${err instanceof Error ? err.message : String(err)}`)
        // a bus without its optional NATS packages cannot work on a retry either
        return (err as { code?: unknown } | null)?.code === 'ERR_CLUSTER_DEPENDENCY' ? Exit.failed : Exit.network
      }
      if (isBusUrl(url)) {
        try {
          buses.push(await connectBus(url, p.prefix, p.timeout))
        } catch (err) {
          return failed(err)
        }
        continue
      }
      let m: RemoteMachine<string>
      try {
        m = await connect(url, { timeout: p.timeout, ...(p.token !== undefined ? { token: p.token } : {}) })
      } catch (err) {
        return failed(err)
      }
      const name = repl.machines.has(m.id) ? `${m.id}-${repl.machines.size}` : m.id
      repl.machines.set(name, m)
      repl.current ??= name
    }
    if (p.machine !== null) {
      const r = await useMachine(repl, p.machine)
      if (r.code !== Exit.ok) {
        say(io.stderr, r.out)
        return r.code
      }
    }
    if (p.command !== null) {
      const r = await runCommand(repl, p.command.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' '))
      say(r.code === Exit.ok ? io.stdout : io.stderr, r.out)
      return r.code
    }
    return await loop(repl, io)
  } finally {
    const bused = new Set(buses.flatMap((b) => [...b.mirrored]))
    await Promise.all([...[...repl.machines].filter(([name]) => !bused.has(name)).map(([, m]) => m.close()),
      ...buses.map((b) => b.bus.close())])
  }
}

/** Reads commands line by line until `exit` or the end of stdin; the code is the last command's. */
async function loop(repl: Repl, io: ReplIo): Promise<number> {
  const interactive = io.prompt ?? (io.stdin as { isTTY?: boolean }).isTTY === true
  const rl = createInterface({ input: io.stdin, output: interactive ? io.stdout : undefined, terminal: interactive })
  const prompt = (): void => {
    if (interactive) {
      rl.setPrompt(`${repl.current ?? ''}> `)
      rl.prompt()
    }
  }
  let code: number = Exit.ok
  prompt()
  for await (const line of rl) {
    if (line.trim() === 'exit' || line.trim() === 'quit') break
    const r = await runCommand(repl, line)
    if (r.out !== '') io.stdout.write(`${r.out}\n`)
    code = r.code
    prompt()
  }
  rl.close()
  return code
}
