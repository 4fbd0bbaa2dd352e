/**
 * polymachine-repl's commands over a set of connected remote machines: `list`, `use`, `inspect`, `time`,
 * `add/remove/set`, `when/whenNot` with a timeout, `log`. Each command resolves with its output and an exit code, so
 * the interactive loop and the one-shot mode (`polymachine-repl URL -- when Ready`) share them.
 */
import { isPolymachineError, resultName, type Args } from '../../lib/index.js'
import type { RemoteMachine } from '../../lib/rpc/index.js'
import { listBus, mirrorFromBus, type ReplBus } from './bus.js'

/** Exit codes, for scripts. */
export const Exit = {
  ok: 0,
  /** The mutation was canceled, or the command failed on the source. */
  failed: 1,
  /** Bad usage: unknown command, unknown state, bad arguments. */
  usage: 2,
  /** `when`/`whenNot` timed out. */
  timeout: 3,
  /** Could not connect, or the connection was lost. */
  network: 4,
  /** No process on the bus serves the machine asked for (`use ID`, `--machine ID`). */
  notFound: 5,
} as const

export interface Outcome {
  readonly out: string
  readonly code: number
}

/** The machines of a REPL session, by name; `current` is the one commands address. */
export interface Repl {
  readonly machines: Map<string, RemoteMachine<string>>
  current: string | null
  /** Where `log` writes while it runs. */
  print(line: string): void
  /** Cluster buses (`nats://` URLs): `list` shows their machines, `use ID` mirrors one. */
  readonly buses?: readonly ReplBus[]
}

export const HELP = `commands:
  list                              connected machines, and each bus's machines (* marks the current one)
  use NAME                          address another machine (on a bus: mirror machine NAME; exit 5 if none)
  inspect [STATE…]                  states with ticks and relations (● active)
  time [STATE…]                     ticks, in state order
  add|remove|set STATE… [k=v…]      mutate; prints executed, canceled or queued (exit 1 when canceled)
  when|whenNot STATE… [--timeout MS] wait until all are active / inactive (default 10 000 ms; exit 3 on timeout)
  log [MS]                          print each clock change for MS milliseconds (default 5 000)
  help, exit`

const ok = (out: string): Outcome => ({ out, code: Exit.ok })
const usage = (out: string): Outcome => ({ out, code: Exit.usage })

/** Splits a line into words; double quotes group words. */
export function words(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? '')
  return out
}

/** `k=v` words as args: numbers, true/false and null are parsed, anything else stays text. */
function argsOf(list: readonly string[]): Args {
  const args: Args = {}
  for (const w of list) {
    const eq = w.indexOf('=')
    const k = w.slice(0, eq)
    const v = w.slice(eq + 1)
    args[k] = v === 'true' ? true : v === 'false' ? false : v === 'null' ? null : v !== '' && !isNaN(Number(v)) ? Number(v) : v
  }
  return args
}

function machineOf(r: Repl): RemoteMachine<string> | null {
  return r.current === null ? null : r.machines.get(r.current) ?? null
}

function checkStates(m: RemoteMachine<string>, states: readonly string[]): string | null {
  const bad = states.filter((s) => !m.has(s))
  return bad.length ? `unknown state${bad.length > 1 ? 's' : ''} ${bad.join(', ')} (known: ${m.names.join(', ')})` : null
}

function fail(err: unknown): Outcome {
  const code = !isPolymachineError(err) ? Exit.failed
    : err.code === 'ERR_TIMEOUT' ? Exit.timeout
    : err.code === 'ERR_CLUSTER_NOT_FOUND' ? Exit.notFound
    : /^ERR_(RPC_NETWORK|RPC_CLOSED|CLUSTER_NETWORK|CLUSTER_CLOSED)$/.test(err.code) ? Exit.network : Exit.failed
  return { out: `error: ${err instanceof Error ? err.message : String(err)}`, code }
}

/**
 * Runs one command line.
 *
 * ```ts
 * await runCommand(repl, 'when Ready --timeout 1000') // { out: 'ok: Ready', code: 0 }
 * ```
 */
export async function runCommand(r: Repl, line: string): Promise<Outcome> {
  const [cmd, ...rest] = words(line)
  if (cmd === undefined) return ok('')
  if (cmd === 'help') return ok(HELP)
  if (cmd === 'list') return await list(r)
  if (cmd === 'use') return await useMachine(r, rest[0])
  const m = machineOf(r)
  if (!m) {
    return usage(r.buses?.length ? 'no machine selected: use ID (list shows the bus\'s machines), or --machine ID'
      : 'no machine connected')
  }
  try {
    switch (cmd) {
      case 'inspect': return inspect(m, rest)
      case 'time': {
        const bad = checkStates(m, rest)
        if (bad) return usage(bad)
        const names = rest.length ? rest : m.names
        return ok(names.map((n) => `${n}:${m.tick(n)}`).join(' '))
      }
      case 'add': case 'remove': case 'set': return await mutate(m, cmd, rest)
      case 'when': case 'whenNot': return await wait(m, cmd, rest)
      case 'log': return await log(r, m, rest)
      default: return usage(`unknown command ${cmd} (try help)`)
    }
  } catch (err) {
    return fail(err)
  }
}

