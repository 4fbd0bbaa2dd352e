/**
 * Attaching machines to `polymachine-dbg`: `attachDebugger(machine, { url })` in code, or `attachDebuggerFromEnv()`
 * reading `POLYMACHINE_DBG`. One link (one WebSocket, one tracer) per URL, shared by every machine attached to it, so
 * cross-machine causality is seen; sub-machines created later with `parent` are attached too.
 */
import { InvalidArgumentError, OutOfRangeError, type Machine } from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { argsMapOf } from './args.js'
import { DbgLink, type DbgLinkStats } from './link.js'
import type { DbgLinkStateNames } from './link.schema.js'
import { DbgTracer, type DbgArgsMapper } from './tracer.js'

/** Options of {@link attachDebugger}. */
export interface DebuggerOptions {
  /** The debugger's address, `ws://host:port[/path]` (`polymachine-dbg` listens on `ws://127.0.0.1:6831`). */
  url: string
  /**
   * Which args to send: names (values as text, cut to 256 chars) or a function returning `key → text`. Default: none
   * (args may hold secrets).
   */
  args?: readonly string[] | DbgArgsMapper
  /** Milliseconds records wait to be sent together. Default 20. */
  batchMs?: number
  /** Records kept while the debugger is slow or away; beyond it the oldest are dropped and counted. Default 10 000. */
  outboxLimit?: number
  /**
   * Failures in a row (failed dials, connections lost within 5 s) after which the link detaches from every machine.
   * Default 10.
   */
  maxErrors?: number
  /** Also attach machines created later with one of these as `parent`. Default true. */
  children?: boolean
  /** The name this process shows in the debugger. Default: the script's file name and pid. */
  name?: string
}

/** What `attachDebugger` returns: the shared link of that URL. */
export interface DebuggerHandle {
  readonly url: string
  /** The link's lifecycle (`Connecting`, `Connected`, `Disconnected`, `Detached`, `ErrNetwork`). */
  readonly link: Machine<DbgLinkStateNames>
  /** Sent, dropped and queued records, failures in a row. */
  readonly stats: Readonly<DbgLinkStats>
  /** The tracer bound to the machines (for `detachTracer`). */
  readonly tracer: DbgTracer
  /** Resolves true once everything recorded so far is sent; false after `timeout` ms (default 2000) or a detach. */
  flush(timeout?: number): Promise<boolean>
  /** Sends what is left (up to `timeout` ms), closes the connection and leaves every machine. */
  close(timeout?: number): Promise<void>
}

/** The environment variable `attachDebuggerFromEnv` reads. */
export const DBG_ENV = 'POLYMACHINE_DBG'

const links = new Map<string, DebuggerHandle>()

const WHERE = 'attachDebugger()'

function checkInt(name: string, v: unknown, min: number, def: number): number {
  if (v === undefined) return def
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new OutOfRangeError(WHERE, `opts.${name}`, `an integer ≥ ${min}`, v)
  }
  return v
}

function checkUrl(url: unknown): string {
  let ok = false
  if (typeof url === 'string') {
    try {
      const u = new URL(url)
      ok = (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== ''
    } catch {
      ok = false
    }
  }
  if (!ok) throw new InvalidArgumentError(WHERE, 'opts.url', "a 'ws://host:port' address", url)
  return url as string
}

function defaultName(): string {
  const script = process.argv[1] ?? 'node'
  return `${script.split(/[\\/]/).pop() ?? script}:${process.pid}`
}

/**
 * Streams a machine's schema and every transition to the debugger at `opts.url` (see docs/debugger.md). Attaching
 * more machines to the same URL shares one connection and one tracer; the options of the first call for a URL are
 * the ones used. Never throws into the machine: records that cannot be sent are counted as dropped, and after
 * `maxErrors` failures in a row the tracer detaches itself. Throws `InvalidArgumentError`/`OutOfRangeError` for bad
 * options.
 *
 * ```ts
 * const dbg = attachDebugger(mach, { url: 'ws://127.0.0.1:6831', args: ['url'] })
 * mach.add('Start')
 * await dbg.flush()
 * ```
 */
export function attachDebugger(machine: Machine<string>, opts: DebuggerOptions): DebuggerHandle {
  if (!isMachine(machine)) throw new InvalidArgumentError(WHERE, 'machine', 'a Machine', machine)
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(WHERE, 'opts', 'an object', opts)
  const url = checkUrl(opts.url)
  let handle = links.get(url)
  if (!handle || handle.link.is('Detached')) handle = open(url, opts)
  handle.tracer.track(machine)
  return handle
}

function open(url: string, opts: DebuggerOptions): DebuggerHandle {
  const settings = {
    url,
    name: opts.name === undefined ? defaultName() : String(opts.name),
    batchMs: checkInt('batchMs', opts.batchMs, 0, 20),
    outboxLimit: checkInt('outboxLimit', opts.outboxLimit, 1, 10_000),
    maxErrors: checkInt('maxErrors', opts.maxErrors, 1, 10),
    minDelay: 100,
    maxDelay: 5000,
  }
  const argsMap = argsMapOf(WHERE, opts.args)
  const children = opts.children === undefined ? true : Boolean(opts.children)
  let tracer: DbgTracer | null = null
  const link = new DbgLink(settings, () => {
    tracer?.stop()
    if (links.get(url) === handle) links.delete(url)
  })
  tracer = new DbgTracer(link, { argsMapper: argsMap, children })
  const handle: DebuggerHandle = {
    url,
    link: link.state,
    get stats() {
      return link.stats
    },
    tracer,
    flush: (timeout) => link.flush(timeout),
    close: (timeout) => link.close(timeout),
  }
  links.set(url, handle)
  return handle
}

/**
 * Attaches `machine` to the debugger named by `POLYMACHINE_DBG` (e.g. `ws://127.0.0.1:6831`; `1` means that
 * address), or does nothing when the variable is unset or empty: call it where machines are made, and the tracer
 * costs nothing unless the variable is set. Returns the handle, or undefined.
 *
 * ```ts
 * attachDebuggerFromEnv(mach) // POLYMACHINE_DBG=ws://127.0.0.1:6831 node app.js
 * ```
 */
export function attachDebuggerFromEnv(machine: Machine<string>, opts: Omit<DebuggerOptions, 'url'> = {},
  env: Readonly<Record<string, string | undefined>> = process.env): DebuggerHandle | undefined {
  const v = env[DBG_ENV]
  if (v === undefined || v === '' || v === '0') return undefined
  return attachDebugger(machine, { ...opts, url: v === '1' ? DEFAULT_DBG_URL : v })
}

/** Where `polymachine-dbg` listens by default. */
export const DEFAULT_DBG_URL = 'ws://127.0.0.1:6831'
