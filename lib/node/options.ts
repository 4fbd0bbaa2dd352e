/**
 * The options of a `NodeSupervisor`: their types, defaults and checks. Read once at construction (each getter once);
 * a wrong type throws `InvalidArgumentError`, a number out of range `OutOfRangeError`.
 */
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { InvalidArgumentError, OutOfRangeError, type LogFn, type LogLevel } from '../machine/index.js'
import type { BackoffOptions } from '../actor/index.js'

/** Health checks: a round trip through each ready worker's queue every `interval` ms. */
export interface HealthOptions {
  /** Ms between rounds (default 5000; 0 turns health checks off). */
  interval?: number
  /** Ms a worker has to answer one check (default 2000). */
  timeout?: number
  /** Missed checks in a row after which the worker is killed and replaced (default 2). */
  misses?: number
}

/** Options of `new NodeSupervisor(opts)`. */
export interface NodeSupervisorOptions {
  /** The worker module (a path or a `file:` URL); it calls `runWorker(fn)`. A `.ts` file runs through tsx. */
  entry: string | URL
  /**
   * `'process'` (default): each worker is a forked OS process (`child_process.fork`: isolated memory, survives
   * native crashes). `'thread'`: each worker is a `worker_threads` thread of this process (starts faster, costs
   * less memory, cheaper messages; a native crash or `process.abort()` takes the whole process down; no `cwd`).
   */
  kind?: 'process' | 'thread'
  /** Workers kept ready at all times (default 1). */
  min?: number
  /** The most workers at once (default the number of CPUs, at least `min`). */
  max?: number
  /** Idle spares kept beyond the busy workers, within `max` (default 0). */
  warm?: number
  /** Jobs of `pool.run()` in flight per worker (default 1); more wait in the pool's queue. */
  tasksPerWorker?: number
  /** Jobs waiting for a worker before `run()` rejects with `ERR_NODE_QUEUE_FULL` (default 100 000). */
  maxQueue?: number
  /** Ms a worker above the wanted size may stay idle before it is retired (default 10 000). */
  idleTimeout?: number
  /** Ms from fork to the worker's `ready` (default 10 000); longer is a spawn failure. */
  spawnTimeout?: number
  /** Spawn failures in a row after which the pool gives up with `ErrPool` (default 5). */
  spawnRetries?: number
  /** Worker failures (unexpected exits, health kills) allowed within `period` (default 10); one more is `ErrPool`. */
  maxRestarts?: number
  /** The intensity window in ms (default 60 000). */
  period?: number
  /** Delay before replacing a failed worker or retrying a spawn (the actor layer's `Backoff`; default 100 ms…5 s). */
  backoff?: BackoffOptions
  health?: HealthOptions
  /** Ms `close()` and retirement give workers to finish their jobs before they are killed (default 5000). */
  drainTimeout?: number
  /** Node flags of the workers (default `[]`; `['--import', 'tsx']` for a `.ts`/`.mts`/`.cts` entry). */
  execArgv?: string[]
  /** Arguments of the worker module (`process.argv.slice(2)` in the worker). */
  args?: string[]
  /** Environment of the workers (default the supervisor's). */
  env?: Record<string, string | undefined>
  cwd?: string
  /** Do not forward the workers' stderr to this process's (it is still kept for spawn-failure messages). */
  silent?: boolean
  id?: string
  logLevel?: LogLevel
  logger?: LogFn
}

/** The checked options with their defaults. */
export interface PoolConfig {
  entry: string
  kind: 'process' | 'thread'
  /** A TypeScript entry without `execArgv` given: it runs through tsx. */
  tsx: boolean
  min: number
  max: number
  warm: number
  tasksPerWorker: number
  maxQueue: number
  idleTimeout: number
  spawnTimeout: number
  spawnRetries: number
  maxRestarts: number
  period: number
  backoff: BackoffOptions
  health: { interval: number; timeout: number; misses: number }
  drainTimeout: number
  execArgv: string[]
  args: string[]
  env: Record<string, string | undefined>
  cwd: string | undefined
  silent: boolean
}

