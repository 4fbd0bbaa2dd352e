/**
 * Schemas on the wire: the transfer format (`WireState[]`), its parser, the schema hash both ends compare, and the
 * relation-free copy a mirror keeps its clocks in.
 */
import { createHash } from 'node:crypto'
import { schema, type Schema, type StateDef } from '../machine/index.js'
import { RpcError } from './errors.js'
import type { WireState } from './protocol.js'

const AUTO = 1
const MULTI = 2

/**
 * A schema as `WireState[]`: one `[name, flags, require, add, remove, after]` per state, in index order; relations
 * as state indexes; flags 1 = auto, 2 = multi. Tags are not transferred.
 */
export function schemaToWire(s: Schema<string>): WireState[] {
  const index = new Map(s.names.map((n, i) => [n, i]))
  const ix = (list: readonly string[] | undefined): number[] => (list ?? []).map((n) => index.get(n) as number)
  return s.names.map((name) => {
    const d = s.states[name] as StateDef<string>
    return [name, (d.auto ? AUTO : 0) | (d.multi ? MULTI : 0), ix(d.require), ix(d.add), ix(d.remove), ix(d.after)]
  })
}

/**
 * Rebuilds a schema from `WireState[]`, validated by `schema()`. Throws `RpcError` `ERR_RPC_SCHEMA` when it is
 * invalid or when its state order would not survive (e.g. integer-like names, duplicates).
 */
export function schemaFromWire(wire: readonly WireState[]): Schema<string> {
  const names = wire.map((w) => w[0])
  if (new Set(names).size !== names.length) throw new RpcError('ERR_RPC_SCHEMA', 'transferred schema: duplicate names')
  const nameOf = (i: number): string => {
    const n = names[i]
    if (n === undefined) throw new RpcError('ERR_RPC_SCHEMA', `transferred schema: relation to index ${i} out of range`)
    return n
  }
  const def: Record<string, StateDef<string>> = Object.create(null) as Record<string, StateDef<string>>
  for (const [name, flags, req, add, rem, after] of wire) {
    const d: { -readonly [K in keyof StateDef<string>]: StateDef<string>[K] } = {}
    if (flags & AUTO) d.auto = true
    if (flags & MULTI) d.multi = true
    if (req.length) d.require = req.map(nameOf)
    if (add.length) d.add = add.map(nameOf)
    if (rem.length) d.remove = rem.map(nameOf)
    if (after.length) d.after = after.map(nameOf)
    def[name] = d
  }
  let s: Schema<string>
  try {
    s = schema(def)
  } catch (err) {
    throw new RpcError('ERR_RPC_SCHEMA', `transferred schema is invalid: ${(err as Error).message}`, { cause: err })
  }
  if (s.names.length !== names.length || s.names.some((n, i) => n !== names[i])) {
    throw new RpcError('ERR_RPC_SCHEMA', 'transferred schema: state order cannot be kept (integer-like names?)')
  }
  return s
}

/**
 * The schema hash: the first 16 hex chars of SHA-256 over the canonical text of the schema — one line per state in
 * index order, `name;flags;require;add;remove;after` with lists as comma-separated indexes, lines joined by `\n`.
 *
 * ```ts
 * schemaHash(schema({ A: {} })) // the same on every machine with states A, Exception and no relations
 * ```
 */
export function schemaHash(s: Schema<string>): string {
  return hashWire(schemaToWire(s))
}

/** {@link schemaHash} of a schema already in wire form. */
export function hashWire(wire: readonly WireState[]): string {
  const text = wire.map((w) => [w[0], w[1], w[2].join(','), w[3].join(','), w[4].join(','), w[5].join(',')].join(';'))
    .join('\n')
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16)
}

/**
 * The schema a mirror keeps its clocks in: the same names and order and `multi` flags, no relations and no auto
 * states, so clock updates imported into it are never changed by its own resolution.
 */
export function mirrorSchema(s: Schema<string>): Schema<string> {
  const def: Record<string, StateDef<string>> = Object.create(null) as Record<string, StateDef<string>>
  for (const n of s.names) def[n] = s.states[n]?.multi ? { multi: true } : {}
  return schema(def)
}
