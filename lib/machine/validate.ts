/**
 * Argument and option checks of the public API. Options are read once into a plain copy, so a getter cannot change
 * a value between its check and its use, and one that throws is reported as a bad option, not as a raw error from
 * somewhere inside the machine. Checks that run per mutation are a `typeof` and nothing more.
 */
import { safeString } from './describe.js'
import { InvalidArgumentError, OutOfRangeError } from './errors.js'
import { type Args, type LogArgs, type LogFn, LogLevel, type Tracer } from './types.js'

/** `MachineOptions` after reading and checking: every field a plain, validated value. */
export interface ReadOptions {
  id: string | undefined
  handlers: object | undefined
  /** Not checked here (machine.ts knows what a machine is). */
  parent: unknown
  tags: readonly string[] | undefined
  queueLimit: number | undefined
  logLevel: LogLevel | undefined
  logger: LogFn | undefined
  logArgs: LogArgs | undefined
  tracers: readonly Tracer[] | undefined
  /** Checked by the core (loops.ts `drainBudgetOf`). */
  drainBudget: unknown
}

const WHERE = 'new Machine()'
const FIELDS = ['id', 'handlers', 'parent', 'tags', 'queueLimit', 'logLevel', 'logger', 'logArgs', 'tracers',
  'drainBudget'] as const

/**
 * Reads and checks the options of `new Machine()`. `undefined` (the option or a field) means the default.
 * @throws InvalidArgumentError for a wrong type; OutOfRangeError for a number out of range.
 */
export function readOptions(opts: unknown): ReadOptions {
  if (opts === undefined) opts = {}
  if (opts === null || typeof opts !== 'object' || isArray(opts)) {
    throw new InvalidArgumentError(WHERE, 'options', 'an options object or undefined', opts)
  }
  const raw = {} as Record<(typeof FIELDS)[number], unknown>
  for (const key of FIELDS) {
    try {
      raw[key] = (opts as Record<string, unknown>)[key]
    } catch (err) {
      throw withCause(new InvalidArgumentError(WHERE, `options.${key}`,
        `readable (reading it threw: ${safeString(err)})`, opts), err)
    }
  }
  const { id, handlers, tags, queueLimit, logLevel, logger, logArgs, tracers } = raw
  if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
    throw new InvalidArgumentError(WHERE, 'options.id', 'a non-empty string', id)
  }
  if (handlers !== undefined && !isObject(handlers)) {
    throw new InvalidArgumentError(WHERE, 'options.handlers', 'a handler object', handlers)
  }
  if (queueLimit !== undefined) checkQueueLimit(queueLimit)
  if (logLevel !== undefined) checkLogLevel(WHERE, 'options.logLevel', logLevel)
  if (logger !== undefined && typeof logger !== 'function') {
    throw new InvalidArgumentError(WHERE, 'options.logger', 'a function (level, line) => void', logger)
  }
  return {
    id,
    handlers: handlers as object | undefined,
    parent: raw.parent,
    tags: tags === undefined ? undefined : stringList('options.tags', tags),
    queueLimit,
    logLevel: logLevel as LogLevel | undefined,
    logger: logger as LogFn | undefined,
    logArgs: logArgs === undefined || typeof logArgs === 'function' ? logArgs as LogArgs | undefined
      : stringList('options.logArgs', logArgs, 'an array of arg names or a function'),
    tracers: tracers === undefined ? undefined : tracerList(tracers),
    drainBudget: raw.drainBudget,
  }
}

function checkQueueLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number') throw new InvalidArgumentError(WHERE, 'options.queueLimit', 'a positive integer', limit)
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new OutOfRangeError(WHERE, 'options.queueLimit', 'a positive integer', limit)
  }
}

/** A `LogLevel`: an integer from 0 (Nothing) to 5 (Everything). */
export function checkLogLevel(where: string, name: string, level: unknown): asserts level is LogLevel {
  const expected = `a LogLevel (an integer ${LogLevel.Nothing}..${LogLevel.Everything})`
  if (typeof level !== 'number') throw new InvalidArgumentError(where, name, expected, level)
  if (!Number.isInteger(level) || level < LogLevel.Nothing || level > LogLevel.Everything) {
    throw new OutOfRangeError(where, name, expected, level)
  }
}

/** A tracer: a non-null object (its hooks are optional methods). */
export function checkTracer(where: string, t: unknown): asserts t is Tracer {
  if (!isObject(t) || typeof t === 'function') throw new InvalidArgumentError(where, 'tracer', 'a Tracer object', t)
}

/** A handler object: an object or a function (whose methods are the handlers). */
export function isObject(v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function'
}

/**
 * Mutation args: an object, or undefined. `null`, primitives and functions are rejected: handlers read `e.args.x`,
 * and a primitive would be silently dropped. (Only a `typeof`: it runs on every mutation.)
 */
export function badArgs(where: string, args: unknown): InvalidArgumentError {
  return new InvalidArgumentError(where, 'args', 'an object or undefined', args)
}

/** True when `args` are not acceptable mutation args (see `badArgs`). */
export function argsInvalid(args: Args | undefined): boolean {
  return args !== undefined && (typeof args !== 'object' || args === null)
}

/** `Array.isArray` that is false, not a throw, for a revoked proxy. */
export function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v)
  } catch {
    return false
  }
}

/** A copy of an array option; a proxy whose traps throw is a bad option. */
function copyList(name: string, v: unknown, expected: string): unknown[] {
  if (!isArray(v)) throw new InvalidArgumentError(WHERE, name, expected, v)
  try {
    return Array.from(v as unknown[])
  } catch (err) {
    throw withCause(new InvalidArgumentError(WHERE, name, `${expected} (reading it threw: ${safeString(err)})`, v), err)
  }
}

function stringList(name: string, v: unknown, expected = 'an array of strings'): readonly string[] {
  const copy = copyList(name, v, expected)
  const bad = copy.findIndex((s) => typeof s !== 'string')
  if (bad >= 0) throw new InvalidArgumentError(WHERE, `${name}[${bad}]`, 'a string', copy[bad])
  return copy as string[]
}

function tracerList(v: unknown): readonly Tracer[] {
  const copy = copyList('options.tracers', v, 'an array of Tracer objects')
  copy.forEach((t, i) => {
    if (!isObject(t) || typeof t === 'function') {
      throw new InvalidArgumentError(WHERE, `options.tracers[${i}]`, 'a Tracer object', t)
    }
  })
  return copy as Tracer[]
}

/** Attaches the original error of a failed read. */
export function withCause<E extends Error>(err: E, cause: unknown): E {
  Object.defineProperty(err, 'cause', { value: cause, configurable: true, writable: true })
  return err
}
