/**
 * Argument checks shared by the store implementations, so each refuses the same inputs with the same errors.
 */
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'
import type { DeleteOptions, ListOptions, PutOptions } from './types.js'
import { checkKey, checkPrefix } from './value.js'

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A revision: an integer ≥ 0 (0: absent). */
function checkRevision(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number') throw new InvalidArgumentError(where, name, 'a revision (an integer ≥ 0)', v)
  if (!Number.isSafeInteger(v) || v < 0) throw new OutOfRangeError(where, name, 'a revision (an integer ≥ 0)', v)
}

/** Reads `{ expected? }` once; undefined when no revision is expected. */
export function readExpected(where: string, options: PutOptions | DeleteOptions | undefined): number | undefined {
  if (options === undefined) return undefined
  if (!isObject(options)) throw new InvalidArgumentError(where, 'options', 'an options object or undefined', options)
  let expected: unknown
  try {
    expected = options.expected
  } catch (err) {
    throw Object.assign(new InvalidArgumentError(where, 'options.expected', 'readable', undefined), { cause: err })
  }
  if (expected === undefined) return undefined
  checkRevision(where, 'options.expected', expected)
  return expected as number
}

export interface CheckedList {
  readonly prefix: string
  readonly after: string | undefined
  readonly limit: number
}

/** Reads and checks list options once. */
export function readList(where: string, options: ListOptions | undefined): CheckedList {
  if (options === undefined) return { prefix: '', after: undefined, limit: 1000 }
  if (!isObject(options)) throw new InvalidArgumentError(where, 'options', 'an options object or undefined', options)
  let o: ListOptions
  try {
    o = { prefix: options.prefix, after: options.after, limit: options.limit } as ListOptions
  } catch (err) {
    throw Object.assign(new InvalidArgumentError(where, 'options', 'readable', undefined), { cause: err })
  }
  const prefix = o.prefix ?? ''
  checkPrefix(where, 'options.prefix', prefix)
  if (o.after !== undefined) checkKey(where, 'options.after', o.after)
  const limit = o.limit ?? 1000
  if (typeof limit !== 'number') throw new InvalidArgumentError(where, 'options.limit', 'an integer ≥ 1', limit)
  if (!Number.isSafeInteger(limit) || limit < 1) throw new OutOfRangeError(where, 'options.limit', 'an integer ≥ 1', limit)
  return { prefix, after: o.after, limit }
}
