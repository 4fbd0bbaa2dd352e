/**
 * Argument checks of supervision's public functions (supervisors, child specs, backoff, pools, keyed actors,
 * conversations). Each throws `InvalidArgumentError` (wrong type) or `OutOfRangeError` (number out of range) naming
 * the function, the value and what was expected. They run at construction / `supervise()`, never per message.
 */
import { InvalidArgumentError, isSchema, OutOfRangeError } from '../machine/index.js'
import { describe } from '../machine/internals.js'

export const STRATEGIES: readonly string[] = ['one-for-one', 'one-for-all', 'rest-for-one']
export const DIRECTIVES: readonly string[] = ['restart', 'resume', 'stop', 'escalate']

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Copies an options object once (each getter read once), after checking it is one. */
export function readOptions<T>(where: string, name: string, opts: T): T {
  if (!isObject(opts)) throw new InvalidArgumentError(where, name, 'an options object', opts)
  try {
    return { ...opts }
  } catch (err) {
    // a getter or proxy trap that throws: a bad argument, not a raw error out of the constructor
    throw Object.assign(new InvalidArgumentError(where, name, `readable (reading it threw: ${describe(err)})`, undefined), { cause: err })
  }
}

/** Something that looks like an `ActorSystem` (duck-typed: this layer must not import the system at run time). */
export function checkSystem(where: string, system: unknown): void {
  if (!isObject(system) || typeof system.spawnActor !== 'function' || typeof system.adopt !== 'function') {
    throw new InvalidArgumentError(where, 'system', 'an ActorSystem', system)
  }
}

export function checkId(where: string, name: string, v: unknown): void {
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(where, name, 'a non-empty string', v)
}

export function checkFunction(where: string, name: string, v: unknown, optional = false): void {
  if (optional && v === undefined) return
  if (typeof v !== 'function') throw new InvalidArgumentError(where, name, `a function${optional ? ' or undefined' : ''}`, v)
}

export function checkOneOf(where: string, name: string, v: unknown, allowed: readonly string[], optional = true): void {
  if (optional && v === undefined) return
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new InvalidArgumentError(where, name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v)
  }
}

/** An integer ≥ `min` (undefined allowed when `optional`). */
export function checkInt(where: string, name: string, v: unknown, min: number, optional = true): void {
  if (optional && v === undefined) return
  if (typeof v !== 'number') throw new InvalidArgumentError(where, name, `an integer ≥ ${min}`, v)
  if (!Number.isInteger(v) || v < min) throw new OutOfRangeError(where, name, `an integer ≥ ${min}`, v)
}

/** A number of ms: finite and ≥ 0 (> 0 when `positive`); `Infinity` only when `infinite`. */
export function checkMs(
  where: string, name: string, v: unknown, { positive = false, infinite = false, optional = true } = {},
): void {
  if (optional && v === undefined) return
  const expected = `a number of ms ${positive ? '> 0' : '≥ 0'}${infinite ? ' (or Infinity)' : ''}`
  if (typeof v !== 'number') throw new InvalidArgumentError(where, name, expected, v)
  const ok = (positive ? v > 0 : v >= 0) && (Number.isFinite(v) || (infinite && v === Infinity))
  if (!ok) throw new OutOfRangeError(where, name, expected, v)
}

/** Backoff options: `{ min, max, jitter, resetAfter, random }`, all optional. */
export function checkBackoffOptions(where: string, name: string, backoff: unknown): void {
  if (backoff === undefined) return
  if (!isObject(backoff)) throw new InvalidArgumentError(where, name, 'an object { min?, max?, jitter?, resetAfter?, random? }', backoff)
  const b = readOptions(where, name, backoff)
  checkMs(where, `${name}.min`, b.min)
  checkMs(where, `${name}.max`, b.max)
  const min = (b.min as number | undefined) ?? 100
  const max = (b.max as number | undefined) ?? 10_000
  if (max < min) throw new OutOfRangeError(where, `${name}.max`, `≥ min (${min})`, max)
  if (b.jitter !== undefined) {
    if (typeof b.jitter !== 'number') throw new InvalidArgumentError(where, `${name}.jitter`, 'a number within 0..1', b.jitter)
    if (!(b.jitter >= 0 && b.jitter <= 1)) throw new OutOfRangeError(where, `${name}.jitter`, 'a number within 0..1', b.jitter)
  }
  checkMs(where, `${name}.resetAfter`, b.resetAfter, { infinite: true })
  checkFunction(where, `${name}.random`, b.random, true)
}

/** The options every supervisor takes (pools and keyed actors too); `parent` is checked by the supervisor. */
export function checkSupervisorOptions(where: string, opts: object): void {
  const o = opts as Record<string, unknown>
  checkId(where, 'options.id', o.id)
  checkOneOf(where, 'options.strategy', o.strategy, STRATEGIES)
  checkFunction(where, 'options.decide', o.decide, true)
  checkInt(where, 'options.maxRestarts', o.maxRestarts, 0)
  checkMs(where, 'options.period', o.period, { positive: true, infinite: true })
  checkBackoffOptions(where, 'options.backoff', o.backoff)
  checkFunction(where, 'options.project', o.project, true)
  checkMs(where, 'options.stopTimeout', o.stopTimeout, { infinite: true })
}

/** A child spec's shape (its schema and mailbox are checked where they are used). */
export function checkChildSpec(where: string, childSpec: object): void {
  const spec = childSpec as Record<string, unknown>
  checkId(where, 'spec.id', spec.id)
  checkSchema(where, 'spec.schema', spec.schema)
  checkFunction(where, 'spec.handlers', spec.handlers)
  if (spec.mailbox !== undefined && !isObject(spec.mailbox)) throw new InvalidArgumentError(where, 'spec.mailbox', 'mailbox options or undefined', spec.mailbox)
  checkInt(where, 'spec.concurrency', spec.concurrency, 1)
  checkMs(where, 'spec.handlerTimeout', spec.handlerTimeout, { positive: true, infinite: true })
  checkOneOf(where, 'spec.restart', spec.restart, ['permanent', 'temporary'])
  if (spec.snapshot !== undefined && !isObject(spec.snapshot)) throw new InvalidArgumentError(where, 'spec.snapshot', 'a snapshot or undefined', spec.snapshot)
}

export function checkSchema(where: string, name: string, v: unknown): void {
  if (!isSchema(v)) throw new InvalidArgumentError(where, name, 'a schema made by schema()', v)
}
