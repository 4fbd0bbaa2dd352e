/**
 * Reading users' state definitions for `schema()` and `extend()`: each value is read once (own properties only) into a
 * plain copy before anything checks it, so a getter or proxy cannot change it between validation and use, and one
 * that throws becomes a `SchemaError` / `InvalidArgumentError` instead of a raw error. Also the state-name rules.
 */
import { safeString } from './describe.js'
import { InvalidArgumentError, SchemaError } from './errors.js'
import type { Schema, StateDef } from './types.js'
import { isArray } from './validate.js'

export { isArray }

export const RELATIONS = ['require', 'add', 'remove', 'after'] as const
export type Relation = (typeof RELATIONS)[number]
const KNOWN_FIELDS = new Set<string>(['auto', 'multi', 'tags', ...RELATIONS])
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
export const HANDLER_SUFFIXES = ['Enter', 'Exit', 'State', 'End'] as const
/**
 * Names of `Object.prototype`'s members: rejected as state names, so every record keyed by state names (`clock()`,
 * `schema.states`, pipe maps, users' own objects) stays an ordinary object where `rec[name]` means that state.
 */
export const PROTO_NAMES = [
  '__proto__', 'constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
] as const
const PROTO_NAME_SET: ReadonlySet<string> = new Set<string>([...PROTO_NAMES, ...Object.getOwnPropertyNames(Object.prototype)])

/** A definition object: state name → definition. */
export type Def = { readonly [name: string]: StateDef<string> }

// --- Types of the `schema()` parameters --------------------------------------------------------------------------
// Each part is checked by a mapped type of itself (`const A extends CheckPart<A, N>`), so a mistake is reported on
// the property that has it. `schema()` returns `Schema<SchemaNames<…> & string>`: the `& string` makes TypeScript
// resolve the alias, so hovers and errors show the union of names.

type ExceptionName = 'Exception'
type ReservedName = 'Any' | `${string}${(typeof HANDLER_SUFFIXES)[number]}` | (typeof PROTO_NAMES)[number]
/** A schema or a definition object, as `schema()` takes them. */
export type Part = Schema<any> | object // eslint-disable-line @typescript-eslint/no-explicit-any
type PartNames<P> = P extends Schema<infer N> ? N : Extract<keyof P, string>
/** The state names of all parts, plus `Exception`. */
export type SchemaNames<P extends readonly unknown[]> = PartNames<P[number]> | ExceptionName
/** States of a definition object that are `multi: true`, or may be (`multi` typed `boolean`). */
type DefMulti<D> = {
  [K in keyof D]-?: 'multi' extends keyof D[K] ? (true extends D[K]['multi' & keyof D[K]] ? K : never) : never
}[keyof D] & string
type PartMulti<P> = P extends Schema<string, infer M> ? M : DefMulti<P>
/** Multi states of merged parts: a later part's definition of a state replaces the earlier ones. */
type LastWinsMulti<P extends readonly unknown[]> = P extends readonly [...infer Init, infer Last]
  ? PartMulti<Last> | Exclude<LastWinsMulti<Init>, PartNames<Last>>
  : never
/** The `multi` states of all parts, plus `Exception` (always multi). Parts not in a tuple: any that may be. */
export type SchemaMulti<P extends readonly unknown[]> =
  | (number extends P['length'] ? PartMulti<P[number]> : LastWinsMulti<P>)
  | ExceptionName

/** The last member of a union (the order TypeScript keeps), for `Known`. */
type LastOf<U> = ((U extends unknown ? (x: () => U) => void : never) extends (x: infer I) => void ? I : never) extends
  () => infer L ? L : never
/** `'A | B | C'`: the names of a union in one string, for messages. Only computed when there is an error. */
type Known<U extends string, Acc extends string = ''> = [U] extends [never]
  ? Acc
  : LastOf<U> extends infer L extends string
    ? Known<Exclude<U, L>, Acc extends '' ? L : `${L} | ${Acc}`>
    : Acc
type NotAState<T, N extends string> =
  `'${T & string}' is not a state of this schema: ${Known<Exclude<N, ExceptionName>, ExceptionName>}`
type CheckList<L, N extends string> = L extends readonly unknown[]
  ? { readonly [I in keyof L]: L[I] extends N ? L[I] : NotAState<L[I], N> }
  : 'a list of state names'
