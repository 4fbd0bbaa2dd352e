/**
 * Machine logging in asyncmachine-go's line format (`[state] +A -B`, `[add] A`, `[cancel] (A) by AEnter`…),
 * prefixed with `[<first 5 chars of the id>] `. Nothing is formatted unless the level lets the line through.
 */
import chalk from 'chalk'
import { type Args, type LogArgs, type LogFn, LogLevel } from './types.js'

const DEFAULT_ARG_NAMES = ['name', 'id', 'port', 'addr', 'err', 'path', 'url', 'uri']
const DEFAULT_MAX_LEN = 20

export class Log {
  level: LogLevel
  private readonly prefix: string
  private readonly out: LogFn | null
  private readonly mapArgs: (args: Args) => Record<string, string> | undefined

  constructor(id: string, level: LogLevel, out: LogFn | undefined, logArgs: LogArgs | undefined) {
    this.level = level
    this.prefix = `[${id.slice(0, 5)}] `
    this.out = out ?? null
    this.mapArgs = typeof logArgs === 'function' ? logArgs : argsMapper(logArgs ?? DEFAULT_ARG_NAMES)
  }

  /** Whether lines of `level` are emitted; check it before building a line. */
  on(level: LogLevel): boolean {
    return level <= this.level && level !== LogLevel.Nothing
  }

  emit(level: LogLevel, line: string): void {
    if (!this.on(level)) return
    const full = this.prefix + line
    if (this.out) this.out(level, full)
    else console.log(isTTY() ? colour(this.prefix, line) : full)
  }

  /** ` (k=v k2=v2)` for the args the mapper selects, sorted by key; '' when none. */
  formatArgs(args: Args | undefined): string {
    if (!args) return ''
    const mapped = this.mapArgs(args)
    if (!mapped) return ''
    const keys = Object.keys(mapped).sort()
    return keys.length === 0 ? '' : ` (${keys.map((k) => `${k}=${mapped[k]}`).join(' ')})`
  }
}

/** An args mapper printing the named args, values cut to `maxLen` chars (`...` marks the cut when maxLen ≥ 5). */
export function argsMapper(names: readonly string[], maxLen = DEFAULT_MAX_LEN): (args: Args) => Record<string, string> {
  return (args) => {
    const out: Record<string, string> = {}
    for (const name of names) {
      if (!(name in args) || args[name] === undefined) continue
      out[name] = truncate(stringify(args[name]), maxLen)
    }
    return out
  }
}

function stringify(v: unknown): string {
  if (v instanceof Error) return v.message
  if (typeof v === 'object' && v !== null) {
    try {
      return JSON.stringify(v)
    } catch {
      return String(v)
    }
  }
  return String(v)
}

function truncate(s: string, maxLen: number): string {
  if (s.length <= maxLen) return s
  return maxLen >= 5 ? `${s.slice(0, maxLen - 3)}...` : s.slice(0, maxLen)
}

function isTTY(): boolean {
  return (globalThis as { process?: { stdout?: { isTTY?: boolean } } }).process?.stdout?.isTTY === true
}

/** Colours a line for a terminal: the tag by kind, `+State` green, `-State` red. */
function colour(prefix: string, line: string): string {
  const m = /^(\[[^\]]+\])(.*)$/s.exec(line)
  if (!m) return chalk.dim(prefix) + line
  const [, tag = '', rest = ''] = m
  const tagColour = tag.startsWith('[error') ? chalk.red.bold
    : tag.startsWith('[cancel') || tag.startsWith('[reject') ? chalk.yellow
    : tag === '[state]' || tag === '[auto_]' ? chalk.bold
    : tag === '[exter]' ? chalk.cyan
    : chalk.dim
  const body = tag === '[state]' || tag === '[auto_]'
    ? rest.replace(/([+-])([A-Za-z_]\w*)/g, (_, sign: string, s: string) => (sign === '+' ? chalk.green : chalk.red)(sign + s))
    : rest
  return chalk.dim(prefix) + tagColour(tag) + body
}
