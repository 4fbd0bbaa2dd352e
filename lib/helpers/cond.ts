/**
 * Conditions (asyncmachine-go `Cond`): small predicates over a machine's states that compose, and `when()` to wait
 * for one. A condition is typed by the states it needs, so applying it to a machine without them is a compile error.
 *
 * Use it as a namespace: `import { cond } from 'polymachine/helpers'`, then `cond.is('Ready')(mach)`.
 */
import { DisposedError, InvalidArgumentError, type Machine, type States } from '../machine/index.js'
import { checkMachine, guarded, type HelperOptions, readArg } from './guard.js'

type Missing<S extends string, N extends string> = [S] extends [N] ? unknown : { readonly 'missing states': Exclude<S, N> }

/**
 * A predicate over a machine that has the states `S`. Evaluating it on a disposed machine throws `DisposedError`;
 * a state the machine lacks (possible when untyped) throws `UnknownStateError`.
 */
export type Cond<S extends string = string> = <N extends string>(mach: Machine<N> & Missing<S, N>) => boolean

/** @throws InvalidArgumentError unless `states` is a state name or an array of them (checked when built). */
function checkStateList(where: string, name: string, states: unknown): void {
  if (typeof states === 'string') return
  const ok = readArg(where, name, states, () => Array.isArray(states) && states.every((s) => typeof s === 'string'))
  if (!ok) throw new InvalidArgumentError(where, name, 'a state name or an array of them', states)
}

/** @throws InvalidArgumentError unless every condition is a function. */
function checkConds(where: string, conds: readonly unknown[]): void {
  const bad = conds.findIndex((c) => typeof c !== 'function')
  if (bad >= 0) throw new InvalidArgumentError(where, `conds[${bad}]`, 'a condition (function)', conds[bad])
}

function make<S extends string>(what: string, test: (m: Machine<string>) => boolean): Cond<S> {
  return ((mach: Machine<string>) => {
    if (mach.disposed) throw new DisposedError(mach.id, `cond.${what}`)
    return test(mach)
  }) as Cond<S>
}

/**
 * All `states` active.
 *
 * ```ts
 * const ready = cond.is(['Start', 'Ready'])
 * ready(mach) // boolean
 * ```
 */
export function is<const S extends string>(states: States<S>): Cond<S> {
  checkStateList('cond.is()', 'states', states)
  return make('is()', (m) => m.is(states))
}

/** None of `states` active: `cond.not('Exception')`. */
export function not<const S extends string>(states: States<S>): Cond<S> {
  checkStateList('cond.not()', 'states', states)
  return make('not()', (m) => m.not(states))
}

/** Some group fully active: `cond.any('A', ['B', 'C'])` is A, or B and C. */
export function any<const S extends string>(...groups: Array<States<S>>): Cond<S> {
  groups.forEach((g, i) => checkStateList('cond.any()', `groups[${i}]`, g))
  return make('any()', (m) => m.any(...groups))
}

/** Every listed tick equals the machine's (asyncmachine-go `Cond.Clock`): `cond.ticks({ Ready: 3 })`. */
export function ticks<const S extends string>(clock: { readonly [K in S]: number }): Cond<S> {
  if (typeof clock !== 'object' || clock === null) {
    throw new InvalidArgumentError('cond.ticks()', 'clock', 'a { state: tick } record', clock)
  }
  const entries = readArg('cond.ticks()', 'clock', clock, () => Object.entries(clock)) as Array<[S, number]>
  for (const [s, t] of entries) {
    if (typeof t !== 'number') throw new InvalidArgumentError('cond.ticks()', `clock.${s}`, 'a tick (number)', t)
  }
  return make('ticks()', (m) => entries.every(([s, t]) => m.tick(s) === t))
}

/** Every condition holds: `cond.all(cond.is('Ready'), cond.not('Busy'))`. */
export function all<S extends string = never>(...conds: Array<Cond<S>>): Cond<S> {
  checkConds('cond.all()', conds)
  return make('all()', (m) => conds.every((c) => (c as (m: Machine<string>) => boolean)(m)))
}

/** At least one condition holds. */
export function some<S extends string = never>(...conds: Array<Cond<S>>): Cond<S> {
  checkConds('cond.some()', conds)
  return make('some()', (m) => conds.some((c) => (c as (m: Machine<string>) => boolean)(m)))
}

/** No condition holds: `cond.none(cond.is('Exception'))`. */
export function none<S extends string = never>(...conds: Array<Cond<S>>): Cond<S> {
  checkConds('cond.none()', conds)
  return make('none()', (m) => !conds.some((c) => (c as (m: Machine<string>) => boolean)(m)))
}

/** The declarative form of a condition; every given field must hold. */
export interface CondSpec<S extends string> {
  is?: States<S>
  not?: States<S>
  any?: ReadonlyArray<States<S>>
  ticks?: { readonly [K in S]?: number }
}

/**
 * A condition from a spec, like asyncmachine-go's `Cond` struct.
 *
 * ```ts
 * const canWork = cond.of({ is: ['Start', 'Ready'], not: 'Exception' })
 * ```
 */
export function of<const S extends string>(spec: CondSpec<S>): Cond<S> {
  if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError('cond.of()', 'spec', 'a CondSpec object', spec)
  const { is: on, not: off, any: groups, ticks: clock } = readArg('cond.of()', 'spec', spec, () => ({ ...spec }))
  const parts: Array<Cond<S>> = []
  if (on !== undefined) parts.push(is(on))
  if (off !== undefined) parts.push(not(off))
  if (groups !== undefined) {
    if (!Array.isArray(groups)) throw new InvalidArgumentError('cond.of()', 'spec.any', 'an array of state groups', groups)
    parts.push(any(...groups))
  }
  if (clock !== undefined) parts.push(ticks(clock as { [K in S]: number }))
  return all(...parts)
}

/**
 * Resolves when `c` holds: at once, or after the transition that makes it true. Rejects with `DisposedError`,
 * `TimeoutError` or the signal's reason.
 *
 * ```ts
 * await cond.when(mach, cond.of({ is: 'Ready', not: 'Busy' }), { timeout: 1_000 })
 * ```
 * @throws RangeError for a bad timeout; UnknownStateError from the condition.
 */
export function when<N extends string>(mach: Machine<N>, c: (mach: Machine<N>) => boolean,
  opts?: HelperOptions): Promise<void> {
  checkMachine('cond.when()', mach)
  if (typeof c !== 'function') throw new InvalidArgumentError('cond.when()', 'cond', 'a condition (function)', c)
  const m = mach as Machine<string>
  const test = c as (m: Machine<string>) => boolean
  return guarded<void>(`cond.when()`, [m.id], opts, (g) => {
    if (m.disposed) return g.reject(new DisposedError(m.id, 'cond.when()'))
    if (test(m)) return g.resolve()
    const sub = m.transitions$.subscribe({
      next: () => {
        try {
          if (test(m)) g.resolve()
        } catch (err) {
          g.reject(err)
        }
      },
      complete: () => g.reject(new DisposedError(m.id, 'cond.when() can no longer happen')),
    })
    g.signal.addEventListener('abort', () => sub.unsubscribe(), { once: true })
  })
}