type CheckState<S, N extends string> = S extends object ? {
  readonly [F in keyof S]: F extends 'auto' | 'multi' ? boolean
    : F extends Relation ? CheckList<S[F], N>
      : F extends 'tags' ? readonly string[]
        : `'${F & string}' is not a field of a state definition: auto | multi | require | add | remove | after | tags`
} : StateDef<N>
/** One part checked against the names `N` of all parts: a schema passes as it is; a definition state by state. */
export type CheckPart<P, N extends string> = {
  readonly [K in keyof P]: P extends Schema<any> // eslint-disable-line @typescript-eslint/no-explicit-any
    ? P[K]
    : K extends ReservedName ? `'${K & string}' is a reserved state name` : CheckState<P[K], N>
}

/** @throws SchemaError for a malformed or reserved state name. */
export function checkName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new SchemaError(`invalid state name '${name}': use letters, digits and '_', not starting with a digit`, name)
  }
  if (name === 'Any') throw new SchemaError(`'Any' is reserved for the AnyEnter/AnyState handlers`, name)
  if (PROTO_NAME_SET.has(name)) {
    throw new SchemaError(`state name '${name}' is reserved: it is a member of Object.prototype`, name)
  }
  const suffix = HANDLER_SUFFIXES.find((s) => name.endsWith(s))
  if (suffix) {
    throw new SchemaError(`state name '${name}' ends with '${suffix}', which is reserved for handler names`, name)
  }
}

/** Copies the own definitions of one part into `into`, each read once; a throwing getter or trap is a SchemaError. */
export function readPart(part: Def, i: number, into: Map<string, StateDef<string>>): void {
  let name = ''
  try {
    for (name of Object.keys(part)) {
      checkName(name)
      into.set(name, copyDef(name, part[name]))
    }
  } catch (err) {
    if (err instanceof SchemaError) throw err
    const where = name ? `state '${name}'` : `part #${i + 1}`
    const e = new SchemaError(`schema(): reading ${where} threw: ${safeString(err)}`, name || undefined)
    Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true })
    throw e
  }
}

/** A plain copy of a definition's own fields; the values are checked by `sanitise`. */
function copyDef(name: string, def: unknown): StateDef<string> {
  if (def === null || typeof def !== 'object' || isArray(def)) {
    throw new SchemaError(`state '${name}': the definition must be an object`, name)
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(def)) {
    if (!KNOWN_FIELDS.has(key)) {
      const known = [...KNOWN_FIELDS].join(', ')
      throw new SchemaError(`state '${name}': unknown field '${key}' (known: ${known})`, name)
    }
    const v: unknown = (def as Record<string, unknown>)[key]
    if (key === 'auto' || key === 'multi' || v === undefined) {
      out[key] = v
      continue
    }
    if (!Array.isArray(v)) {
      const what = key === 'tags' ? 'an array of strings' : 'an array of state names'
      throw new SchemaError(`state '${name}': '${key}' must be ${what}`, name)
    }
    // Lists are copied element by element now, so a proxy or getter is read exactly once.
    out[key] = Array.from(v as unknown[])
  }
  return out as StateDef<string>
}

/** A plain copy of an `extend()` argument, each field read once; lists must be arrays. */
export function readForExtend<N extends string>(arg: string, v: StateDef<N>): StateDef<N> {
  if (v === null || typeof v !== 'object') throw new InvalidArgumentError('extend()', arg, 'a state definition object', v)
  const out: Record<string, unknown> = {}
  try {
    if (Array.isArray(v)) throw new InvalidArgumentError('extend()', arg, 'a state definition object', v)
    for (const key of ['auto', 'multi', ...RELATIONS, 'tags'] as const) {
      const x: unknown = v[key]
      if (x === undefined) continue
      if (key !== 'auto' && key !== 'multi') {
        if (!Array.isArray(x)) throw new InvalidArgumentError('extend()', `${arg}.${key}`, 'an array of state names', x)
        out[key] = [...(x as unknown[])]
      } else out[key] = x
    }
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err
    const e = new InvalidArgumentError('extend()', arg, `readable (reading it threw: ${safeString(err)})`, v)
    Object.defineProperty(e, 'cause', { value: err, configurable: true, writable: true })
    throw e
  }
  return out as StateDef<N>
}
