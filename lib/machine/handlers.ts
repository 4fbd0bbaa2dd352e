/**
 * Naming-convention handler discovery. `discover()` classifies every method of a handler object once, at bind
 * time, into per-state dispatch tables, so a transition never concatenates strings or probes properties. Objects
 * whose handlers all come from their prototype chain (class instances) share the tables of that prototype: binding
 * the thousandth instance of a class allocates no tables and classifies nothing.
 */
import { safeString } from './describe.js'
import { HandlerNameError, InvalidArgumentError, PolymachineError } from './errors.js'
import type { Compiled } from './schema.js'
import type { Event } from './types.js'

export type HandlerFn = (this: unknown, e: Event) => unknown

/** Handler functions by state index (null when the binding has none of that kind). */
type Table = Array<HandlerFn | undefined> | null

export interface Binding {
  readonly id: string
  /** Bind order, shown in `[handler:N]` log lines. */
  readonly num: number
  readonly obj: object
  enter: Table
  exit: Table
  state: Table
  end: Table
  /** `FooFoo` */
  self: Table
  /** `FooBar`, keyed `from * n + to`. */
  pairs: Map<number, { fn: HandlerFn; name: string }> | null
  /** States with at least one `FooBar` handler as Foo. */
  pairFrom: Set<number> | null
  anyEnter: HandlerFn | null
  anyState: HandlerFn | null
}

/** Handler names per state, built once per schema. */
export interface HandlerNames {
  readonly enter: readonly string[]
  readonly exit: readonly string[]
  readonly state: readonly string[]
  readonly end: readonly string[]
  readonly self: readonly string[]
}

const SUFFIXES = [
  ['Enter', 'enter'],
  ['Exit', 'exit'],
  ['State', 'state'],
  ['End', 'end'],
] as const
const UPPER = /^[A-Z]/
const namesCache = new WeakMap<Compiled, HandlerNames>()

export function handlerNames(schemaTables: Compiled): HandlerNames {
  let names = namesCache.get(schemaTables)
  if (!names) {
    const map = (suffix: string): string[] => schemaTables.names.map((s) => s + suffix)
    const self = schemaTables.names.map((s) => s + s)
    names = { enter: map('Enter'), exit: map('Exit'), state: map('State'), end: map('End'), self }
    namesCache.set(schemaTables, names)
  }
  return names
}

/** Every property name of `obj` and its prototype chain (Object.prototype excluded), first occurrence wins. */
export function memberNames(obj: object): string[] {
  const seen = new Set<string>()
  for (let p: object | null = obj; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) if (name !== 'constructor') seen.add(name)
  }
  return [...seen]
}

function lookup(obj: object, name: string): PropertyDescriptor | undefined {
  for (let p: object | null = obj; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name)
    if (d) return d
  }
  return undefined
}

/** The dispatch tables of a Binding: the parts that depend only on where its methods come from. */
type DispatchTables = Pick<Binding, 'enter' | 'exit' | 'state' | 'end' | 'self' | 'pairs' | 'pairFrom' | 'anyEnter' | 'anyState'>

/** Dispatch tables by schema and prototype, for objects with no handler-like own property. */
const dispatchCache = new WeakMap<Compiled, WeakMap<object, DispatchTables>>()

/** The prototype whose dispatch tables `obj` can share: none when an own property could be a handler (starts upper-case). */
export function sharedProto(obj: object): object | null {
  const proto = Object.getPrototypeOf(obj) as object | null
  if (proto === null || proto === Object.prototype) return null
  for (const name of Object.getOwnPropertyNames(obj)) if (UPPER.test(name)) return null
  return proto
}

/**
 * The dispatch tables of one handler object: shared with earlier objects of the same prototype when it has no
 * handler-like own property, built otherwise.
 * @throws HandlerNameError for handler-shaped names that name no state, ambiguous pair names, and handler names
 * that are not plain methods.
 */
