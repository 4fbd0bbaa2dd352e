/**
 * `schema()` and `extend()`: validate and sanitise state definitions, fix the state index (declaration order), and
 * precompute the relation tables every machine of the schema shares.
 */
import { safeString } from './describe.js'
import { SchemaError } from './errors.js'
import {
  checkName, type CheckPart, type Def, isArray, type Part, readForExtend, readPart, type Relation, RELATIONS,
  type SchemaMulti, type SchemaNames,
} from './schema-input.js'
import type { Schema, StateDef } from './types.js'

export const EXCEPTION = 'Exception'
const NO_STATES: Int32Array = new Int32Array(0)

export type { SchemaMulti, SchemaNames }

/** Parts after the third, each checked against the names `N` of all. */
type CheckParts<P extends readonly unknown[], N extends string> = { [I in keyof P]: CheckPart<P[I], N> }

/** Relation tables by state index, built once per schema. */
export interface Compiled {
  readonly n: number
  readonly names: readonly string[]
  readonly index: ReadonlyMap<string, number>
  /**
   * The last single name looked up in `index` and its number (Core.parse): a run of one name (an actor's message, a
   * loop's toggle) skips the Map, as interned strings compare by pointer first. Kept per schema, not per machine.
   */
  readonly lastParsed: { name: string; index: number }
  readonly auto: Uint8Array
  readonly multi: Uint8Array
  readonly require: readonly Int32Array[]
  readonly add: readonly Int32Array[]
  readonly remove: readonly Int32Array[]
  readonly after: readonly Int32Array[]
  /** Inverse of `remove`: the states whose `remove` lists this one. */
  readonly removedBy: readonly Int32Array[]
  /** Position in the require topology (required states first); -1 for states in no require edge. */
  readonly topo: Int32Array
  /** False when no state has require edges or `after`: sorting targets is then a no-op. */
  readonly sorts: boolean
  /** Some state has an `after` list: only then does sorting need its `after` pass. */
  readonly hasAfter: boolean
  /** Some state has an `add` list: otherwise the resolver's Add steps are no-ops. */
  readonly hasAdd: boolean
  /** Some state has a `require` list: otherwise the resolver's Require steps are no-ops. */
  readonly hasRequire: boolean
  /** When a listed state applies its `add` list (resolve.ts): 0 never (none), 1 while inactive, 2 always (multi). */
  readonly adds: Uint8Array
  /** 1 for states that some state requires. */
  readonly required: Uint8Array
  readonly autoStates: Int32Array
  /** Position of each state in `autoStates`; -1 for states that are not auto. */
  readonly autoPos: Int32Array
  /**
   * Per state: the auto states its activity matters to, as signed positions in `autoStates`: `p + 1` when it removes
   * auto state p (blocks it while active), `-(p + 1)` when auto state p counts it as a require (missing while
   * inactive). See auto.ts.
   */
  readonly autoTouch: readonly Int32Array[]
  /** Per auto-state position: its counted requires, all missing while no state is active. */
  readonly autoMissing: Int32Array
  readonly exception: number
  /** Indexes of `Heartbeat` / `Healthcheck` (-1 when absent): adding only them triggers no auto states. */
  readonly health: readonly [number, number]
}

/** Every schema made by `schema()`, with its tables: a WeakMap, so neither a copy nor a proxy passes for one. */
const COMPILED = new WeakMap<object, Compiled>()

/**
 * Validates state definitions and returns a frozen schema. State names become a literal union type; relation
 * targets and fields are checked at compile time, each mistake reported on its property (`'Redy' is not a state of
 * this schema: Start | Ready | Exception`), and at run time. Several parts (definitions or schemas) are merged:
 * a later part replaces whole state definitions of earlier ones; the order is that of first appearance.
 *
 * ```ts
 * const ss = schema({
 *   Start: {},
 *   Ready: { auto: true, require: ['Start'] },
 *   Retry: { multi: true },
 * })
 * ss.names // ['Start', 'Ready', 'Retry', 'Exception']
 * ```
 *
 * Each definition is read once (own properties only) into a plain copy before it is validated: getters and proxies
 * cannot change a value between validation and use, and one that throws becomes a `SchemaError`.
 *
 * @throws SchemaError for unknown relation targets, reserved or malformed names (incl. names of `Object.prototype`
 * members such as `constructor` or `__proto__`), `require`∩`remove` conflicts, unreadable definitions.
 */
