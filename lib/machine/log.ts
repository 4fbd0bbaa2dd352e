/**
 * Machine logging in asyncmachine-go's line format (`[state] +A -B`, `[add] A`, `[cancel] (A) by AEnter`…),
 * prefixed with `[<first 5 chars of the id>] `. Nothing is formatted unless the level lets the line through.
 *
 * Args and errors are users' values: formatting them never throws (a throwing getter, `toString` or `toJSON`, a
 * null-prototype object, a revoked proxy are printed as far as they can be), and neither does a throwing logger.
 */
import chalk from 'chalk'
import { safeGet, safeJson, safeString } from './describe.js'
import { InvalidArgumentError, OutOfRangeError } from './errors.js'
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
    if (!this.out) {
      console.log(isTTY() ? colour(this.prefix, line) : full)
      return
    }
    try {
      this.out(level, full)
    } catch (err) {
      // The logger is the user's: its failure must not fail the transition that logs.
      console.error(`polymachine ${this.prefix}logger threw: ${safeString(err)}; the line was: ${full}`)
    }
  }

  /** ` (k=v k2=v2)` for the args the mapper selects, sorted by key; '' when none. */
  formatArgs(args: Args | undefined): string {
    if (!args) return ''
    try {
      const mapped = this.mapArgs(args)
      if (typeof mapped !== 'object' || mapped === null) return ''
      const keys = Object.keys(mapped).sort()
      return keys.length === 0 ? '' : ` (${keys.map((k) => `${k}=${safeString(safeGet(mapped, k, '?'))}`).join(' ')})`
    } catch (err) {
      // A custom logArgs function threw, or the mapped record is a hostile object: the line goes out without args.
      return ` (args unprintable: ${safeString(err)})`
    }
  }
}

/** An args mapper printing the named args, values cut to `maxLen` chars (`...` marks the cut when maxLen ≥ 5). */
export function argsMapper(names: readonly string[], maxLen = DEFAULT_MAX_LEN): (args: Args) => Record<string, string> {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new InvalidArgumentError('argsMapper()', 'names', 'an array of arg names', names)
  }
  if (typeof maxLen !== 'number' || !(maxLen >= 0)) throw new OutOfRangeError('argsMapper()', 'maxLen', 'a number ≥ 0', maxLen)
  const list = [...names]
  return (args) => {
    const out: Record<string, string> = {}
    for (const name of list) {
      // Each arg read once and guarded: a throwing getter prints as '?', never fails the transition being logged.
      const v = safeGet(args, name, UNREADABLE)
      if (v === undefined) continue
      out[name] = truncate(v === UNREADABLE ? '?' : stringify(v), maxLen)
    }
    return out
  }
}

const UNREADABLE = Symbol('unreadable')

function stringify(v: unknown): string {
  if (typeof v === 'object' && v !== null) {
    let isError = false
    try {
      isError = v instanceof Error
    } catch {
      // a proxy whose getPrototypeOf trap throws
    }
    return isError ? safeString(v) : safeJson(v)
  }
  return safeString(v)
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