/** RPC machines first (`* name id connected (clock)`), then each bus's listing. */
async function list(r: Repl): Promise<Outcome> {
  const bused = new Set((r.buses ?? []).flatMap((b) => [...b.mirrored]))
  const lines = [...r.machines].filter(([name]) => !bused.has(name)).map(([name, m]) =>
    `${name === r.current ? '*' : ' '} ${name} ${m.id} ${m.connected ? 'connected' : 'disconnected'} ${m.toString()}`)
  try {
    for (const b of r.buses ?? []) lines.push(...await listBus(b, r.machines, r.current))
  } catch (err) {
    return fail(err)
  }
  return ok(lines.join('\n'))
}

/**
 * `use NAME`: switches to a connected machine, or mirrors one from a bus (exit 5 when no process serves it). A bus
 * mirror that lost its source is mirrored again: the machine may be served by another process now.
 */
export async function useMachine(r: Repl, name: string | undefined): Promise<Outcome> {
  if (name === undefined) return usage('use: name a machine')
  const known = r.machines.get(name)
  const owner = r.buses?.find((b) => b.mirrored.has(name))
  if (known && owner && !known.connected) {
    r.machines.delete(name)
    owner.mirrored.delete(name)
    await known.close()
  }
  if (!r.machines.has(name)) {
    if (!r.buses?.length) return usage(`use: no machine named ${name}`)
    try {
      const { bus, machine } = await mirrorFromBus(r.buses, name)
      r.machines.set(name, machine)
      bus.mirrored.add(name)
    } catch (err) {
      return fail(err)
    }
  }
  r.current = name
  return ok(`using ${name}`)
}

function inspect(m: RemoteMachine<string>, states: readonly string[]): Outcome {
  const bad = checkStates(m, states)
  if (bad) return usage(bad)
  const names = states.length ? states : m.names
  const w = Math.max(...names.map((n) => n.length))
  const lines = names.map((n) => {
    const d = m.schema.states[n] ?? {}
    const rel: string[] = []
    if (d.auto) rel.push('auto')
    if (d.multi) rel.push('multi')
    if (d.require?.length) rel.push(`req:${d.require.join(',')}`)
    if (d.remove?.length) rel.push(`rm:${d.remove.join(',')}`)
    if (d.add?.length) rel.push(`add:${d.add.join(',')}`)
    if (d.after?.length) rel.push(`after:${d.after.join(',')}`)
    return `${m.is(n) ? '●' : '○'} ${n.padEnd(w)} ${String(m.tick(n)).padStart(4)}  ${rel.join(' ')}`.trimEnd()
  })
  return ok([`${m.id} ${m.connected ? 'connected' : 'disconnected'} queue tick ${m.queueTick}`, ...lines].join('\n'))
}

async function mutate(m: RemoteMachine<string>, cmd: 'add' | 'remove' | 'set', rest: readonly string[]): Promise<Outcome> {
  const states = rest.filter((w) => !w.includes('='))
  const args = argsOf(rest.filter((w) => w.includes('=')))
  if (states.length === 0 && cmd !== 'set') return usage(`${cmd}: name at least one state`)
  const bad = checkStates(m, states)
  if (bad) return usage(bad)
  const res = await m[cmd](states, args)
  const name = resultName(res)
  return { out: `${name} ${m.toString()}`, code: name === 'canceled' ? Exit.failed : Exit.ok }
}

async function wait(m: RemoteMachine<string>, cmd: 'when' | 'whenNot', rest: readonly string[]): Promise<Outcome> {
  let timeout = 10_000
  const states: string[] = []
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--timeout') {
      const n = Number(rest[++i])
      if (!Number.isInteger(n) || n < 1) return usage(`${cmd}: --timeout needs a number of ms ≥ 1`)
      timeout = n
    } else states.push(rest[i] as string)
  }
  if (states.length === 0) return usage(`${cmd}: name at least one state`)
  const bad = checkStates(m, states)
  if (bad) return usage(bad)
  await (cmd === 'when' ? m.when(states, { timeout }) : m.whenNot(states, { timeout }))
  return ok(`ok: ${cmd === 'when' ? '' : 'not '}${states.join(' ')}`)
}

const MAX_LOG_MS = 0x7fffffff

async function log(r: Repl, m: RemoteMachine<string>, rest: readonly string[]): Promise<Outcome> {
  const ms = rest[0] === undefined ? 5000 : Number(rest[0])
  // setTimeout's longest delay: a longer one would fire at once
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_LOG_MS) return usage(`log: the duration must be a number of ms 1 … ${MAX_LOG_MS}`)
  let before = m.time()
  let changes = 0
  // typed through a one-state view: with N = string, CheckMirrorHandlers reads every name as a negotiation handler
  const id = (m as unknown as RemoteMachine<'_'>).bind({
    AnyState: () => {
      const now = m.time()
      const parts = m.names.flatMap((n, i) => (now[i] === before[i] ? [] : [`${(now[i] ?? 0) % 2 ? '+' : '-'}${n}`]))
      before = now
      changes++
      r.print(`${m.id}: ${parts.join(' ')} ${m.toString()}`)
    },
  })
  await new Promise((res) => setTimeout(res, ms))
  m.unbind(id)
  return ok(`${changes} change${changes === 1 ? '' : 's'} in ${ms} ms`)
}