export function schema<const A extends CheckPart<A, SchemaNames<[A]>>>(
  a: A): Schema<SchemaNames<[A]> & string, SchemaMulti<[A]> & SchemaNames<[A]> & string>
/** Two parts merged: relations of each may name the states of both (see the first overload). */
export function schema<const A extends CheckPart<A, SchemaNames<[A, B]>>, const B extends CheckPart<B, SchemaNames<[A, B]>>>(
  a: A, b: B): Schema<SchemaNames<[A, B]> & string, SchemaMulti<[A, B]> & SchemaNames<[A, B]> & string>
/** Three parts merged (see the first overload). */
export function schema<const A extends CheckPart<A, SchemaNames<[A, B, C]>>,
  const B extends CheckPart<B, SchemaNames<[A, B, C]>>, const C extends CheckPart<C, SchemaNames<[A, B, C]>>>(
  a: A, b: B, c: C): Schema<SchemaNames<[A, B, C]> & string, SchemaMulti<[A, B, C]> & SchemaNames<[A, B, C]> & string>
/** Four parts or more (see the first overload); past the third, a mistake marks the whole call, not its property. */
export function schema<const A extends CheckPart<A, SchemaNames<[A, B, C, ...R]>>,
  const B extends CheckPart<B, SchemaNames<[A, B, C, ...R]>>, const C extends CheckPart<C, SchemaNames<[A, B, C, ...R]>>,
  const R extends readonly Part[]>(
  a: A, b: B, c: C, ...rest: R & CheckParts<R, SchemaNames<[A, B, C, ...R]>>
): Schema<SchemaNames<[A, B, C, ...R]> & string, SchemaMulti<[A, B, C, ...R]> & SchemaNames<[A, B, C, ...R]> & string>
export function schema(...parts: readonly Part[]): Schema<string> {
  if (parts.length === 0) throw new SchemaError('schema() needs at least one state definition')
  const merged = new Map<string, StateDef<string>>()
  for (const [i, part] of parts.entries()) {
    if (isSchema(part)) {
      for (const name of part.names) merged.set(name, part.states[name] as StateDef<string>)
      continue
    }
    if (part === null || typeof part !== 'object' || isArray(part)) {
      throw new SchemaError(`schema() part #${i + 1} is not a state definition object`)
    }
    readPart(part as Def, i, merged)
  }
  if (!merged.has(EXCEPTION)) merged.set(EXCEPTION, { multi: true })
  return build(merged)
}

/**
 * Unions the relation lists and tags of `overlay` into `def` (order kept, duplicates dropped). `auto` and `multi` are
 * only ever switched on. Use it to change an inherited state in a merged schema.
 */
export function extend<N extends string>(def: StateDef<N>, overlay: StateDef<N>): StateDef<N> {
  def = readForExtend('def', def)
  overlay = readForExtend('overlay', overlay)
  const out: { -readonly [K in keyof StateDef<N>]: StateDef<N>[K] } = {}
  if (def.auto || overlay.auto) out.auto = true
  if (def.multi || overlay.multi) out.multi = true
  for (const rel of RELATIONS) {
    const list = union(def[rel], overlay[rel])
    if (list) out[rel] = list
  }
  const tags = union(def.tags, overlay.tags)
  if (tags) out.tags = tags
  return out
}

/** True for the output of `schema()`. */
export function isSchema(value: unknown): value is Schema<string> {
  return typeof value === 'object' && value !== null && COMPILED.has(value)
}

/** The relation tables of a schema. */
export function compiled(s: Schema<string>): Compiled {
  const c = typeof s === 'object' && s !== null ? COMPILED.get(s) : undefined
  if (!c) throw new SchemaError('not a schema: create it with schema()')
  return c
}

function union<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): T[] | undefined {
  if (!a && !b) return undefined
  return [...new Set([...(a ?? []), ...(b ?? [])])]
}

