/**
 * Pipes mirror states of one machine into another (asyncmachine-go `pkg/states/pipes`). A pipe is a set of final
 * handlers on the source; each source transition is replayed on the target one microtask later, so the source never
 * waits for the target and the target can still refuse the change in its own negotiation. A pipe is removed when
 * either machine is disposed, or by its `dispose()`.
 *
 * Use it as a namespace: `import { pipe } from 'polymachine/states'`, then `pipe.bind(a, b, 'Ready')`.
 */
import { InvalidArgumentError, type Machine, PolymachineError } from '../machine/index.js'
import { safeString } from '../machine/internals.js'
import { ConnectedGroup } from './connected.schema.js'
import { checkMachines, checkName, checkRules, link, type Pipe, type Rule } from './pipe-link.js'

export type { Pipe } from './pipe-link.js'

/** Source states mapped to target states: a list (same names) or a `source → target` record. */
export type StateMap<S extends string, T extends string> = readonly (S & T)[] | { readonly [K in S]?: T }

/**
 * The `[source, target]` pairs of a state map, read once (a getter or proxy cannot change them later).
 * @throws InvalidArgumentError for anything but an array of names or a record of target names.
 */
function entries(where: string, map: unknown): Array<[string, string]> {
  const expected = 'an array of state names or a { source: target } record'
  if (typeof map !== 'object' || map === null) throw new InvalidArgumentError(where, 'states', expected, map)
  try {
    if (Array.isArray(map)) {
      return Array.from(map as unknown[], (s, i) => {
        if (typeof s !== 'string') throw new InvalidArgumentError(where, `states[${i}]`, 'a state name', s)
        return [s, s]
      })
    }
    const out: Array<[string, string]> = []
    for (const key of Object.keys(map)) {
      const to = (map as Record<string, unknown>)[key]
      if (to === undefined) continue
      if (typeof to !== 'string') throw new InvalidArgumentError(where, `states.${key}`, 'a target state name', to)
      out.push([key, to])
    }
    return out
  } catch (err) {
    if (err instanceof PolymachineError) throw err
    throw new InvalidArgumentError(where, 'states', `${expected} that can be read (reading it threw: ${safeString(err)})`, map)
  }
}

/** `Array.isArray` that is false, not a throw, for a revoked proxy (which `entries` then reports). */
function isArray(v: unknown): boolean {
  try {
    return Array.isArray(v)
  } catch {
    return false
  }
}

/** Both directions of one state: activation adds `to`, deactivation removes it. */
function mirror(from: string, to: string): Rule[] {
  return [[from, 'state', 'add', to], [from, 'end', 'remove', to]]
}

/**
 * When `sourceState` activates (or a multi state re-enters), adds `targetState` (default: the same name) with the
 * transition's args. `Err*` and `Exception` targets are added with `addErrState`, so they bring `Exception` along.
 *
 * ```ts
 * const p = pipe.add(worker, supervisor, 'Ready', 'WorkerReady')
 * p.dispose() // when no longer needed
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function add<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  state: NoInfer<S & T>): Pipe
export function add<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  sourceState: NoInfer<S>, targetState: NoInfer<T>): Pipe
export function add(source: Machine<string>, target: Machine<string>, sourceState: string, targetState = sourceState): Pipe {
  checkName('pipe.add()', 'sourceState', sourceState)
  checkName('pipe.add()', 'targetState', targetState)
  return link('add', source, target, [[sourceState, 'state', 'add', targetState]])
}

/**
 * When `sourceState` deactivates, removes `targetState` (default: the same name).
 *
 * ```ts
 * pipe.remove(worker, supervisor, 'Ready', 'WorkerReady')
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function remove<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  state: NoInfer<S & T>): Pipe
export function remove<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  sourceState: NoInfer<S>, targetState: NoInfer<T>): Pipe
export function remove(source: Machine<string>, target: Machine<string>, sourceState: string,
  targetState = sourceState): Pipe {
  checkName('pipe.remove()', 'sourceState', sourceState)
  checkName('pipe.remove()', 'targetState', targetState)
  return link('remove', source, target, [[sourceState, 'end', 'remove', targetState]])
}

/**
 * Maps one state to an on-state and an optional off-state: while `state` is active the target has `active`
 * (default: the same name); when it deactivates, `active` is removed and `inactive` (if given) added.
 *
 * ```ts
 * pipe.bind(conn, app, 'Connected', 'Online', 'Offline')
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function bind<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  state: NoInfer<S & T>): Pipe
export function bind<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  state: NoInfer<S>, active: NoInfer<T>, inactive?: NoInfer<T>): Pipe
export function bind(source: Machine<string>, target: Machine<string>, state: string, active = state,
  inactive?: string): Pipe {
  checkName('pipe.bind()', 'state', state)
  checkName('pipe.bind()', 'active', active)
  checkName('pipe.bind()', 'inactive', inactive, true)
  const rules = mirror(state, active)
  if (inactive !== undefined) rules.push([state, 'state', 'remove', inactive], [state, 'end', 'add', inactive])
  return link('bind', source, target, rules)
}

/**
 * Mirrors many states through one binding: `['A', 'B']` (same names) or `{ A: 'X', B: 'Y' }`. The changes of one
 * source transition reach the target as one `remove` and one `add`, so relations between them hold.
 *
 * ```ts
 * pipe.bindMany(src, dst, ['Start', 'Ready'])
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function bindMany<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  states: StateMap<NoInfer<S>, NoInfer<T>>): Pipe {
  return link('bindMany', source, target, entries('pipe.bindMany()', states).flatMap(([from, to]) => mirror(from, to)))
}

/**
 * Mirrors every state the two machines share (by name), except `Exception` (see {@link bindErr}) and `except`.
 *
 * ```ts
 * pipe.bindAny(remote, local)
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function bindAny<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  opts: { except?: readonly NoInfer<S>[] } = {}): Pipe {
  const where = 'pipe.bindAny()'
  checkMachines(where, source, target)
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'options', 'an object', opts)
  let except: unknown
  let ok = false
  try {
    except = opts.except
    if (Array.isArray(except)) except = [...(except as unknown[])]
    ok = except === undefined || (Array.isArray(except) && except.every((s) => typeof s === 'string'))
  } catch {
    // a throwing getter or proxy trap: reported as a bad option below
  }
  if (!ok) throw new InvalidArgumentError(where, 'options.except', 'an array of state names', except)
  const skip = new Set<string>(['Exception', ...((except as string[] | undefined) ?? [])])
  const shared = source.names.filter((s) => !skip.has(s) && target.has(s))
  return link('bindAny', source, target, shared.flatMap((s) => mirror(s, s)))
}

/**
 * Forwards errors: when the source's `Exception` activates, adds `targetErr` (default `Exception`) to the target
 * with `addErrState`, passing the source's error.
 *
 * ```ts
 * pipe.bindErr(db, app, 'ErrDatabase')
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function bindErr<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  targetErr?: NoInfer<T>): Pipe {
  checkName('pipe.bindErr()', 'targetErr', targetErr, true)
  return link('bindErr', source, target, [['Exception', 'state', 'add', targetErr ?? 'Exception']])
}

/** Target states for the four states of `ConnectedSchema`; each is optional. */
/** The keys of `ConnectedTargets`, in `ConnectedGroup` order. */
const CONNECTED_KEYS = ['connecting', 'connected', 'disconnecting', 'disconnected'] as const

