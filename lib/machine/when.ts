/**
 * The waiters behind `Machine`'s `when*` methods: each checks its arguments (bad ones throw synchronously), then
 * starts a waiter in the machine's registry (waiters.ts) and returns its `Promise<void>`.
 */
import type { Core } from './core.js'
import { safeString } from './describe.js'
import { InvalidArgumentError, OutOfRangeError } from './errors.js'
import type { Args } from './types.js'
import type { WaitOptions } from './waiters.js'

export function when(core: Core, states: unknown, opts?: WaitOptions, label?: string): Promise<void> {
  const idx = core.parse(states, 'when()')
  return core.ensureWaiters().start('state', label ?? `when(${core.names(idx).join(' ')})`, idx,
    () => idx.every((i) => core.isActive(i)), opts)
}

export function whenNot(core: Core, states: unknown, opts?: WaitOptions): Promise<void> {
  const idx = core.parse(states, 'whenNot()')
  return core.ensureWaiters().start('state', `whenNot(${core.names(idx).join(' ')})`, idx,
    () => idx.every((i) => !core.isActive(i)), opts)
}

export function whenTime(core: Core, states: unknown, ticks: readonly number[], opts?: WaitOptions): Promise<void> {
  const where = `machine ${core.id}: whenTime()`
  if (!Array.isArray(states)) throw new InvalidArgumentError(where, 'states', 'an array of state names', states)
  const idx = core.parse(states, 'whenTime()')
  if (idx.length !== states.length) throw new InvalidArgumentError(where, 'states', 'distinct state names', states)
  if (!Array.isArray(ticks)) throw new InvalidArgumentError(where, 'ticks', 'an array of ticks', ticks)
  // A copy read once: the array cannot change between the check and the wait.
  const want = Array.from(ticks as readonly unknown[])
  if (want.length !== states.length) {
    throw new InvalidArgumentError(where, 'ticks', `one tick per state (${states.length})`, ticks)
  }
  for (const t of want) {
    if (typeof t !== 'number') throw new InvalidArgumentError(where, 'ticks', 'numbers', t)
    if (!Number.isInteger(t) || t < 0) throw new OutOfRangeError(where, 'ticks', 'integers ≥ 0', t)
  }
  const what = `whenTime(${idx.map((i, k) => `${core.tables.names[i]}:${want[k]}`).join(' ')})`
  return core.ensureWaiters().start('state', what, idx,
    () => idx.every((i, k) => (core.clock[i] as number) >= (want[k] as number)), opts)
}

export function whenTicks(core: Core, state: unknown, n: number, opts?: WaitOptions): Promise<void> {
  const where = `machine ${core.id}: whenTicks()`
  if (typeof state !== 'string') throw new InvalidArgumentError(where, 'state', 'a state name', state)
  if (typeof n !== 'number') throw new InvalidArgumentError(where, 'n', 'a number', n)
  if (!Number.isInteger(n) || n < 0) throw new OutOfRangeError(where, 'n', 'an integer ≥ 0', n)
  const [i] = core.parse(state, 'whenTicks()') as [number]
  const target = (core.clock[i] as number) + n
  return core.ensureWaiters().start('state', `whenTicks(${state} +${n})`, [i], () => (core.clock[i] as number) >= target, opts)
}

export function whenArgs(core: Core, state: unknown, args: Args, opts?: WaitOptions): Promise<void> {
  const where = `machine ${core.id}: whenArgs()`
  if (typeof state !== 'string') throw new InvalidArgumentError(where, 'state', 'a state name', state)
  if (typeof args !== 'object' || args === null) throw new InvalidArgumentError(where, 'args', 'an object', args)
  const idx = core.parse(state, 'whenArgs()')
  let want: Args
  try {
    want = { ...args }
  } catch (err) {
    throw new InvalidArgumentError(where, 'args', `readable (copying it threw: ${safeString(err)})`, args)
  }
  const what = `whenArgs(${state} ${Object.keys(want).join(',')})`
  return core.ensureWaiters().start('args', what, idx, () => false, opts, { args: want })
}

export function whenQueue(core: Core, tick: number, opts?: WaitOptions): Promise<void> {
  const where = `machine ${core.id}: whenQueue()`
  if (typeof tick !== 'number') throw new InvalidArgumentError(where, 'tick', 'a queue tick (number)', tick)
  if (!Number.isInteger(tick) || tick < 0) throw new OutOfRangeError(where, 'tick', 'an integer ≥ 0', tick)
  return core.ensureWaiters().start('queue', `whenQueue(${tick})`, [], () => core.queueTick >= tick, opts, { tick })
}

export function whenQueueEnds(core: Core, opts?: WaitOptions): Promise<void> {
  return core.ensureWaiters().start('queueEnd', 'whenQueueEnds()', [], () => !core.processing, opts)
}

export function whenDisposed(core: Core, opts?: WaitOptions): Promise<void> {
  return core.ensureWaiters().start('disposal', 'whenDisposed()', [], () => core.disposed, opts)
}