// --- Validation and compilation ----------------------------------------------------------------------------------

function build(defs: Map<string, StateDef<string>>): Schema<string> {
  const names = [...defs.keys()]
  for (const name of names) checkName(name)
  const index = new Map(names.map((n, i) => [n, i]))
  const states: Record<string, StateDef<string>> = {}
  for (const name of names) states[name] = sanitise(name, defs.get(name) as StateDef<string>, index)
  const c = compile(names, index, states)
  const out = Object.freeze({ names: Object.freeze(names), states: Object.freeze(states) })
  COMPILED.set(out, c)
  return out as unknown as Schema<string>
}

function sanitise(name: string, def: StateDef<string>, index: Map<string, number>): StateDef<string> {
  if (def === null || typeof def !== 'object' || Array.isArray(def)) {
    throw new SchemaError(`state '${name}': the definition must be an object`, name)
  }
  for (const flag of ['auto', 'multi'] as const) {
    if (def[flag] !== undefined && typeof def[flag] !== 'boolean') {
      throw new SchemaError(`state '${name}': '${flag}' must be a boolean`, name)
    }
  }
  const rel = {} as Record<Relation, string[]>
  for (const r of RELATIONS) {
    const list = def[r]
    if (list === undefined) {
      rel[r] = []
      continue
    }
    if (!Array.isArray(list)) throw new SchemaError(`state '${name}': '${r}' must be an array of state names`, name)
    for (const target of list) {
      if (typeof target !== 'string' || !index.has(target)) {
        throw new SchemaError(`state '${name}': ${r} relation names unknown state '${safeString(target)}'`, name)
      }
    }
    rel[r] = [...new Set(list as string[])]
  }
  // Sanitising as asyncmachine-go Schema.Parse: no self remove/after/require; an entry in add and remove stays in add.
  rel.remove = rel.remove.filter((s) => s !== name && !rel.add.includes(s))
  rel.after = rel.after.filter((s) => s !== name)
  rel.require = rel.require.filter((s) => s !== name)
  const conflict = rel.require.filter((s) => rel.remove.includes(s))
  if (conflict.length > 0) {
    const list = conflict.map((s) => `'${s}'`).join(', ')
    throw new SchemaError(`state '${name}' both requires and removes ${list}`, name)
  }
  const out: { -readonly [K in keyof StateDef<string>]: StateDef<string>[K] } = {}
  if (def.auto) out.auto = true
  if (def.multi || name === EXCEPTION) out.multi = true
  for (const r of RELATIONS) if (rel[r].length > 0) out[r] = Object.freeze(rel[r])
  if (def.tags !== undefined) {
    if (!Array.isArray(def.tags) || def.tags.some((t) => typeof t !== 'string')) {
      throw new SchemaError(`state '${name}': 'tags' must be an array of strings`, name)
    }
    out.tags = Object.freeze([...def.tags])
  }
  return Object.freeze(out)
}

function compile(names: string[], index: Map<string, number>, states: Record<string, StateDef<string>>): Compiled {
  const n = names.length
  const idx = (list: readonly string[] | undefined): Int32Array =>
    list && list.length > 0 ? Int32Array.from(list, (s) => index.get(s) as number) : NO_STATES
  const table = (r: Relation): Int32Array[] => names.map((s) => idx(states[s]?.[r]))
  const require = table('require')
  const remove = table('remove')
  const after = table('after')
  const removedBy: number[][] = names.map(() => [])
  remove.forEach((list, i) => list.forEach((target) => removedBy[target]?.push(i)))
  const auto = Uint8Array.from(names, (s) => (states[s]?.auto ? 1 : 0))
  const topo = requireTopology(require)
  const hasAfter = after.some((l) => l.length > 0)
  const add = table('add')
  const multi = Uint8Array.from(names, (s) => (states[s]?.multi ? 1 : 0))
  const autoStates = Int32Array.from(names.keys()).filter((i) => auto[i] === 1)
  return {
    n,
    names,
    index,
    lastParsed: { name: names[0] as string, index: 0 }, // every schema has Exception, so names[0] exists
    auto,
    multi,
    require,
    add,
    remove,
    after,
    removedBy: removedBy.map((l) => (l.length > 0 ? Int32Array.from(l) : NO_STATES)),
    topo,
    sorts: topo.some((p) => p >= 0) || hasAfter,
    hasAfter,
    hasAdd: add.some((l) => l.length > 0),
    hasRequire: require.some((l) => l.length > 0),
    adds: Uint8Array.from(add, (l, i) => (l.length === 0 ? 0 : multi[i] === 1 ? 2 : 1)),
    required: requiredFlags(require),
    autoStates,
    ...autoTables(autoStates, require, remove, add, auto, multi),
    exception: index.get(EXCEPTION) as number,
    health: [index.get('Heartbeat') ?? -1, index.get('Healthcheck') ?? -1],
  }
}

