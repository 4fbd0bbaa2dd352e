/**
 * Plain data: what a job's input and result may be, the same as RPC args (msgpack's types): `null`, booleans,
 * numbers, strings, `Uint8Array`, arrays and plain objects. Anything else (a `Date`, a `Map`, a class instance, a
 * function, a cycle, a Proxy) is refused before it is sent, so the direct IPC lane and RPC accept the same values.
 */
import { types } from 'node:util'

const MAX_DEPTH = 64

/** Why `v` is not plain data (e.g. `'a Date at .when'`), or null; never throws, whatever `v` is. */
export function plainProblem(v: unknown): string | null {
  try {
    return walk(v, '', 0, new Set())
  } catch {
    return 'an unreadable value'
  }
}

function walk(v: unknown, at: string, depth: number, seen: Set<object>): string | null {
  if (v === null || v === undefined) return null
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return null
    case 'number':
      return null
    case 'object':
      break
    default:
      return `a ${typeof v}${at ? ` at ${at}` : ''}`
  }
  if (depth > MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH}${at ? ` at ${at}` : ''}`
  const o = v as object
  // a Proxy walks like plain data, but the IPC channel cannot clone it: the send would fail and the job be lost
  if (types.isProxy(o)) return `a Proxy${at ? ` at ${at}` : ''}`
  if (o instanceof Uint8Array) return null
  if (seen.has(o)) return `a cycle${at ? ` at ${at}` : ''}`
  seen.add(o)
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const why = walk(o[i], `${at}[${i}]`, depth + 1, seen)
      if (why !== null) return why
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(o)
    if (proto !== Object.prototype && proto !== null) {
      const name = (o as { constructor?: { name?: unknown } }).constructor?.name
      return `${typeof name === 'string' && name ? `a ${name}` : 'a class instance'}${at ? ` at ${at}` : ''}`
    }
    for (const k of Object.keys(o)) {
      const why = walk((o as Record<string, unknown>)[k], `${at}.${k}`, depth + 1, seen)
      if (why !== null) return why
    }
  }
  seen.delete(o)
  return null
}
