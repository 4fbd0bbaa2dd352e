/**
 * What a store accepts and how it is encoded. Keys are well-formed Unicode strings; values are plain data, copied
 * and checked once at `put` (every getter read once, under a guard) and encoded as msgpack, so a hostile value is
 * refused whole and a stored one never changes behind the store's back.
 */
import { Packr } from 'msgpackr'
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'

/**
 * Plain data a store keeps: `null`, booleans, numbers (NaN and ±Infinity included), strings, `Uint8Array`s, arrays
 * of these and plain objects (prototype `Object.prototype` or `null`) whose string-keyed own enumerable properties
 * are these. An object property whose value is `undefined` is left out (as `JSON.stringify` does); everything else
 * (`undefined` elsewhere, functions, symbols, bigints, `Date`, `Map`, class instances, cycles, the key `__proto__`)
 * is refused. What `get` returns is a fresh copy: objects come back with `Object.prototype`, byte arrays as
 * `Uint8Array`.
 */
export type StoreValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly StoreValue[]
  | { readonly [key: string]: StoreValue | undefined }

/** The longest key, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024
/** How deeply arrays and objects may nest. */
export const MAX_DEPTH = 64

/** In unicode mode a paired surrogate is one code point: only lone ones match. */
const LONE_SURROGATE = /\p{Cs}/u

/** A key: a non-empty, well-formed (no lone surrogates) string without NUL, at most `MAX_KEY_LENGTH` long. */
export function checkKey(where: string, name: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(where, name, 'a non-empty string', key)
  if (key.length > MAX_KEY_LENGTH) throw new OutOfRangeError(where, name, `at most ${MAX_KEY_LENGTH} characters long`, key)
  if (LONE_SURROGATE.test(key) || key.includes('\0')) {
    throw new InvalidArgumentError(where, name, 'a well-formed string without NUL characters', key)
  }
}

/** A key prefix: like a key, but may be empty. */
export function checkPrefix(where: string, name: string, prefix: unknown): asserts prefix is string {
  if (prefix === '') return
  checkKey(where, name, prefix)
}

/**
 * A checked, plain copy of `value` (see `StoreValue`), or an `InvalidArgumentError` naming the path of what is
 * wrong. A throwing getter or proxy trap is refused too (its error is the `cause`).
 */
export function copyValue(where: string, name: string, value: unknown): StoreValue {
  const seen = new Set<object>()
  const fail = (path: string, expected: string, got: unknown, cause?: unknown): never => {
    const err = new InvalidArgumentError(where, path, expected, got)
    if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, configurable: true, writable: true })
    throw err
  }
  const copy = (v: unknown, path: string, depth: number): StoreValue => {
    switch (typeof v) {
      case 'string':
      case 'number':
      case 'boolean':
        return v
      case 'object':
        break
      default:
        return fail(path, 'store data (null, boolean, number, string, Uint8Array, array, plain object)', v)
    }
    if (v === null) return null
    if (depth >= MAX_DEPTH) return fail(path, `nested at most ${MAX_DEPTH} deep`, v)
    if (seen.has(v)) return fail(path, 'data without cycles', v)
    seen.add(v)
    try {
      if (v instanceof Uint8Array) return new Uint8Array(v) // Buffer and other views become a plain copy
      if (Array.isArray(v)) {
        const out: StoreValue[] = []
        const n = v.length
        for (let i = 0; i < n; i++) {
          if (!Object.prototype.hasOwnProperty.call(v, i)) fail(`${path}[${i}]`, 'an array item (arrays may not have holes)', undefined)
          const item: unknown = v[i]
          if (item === undefined) fail(`${path}[${i}]`, 'store data, not undefined', item)
          out.push(copy(item, `${path}[${i}]`, depth + 1))
        }
        return out
      }
      const proto: unknown = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) return fail(path, 'a plain object (no class instances, Date, Map…)', v)
      const out: Record<string, StoreValue> = {}
      for (const k of Object.keys(v)) {
        if (k === '__proto__') fail(`${path}.__proto__`, 'a property name other than __proto__', k)
        const item: unknown = (v as Record<string, unknown>)[k]
        if (item === undefined) continue
        out[k] = copy(item, `${path}.${k}`, depth + 1)
      }
      return out
    } catch (err) {
      if (err instanceof InvalidArgumentError || err instanceof OutOfRangeError) throw err
      return fail(path, 'readable data (a getter or proxy trap threw)', undefined, err)
    } finally {
      seen.delete(v)
    }
  }
  return copy(value, name, 0)
}

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  bundleStrings: false,
  structuredClone: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'number',
})

/** Msgpack bytes of a value checked by `copyValue` (a fresh Buffer the caller may keep). */
export function encodeValue(value: StoreValue): Buffer {
  return Buffer.from(packr.pack(value))
}

/** The value of `bytes`; throws on anything that is not one msgpack value of `StoreValue`'s kinds. */
export function decodeValue(bytes: Uint8Array): StoreValue {
  const v: unknown = packr.unpack(bytes)
  // decoded byte arrays come back as Buffers: hand out plain Uint8Arrays, as documented
  return plain(v, 0)
}

function plain(v: unknown, depth: number): StoreValue {
  if (depth > MAX_DEPTH + 1) throw new Error('nested too deep')
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1))
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, StoreValue> = {}
    for (const k of Object.keys(v)) {
      if (k === '__proto__') throw new Error('the key __proto__')
      out[k] = plain((v as Record<string, unknown>)[k], depth + 1)
    }
    return out
  }
  throw new Error(`not store data: ${typeof v}`)
}

/** Key order of `list()`: by Unicode code point (UTF-8 byte order, as SQLite's BINARY collation). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // a surrogate (an astral code point) sorts above every BMP code unit from U+E000 up
    const sx = x >= 0xd800 && x <= 0xdfff
    const sy = y >= 0xd800 && y <= 0xdfff
    if (sx !== sy && (x >= 0xe000 || y >= 0xe000)) return sx ? 1 : -1
    return x - y
  }
  return a.length - b.length
}