function requiredFlags(require: readonly Int32Array[]): Uint8Array {
  const out = new Uint8Array(require.length)
  for (const list of require) for (const r of list) out[r] = 1
  return out
}

/**
 * Tables for tracking auto-state candidates per machine (auto.ts). An auto state is blocked while an active state
 * removes it, and misses a require while one of its counted requires is inactive. A require is not counted when the
 * auto transition itself could bring it in: it is an auto state, or reachable by `add` from an auto or multi state.
 * A missing counted require is never in the resolver's list, so the state would be dropped there.
 */
function autoTables(autoStates: Int32Array, require: readonly Int32Array[], remove: readonly Int32Array[],
  add: readonly Int32Array[], auto: Uint8Array, multi: Uint8Array): Pick<Compiled, 'autoPos' | 'autoTouch' | 'autoMissing'> {
  const n = require.length
  const autoPos = new Int32Array(n).fill(-1)
  autoStates.forEach((a, p) => (autoPos[a] = p))
  const reachable = addClosure(add, (i) => auto[i] === 1 || multi[i] === 1)
  const touch: number[][] = require.map(() => [])
  const autoMissing = new Int32Array(autoStates.length)
  autoStates.forEach((a, p) => {
    for (const r of require[a] as Int32Array) {
      if (auto[r] === 1 || reachable[r] === 1) continue
      touch[r]?.push(-(p + 1))
      autoMissing[p] = (autoMissing[p] as number) + 1
    }
  })
  remove.forEach((list, s) => list.forEach((t) => {
    if (auto[t] === 1) touch[s]?.push((autoPos[t] as number) + 1)
  }))
  const autoTouch = touch.map((l) => (l.length > 0 ? Int32Array.from(l) : NO_STATES))
  return { autoPos, autoTouch, autoMissing }
}

/** States reachable over one or more `add` edges from the states matching `from`. */
function addClosure(add: readonly Int32Array[], from: (i: number) => boolean): Uint8Array {
  const seen = new Uint8Array(add.length)
  const stack: number[] = []
  add.forEach((_, i) => {
    if (from(i)) stack.push(i)
  })
  const visited = new Uint8Array(add.length)
  while (stack.length > 0) {
    const i = stack.pop() as number
    if (visited[i]) continue
    visited[i] = 1
    for (const t of add[i] as Int32Array) {
      seen[t] = 1
      stack.push(t)
    }
  }
  return seen
}

/**
 * Post-order DFS over the require graph in index order: required states get lower positions than the states that
 * need them. States in no require edge stay at -1 (they sort first). Back edges of cycles are ignored.
 */
function requireTopology(require: readonly Int32Array[]): Int32Array {
  const n = require.length
  const inEdge = new Uint8Array(n)
  require.forEach((list, i) => {
    if (list.length > 0) inEdge[i] = 1
    list.forEach((t) => (inEdge[t] = 1))
  })
  const pos = new Int32Array(n).fill(-1)
  const visiting = new Uint8Array(n)
  let next = 0
  const visit = (i: number): void => {
    if (pos[i] !== -1 || visiting[i]) return
    visiting[i] = 1
    for (const t of require[i] as Int32Array) visit(t)
    pos[i] = next++
  }
  for (let i = 0; i < n; i++) if (inEdge[i]) visit(i)
  return pos
}
