/**
 * Formatting values that came from users, for messages and log lines. A user value may be hostile (a throwing
 * `toString`, a revoked proxy, a null-prototype object, a getter that throws): nothing here throws, whatever it is
 * given.
 */

const MAX = 60

/**
 * A short description of a value for error messages: `number 42`, `string 'abc'`, `null`, `undefined`,
 * `function foo`, `array(3)`, `object Foo`. Never throws; never calls user code except through guarded reads.
 */
export function describe(v: unknown): string {
  try {
    switch (typeof v) {
      case 'string':
        return `string '${cut(v)}'`
      case 'number':
      case 'boolean':
      case 'bigint':
        return `${typeof v} ${String(v)}`
      case 'symbol':
        return 'a symbol'
      case 'undefined':
        return 'undefined'
      case 'function':
        return `function ${safeName(v) || '(anonymous)'}`
    }
    if (v === null) return 'null'
    if (Array.isArray(v)) return `array(${v.length})`
    const ctor = constructorName(v as object)
    return ctor ? `object ${ctor}` : 'object (null prototype)'
  } catch {
    return 'an unreadable value'
  }
}

/**
 * `String(v)` that never throws: errors give their message, objects that cannot be stringified give `[object X]`
 * or `[unprintable]`.
 */
export function safeString(v: unknown): string {
  try {
    if (v instanceof Error) return typeof v.message === 'string' ? v.message : String(v)
  } catch {
    // a proxy whose prototype trap throws: fall through
  }
  try {
    if (typeof v === 'symbol') return v.toString()
    const s = String(v)
    return typeof s === 'string' ? s : '[unprintable]'
  } catch {
    try {
      const ctor = typeof v === 'object' && v !== null ? constructorName(v) : ''
      return ctor ? `[object ${ctor}]` : '[unprintable]'
    } catch {
      return '[unprintable]'
    }
  }
}

/** `JSON.stringify(v)` for log lines, falling back to `safeString(v)`; never throws. */
export function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v)
    if (typeof s === 'string') return s
  } catch {
    // cycles, BigInts, throwing toJSON/getters
  }
  return safeString(v)
}

/** Reads `obj[key]` without letting a throwing getter or proxy trap escape; `fallback` when it throws. */
export function safeGet(obj: unknown, key: PropertyKey, fallback?: unknown): unknown {
  try {
    return (obj as Record<PropertyKey, unknown>)[key]
  } catch {
    return fallback
  }
}

/**
 * The `then` of a value if it is a thenable, read once and guarded: `{ then }` or `{ error }` when reading it threw.
 * Awaiting a user value reads `then`; read it here so a throwing getter becomes an error the caller can report.
 */
export function thenOf(v: unknown): { then?: (ok: (x: unknown) => void, fail: (e: unknown) => void) => unknown; error?: unknown } {
  if ((typeof v !== 'object' || v === null) && typeof v !== 'function') return {}
  try {
    const then = (v as { then?: unknown }).then
    return typeof then === 'function' ? { then: then.bind(v) as never } : {}
  } catch (error) {
    return { error: error ?? new Error('reading .then threw undefined') }
  }
}

function constructorName(v: object): string {
  const proto: unknown = Object.getPrototypeOf(v)
  if (proto === null) return ''
  const ctor = safeGet(proto, 'constructor')
  return typeof ctor === 'function' ? safeName(ctor) || 'Object' : 'Object'
}

function safeName(fn: unknown): string {
  const name = safeGet(fn, 'name')
  return typeof name === 'string' ? cut(name) : ''
}

function cut(s: string): string {
  return s.length <= MAX ? s : `${s.slice(0, MAX - 1)}…`
}
