/**
 * Plain data: what a job's input and result may be, the same as RPC args (msgpack's types): `null`, booleans,
 * numbers, strings, `Uint8Array`, arrays and plain objects. Anything else (a `Date`, a `Map`, a class instance, a
 * function, a cycle, a Proxy) is refused before it is sent, so the direct IPC lane and RPC accept the same values.
 */
import { types } from 'node:util'

const MAX_DEPTH = 64

/** What is wrong and where: the path is built only for a failure, innermost key first (no string per key walked). */
interface Problem {
  what: string
  path: string[]
}

/** Why `v` is not plain data (e.g. `'a Date at .when'`), or null; never throws, whatever `v` is. */
export function plainProblem(v: unknown): string | null {
  try {
    const p = walk(v, 0, null)
    if (p === null) return null
    return p.path.length > 0 ? `${p.what} at ${p.path.reverse().join('')}` : p.what
  } catch {
    return 'an unreadable value'
  }
}

/**
 * `seen` holds the objects on the path from the top (a cycle comes back to one of them; a value shared by two
 * branches is fine). It is made only when an object has an object inside: a flat input allocates nothing.
 */
function walk(v: unknown, depth: number, seen: Set<object> | null): Problem | null {
  if (v === null || v === undefined) return null
  const t = typeof v
  if (t === 'boolean' || t === 'string' || t === 'number') return null
  if (t !== 'object') return { what: `a ${t}`, path: [] }
  if (depth > MAX_DEPTH) return { what: `nesting deeper than ${MAX_DEPTH}`, path: [] }
  const o = v as object
  // a Proxy walks like plain data, but the IPC channel cannot clone it: the send would fail and the job be lost
  if (types.isProxy(o)) return { what: 'a Proxy', path: [] }
  if (o instanceof Uint8Array) return null
  if (seen?.has(o) === true) return { what: 'a cycle', path: [] }
  let inner = seen
  const down = (x: unknown, key: string): Problem | null => {
    if (typeof x === 'object' && x !== null) (inner ??= new Set()).add(o)
    const p = walk(x, depth + 1, inner)
    p?.path.push(key)
    return p
  }
  let p: Problem | null = null
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length && p === null; i++) p = down(o[i], `[${i}]`)
  } else {
    const proto: unknown = Object.getPrototypeOf(o)
    if (proto !== Object.prototype && proto !== null) {
      const name = (o as { constructor?: { name?: unknown } }).constructor?.name
      return { what: typeof name === 'string' && name ? `a ${name}` : 'a class instance', path: [] }
    }
    for (const k in o) {
      if (!Object.hasOwn(o, k)) continue
      p = down((o as Record<string, unknown>)[k], `.${k}`)
      if (p !== null) break
    }
  }
  inner?.delete(o)
  return p
}