export interface ConnectedTargets<T extends string> {
  connecting?: T
  connected?: T
  disconnecting?: T
  disconnected?: T
}

/**
 * Mirrors a `ConnectedSchema` source's connection states into the chosen target states.
 *
 * ```ts
 * pipe.bindConnected(client, app, { connected: 'Online', disconnected: 'Offline' })
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function bindConnected<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  states: ConnectedTargets<NoInfer<T>>): Pipe {
  const where = 'pipe.bindConnected()'
  const expected = `a { ${CONNECTED_KEYS.join(', ')} } record of target state names`
  if (typeof states !== 'object' || states === null || isArray(states)) {
    throw new InvalidArgumentError(where, 'states', expected, states)
  }
  const pairs = entries(where, states)
  const unknown = pairs.find(([k]) => !(CONNECTED_KEYS as readonly string[]).includes(k))
  if (unknown) throw new InvalidArgumentError(where, `states.${unknown[0]}`, `one of ${CONNECTED_KEYS.join(', ')}`, unknown[1])
  if (pairs.length === 0) throw new InvalidArgumentError(where, 'states', `${expected}, at least one`, states)
  const keys: Record<string, string | undefined> = Object.fromEntries(pairs)
  const rules = ConnectedGroup.flatMap((s, i) => {
    const to = keys[CONNECTED_KEYS[i] as string]
    return to === undefined ? [] : mirror(s, to)
  })
  return link('bindConnected', source, target, rules)
}

/**
 * {@link bind} for `Start`: `pipe.bindStart(a, b)` mirrors it, `pipe.bindStart(a, b, 'Up', 'Down')` maps it.
 * @throws DisposedError, UnknownStateError
 */
export function bindStart<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  active?: NoInfer<T>, inactive?: NoInfer<T>): Pipe {
  checkName('pipe.bindStart()', 'active', active, true)
  checkName('pipe.bindStart()', 'inactive', inactive, true)
  return bind(source as Machine<string>, target as Machine<string>, 'Start', active ?? 'Start', inactive)
}

/**
 * {@link bind} for `Ready`: `pipe.bindReady(worker, pool, 'WorkerReady')`.
 * @throws DisposedError, UnknownStateError
 */
export function bindReady<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  active?: NoInfer<T>, inactive?: NoInfer<T>): Pipe {
  checkName('pipe.bindReady()', 'active', active, true)
  checkName('pipe.bindReady()', 'inactive', inactive, true)
  return bind(source as Machine<string>, target as Machine<string>, 'Ready', active ?? 'Ready', inactive)
}

/**
 * One-shot copy, e.g. before (re)connecting a pipe: makes each mapped target state active exactly when its source
 * state is. Runs synchronously: one `remove`, then one `add`.
 *
 * ```ts
 * pipe.sync(src, dst, ['Start', 'Ready'])
 * const p = pipe.bindMany(src, dst, ['Start', 'Ready'])
 * ```
 * @throws DisposedError, UnknownStateError
 */
export function sync<S extends string, T extends string>(source: Machine<S>, target: Machine<T>,
  states: StateMap<NoInfer<S>, NoInfer<T>>): void {
  const src = source as Machine<string>
  const dst = target as Machine<string>
  const pairs = entries('pipe.sync()', states)
  checkRules('pipe.sync()', src, dst, pairs.map(([f, t]) => [f, 'state', 'add', t]))
  const on = [...new Set(pairs.filter(([f]) => src.is(f)).map(([, t]) => t))]
  const off = pairs.filter(([f, t]) => !src.is(f) && !on.includes(t) && dst.is(t)).map(([, t]) => t)
  if (off.length > 0) dst.remove(off)
  const missing = on.filter((t) => !dst.is(t))
  if (missing.length > 0) dst.add(missing)
}