export function discover(obj: object, schemaTables: Compiled, machineId: string, id: string, num: number): Binding {
  const where = `machine ${machineId}: bind()`
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    throw new InvalidArgumentError(where, 'handlers', 'a handler object', obj)
  }
  try {
    const proto = sharedProto(obj)
    let byProto = dispatchCache.get(schemaTables)
    let t = proto ? byProto?.get(proto) : undefined
    if (!t) {
      t = classify(obj, schemaTables, machineId)
      if (proto) {
        if (!byProto) dispatchCache.set(schemaTables, (byProto = new WeakMap()))
        byProto.set(proto, t)
      }
    }
    return { id, num, obj, ...t }
  } catch (err) {
    if (err instanceof PolymachineError) throw err
    // A proxy whose traps throw (discovery reads descriptors only, never calls getters): fail the bind, not later.
    const e = new InvalidArgumentError(where, 'handlers', `an object whose members can be listed (reading it threw: ${safeString(err)})`, obj)
    Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true })
    throw e
  }
}

/** Classifies every member of `obj` into dispatch tables (see `discover`). */
function classify(obj: object, schemaTables: Compiled, machineId: string): DispatchTables {
  const b: DispatchTables = {
    enter: null, exit: null, state: null, end: null, self: null, pairs: null, pairFrom: null, anyEnter: null,
    anyState: null,
  }
  const fnOf = (name: string): HandlerFn => {
    const d = lookup(obj, name)
    if (!d || typeof d.value !== 'function') {
      const what = d && (d.get || d.set) ? 'an accessor' : typeof d?.value
      throw new HandlerNameError(machineId, name, `must be a method, but is ${what}`)
    }
    return d.value as HandlerFn
  }
  const put = (kind: 'enter' | 'exit' | 'state' | 'end' | 'self', i: number, fn: HandlerFn): void => {
    const table = (b[kind] ??= new Array<HandlerFn | undefined>(schemaTables.n).fill(undefined))
    table[i] = fn
  }

  for (const name of memberNames(obj)) {
    if (name === 'AnyEnter' || name === 'AnyState') {
      b[name === 'AnyEnter' ? 'anyEnter' : 'anyState'] = fnOf(name)
      continue
    }
    const suffix = SUFFIXES.find(([s]) => name.endsWith(s))
    const stateIdx = suffix ? schemaTables.index.get(name.slice(0, -suffix[0].length)) : undefined
    if (suffix && stateIdx !== undefined) {
      put(suffix[1], stateIdx, fnOf(name))
      continue
    }
    const pair = splitPair(name, schemaTables, machineId)
    if (pair) {
      const [from, to] = pair
      if (from === to) put('self', from, fnOf(name))
      else {
        ;(b.pairs ??= new Map()).set(from * schemaTables.n + to, { fn: fnOf(name), name })
        ;(b.pairFrom ??= new Set()).add(from)
      }
      continue
    }
    if (/^Any[A-Z]/.test(name)) {
      throw new HandlerNameError(machineId, name, `is not a handler: the only Any handlers are AnyEnter and AnyState`)
    }
    if (suffix && UPPER.test(name)) {
      const state = name.slice(0, -suffix[0].length)
      throw new HandlerNameError(machineId, name, `names no state: '${state}' is not in the schema`)
    }
  }
  return b
}

/** `FooBar` → [Foo, Bar] when both halves are states; throws when several splits fit. */
function splitPair(name: string, schemaTables: Compiled, machineId: string): [number, number] | undefined {
  let found: [number, number] | undefined
  for (let i = 1; i < name.length; i++) {
    const from = schemaTables.index.get(name.slice(0, i))
    const to = from === undefined ? undefined : schemaTables.index.get(name.slice(i))
    if (from === undefined || to === undefined) continue
    if (found) {
      const [a, b] = [schemaTables.names[found[0]], schemaTables.names[found[1]]]
      throw new HandlerNameError(machineId, name, `is ambiguous: '${a}'+'${b}' or '${schemaTables.names[from]}'+'${schemaTables.names[to]}'`)
    }
    found = [from, to]
  }
  return found
}