const W = 'new NodeSupervisor()'

/** Reads and checks `opts` once. */
export function poolConfig(opts: NodeSupervisorOptions): PoolConfig {
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(W, 'options', 'an options object', opts)
  const o = { ...opts }
  const entry = entryPath(o.entry)
  const min = int('min', o.min, 1, 0)
  const max = int('max', o.max, Math.max(min, availableParallelism()), 1)
  if (max < min) throw new OutOfRangeError(W, 'max', `an integer ≥ min (${min})`, max)
  const h = o.health === undefined ? {} : { ...obj('health', o.health) as HealthOptions }
  const kind = o.kind ?? 'process'
  if (kind !== 'process' && kind !== 'thread') throw new InvalidArgumentError(W, 'kind', "'process' or 'thread'", kind)
  const execArgv = strings('execArgv', o.execArgv)
  const tsx = execArgv === undefined && /\.[cm]?ts$/.test(entry)
  if (kind === 'thread' && o.cwd !== undefined) {
    throw new InvalidArgumentError(W, 'cwd', "nothing with kind 'thread' (a thread shares its process's directory)", o.cwd)
  }
  return {
    entry, min, max, kind, tsx,
    warm: int('warm', o.warm, 0, 0),
    tasksPerWorker: int('tasksPerWorker', o.tasksPerWorker, 1, 1),
    maxQueue: int('maxQueue', o.maxQueue, 100_000, 0),
    idleTimeout: ms('idleTimeout', o.idleTimeout, 10_000),
    spawnTimeout: ms('spawnTimeout', o.spawnTimeout, 10_000),
    spawnRetries: int('spawnRetries', o.spawnRetries, 5, 1),
    maxRestarts: int('maxRestarts', o.maxRestarts, 10, 0),
    period: ms('period', o.period, 60_000),
    backoff: o.backoff === undefined ? { min: 100, max: 5000 } : obj('backoff', o.backoff) as BackoffOptions,
    health: {
      interval: ms('health.interval', h.interval, 5000),
      timeout: ms('health.timeout', h.timeout, 2000),
      misses: int('health.misses', h.misses, 2, 1),
    },
    drainTimeout: ms('drainTimeout', o.drainTimeout, 5000),
    execArgv: execArgv ?? (tsx ? ['--import', 'tsx'] : []),
    args: strings('args', o.args) ?? [],
    env: o.env === undefined ? { ...process.env } : { ...obj('env', o.env) as Record<string, string | undefined> },
    cwd: o.cwd === undefined ? undefined : str('cwd', o.cwd),
    silent: o.silent === undefined ? false : bool('silent', o.silent),
  }
}

function entryPath(v: unknown): string {
  if (v instanceof URL) {
    if (v.protocol !== 'file:') throw new InvalidArgumentError(W, 'entry', 'a path or a file: URL', v)
    return fileURLToPath(v)
  }
  if (typeof v === 'string' && v.startsWith('file:')) return fileURLToPath(v)
  return str('entry', v)
}

function int(name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number') throw new InvalidArgumentError(W, name, `an integer ≥ ${min}`, v)
  if (!Number.isInteger(v) || v < min) throw new OutOfRangeError(W, name, `an integer ≥ ${min}`, v)
  return v
}

function ms(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number') throw new InvalidArgumentError(W, name, 'a number of ms', v)
  if (!Number.isFinite(v) || v < 0 || v > 0x7fffffff) throw new OutOfRangeError(W, name, 'a number of ms (0 … 2³¹−1)', v)
  return v
}

function str(name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(W, name, 'a non-empty string', v)
  return v
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new InvalidArgumentError(W, name, 'a boolean', v)
  return v
}

function obj(name: string, v: unknown): object {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(W, name, 'an object', v)
  return v
}

function strings(name: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new InvalidArgumentError(W, name, 'an array of strings', v)
  }
  return [...v] as string[]
}
