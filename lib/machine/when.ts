/**
 * The public waiters of a machine (SPEC §4). Each returns a `Promise<void>`; bad arguments throw synchronously.
 */
import type { Core } from './core.js'
import type { Args } from './types.js'
import type { WaitOptions } from './waiters.js'

export function when(core: Core, states: unknown, opts?: WaitOptions, label?: string): Promise<void> {
  const idx = core.parse(states, 'when()')
  return core.waiters().start('state', label ?? `when(${core.names(idx).join(' ')})`, idx,
    () => idx.every((i) => core.isActive(i)), opts)
}

export function whenNot(core: Core, states: unknown, opts?: WaitOptions): Promise<void> {
  const idx = core.parse(states, 'whenNot()')
  return core.waiters().start('state', `whenNot(${core.names(idx).join(' ')})`, idx,
    () => idx.every((i) => !core.isActive(i)), opts)
}

export function whenTime(core: Core, states: unknown, ticks: readonly number[], opts?: WaitOptions): Promise<void> {
  if (!Array.isArray(states)) throw new TypeError(`machine ${core.id}: whenTime() expects an array of states`)
  const idx = core.parse(states, 'whenTime()')
  if (!Array.isArray(ticks) || ticks.length !== states.length || idx.length !== states.length) {
    throw new TypeError(`machine ${core.id}: whenTime() needs one tick per state (${states.length} states, ` +
      `${Array.isArray(ticks) ? ticks.length : 'no'} ticks${idx.length !== states.length ? ', duplicated states' : ''})`)
  }
  for (const t of ticks) {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) {
      throw new RangeError(`machine ${core.id}: whenTime() ticks must be integers ≥ 0, got ${String(t)}`)
    }
  }
  const want = ticks.slice()
  const what = `whenTime(${idx.map((i, k) => `${core.c.names[i]}:${want[k]}`).join(' ')})`
  return core.waiters().start('state', what, idx, () => idx.every((i, k) => (core.clock[i] as number) >= (want[k] as number)), opts)
}

export function whenTicks(core: Core, state: unknown, n: number, opts?: WaitOptions): Promise<void> {
  if (typeof state !== 'string') throw new TypeError(`machine ${core.id}: whenTicks() expects one state name`)
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`machine ${core.id}: whenTicks() n must be an integer ≥ 0, got ${String(n)}`)
  }
  const [i] = core.parse(state, 'whenTicks()') as [number]
  const target = (core.clock[i] as number) + n
  return core.waiters().start('state', `whenTicks(${state} +${n})`, [i], () => (core.clock[i] as number) >= target, opts)
}

export function whenArgs(core: Core, state: unknown, args: Args, opts?: WaitOptions): Promise<void> {
  if (typeof state !== 'string') throw new TypeError(`machine ${core.id}: whenArgs() expects one state name`)
  if (typeof args !== 'object' || args === null) throw new TypeError(`machine ${core.id}: whenArgs() args must be an object`)
  const idx = core.parse(state, 'whenArgs()')
  const what = `whenArgs(${state} ${Object.keys(args).join(',')})`
  return core.waiters().start('args', what, idx, () => false, opts, { args: { ...args } })
}

export function whenQueue(core: Core, tick: number, opts?: WaitOptions): Promise<void> {
  if (typeof tick !== 'number' || !Number.isInteger(tick) || tick < 0) {
    throw new RangeError(`machine ${core.id}: whenQueue() tick must be an integer ≥ 0, got ${String(tick)}`)
  }
  return core.waiters().start('queue', `whenQueue(${tick})`, [], () => core.queueTick >= tick, opts, { tick })
}

export function whenQueueEnds(core: Core, opts?: WaitOptions): Promise<void> {
  return core.waiters().start('queueEnd', 'whenQueueEnds()', [], () => !core.processing, opts)
}

export function whenDisposed(core: Core, opts?: WaitOptions): Promise<void> {
  return core.waiters().start('disposal', 'whenDisposed()', [], () => core.disposed, opts)
}
