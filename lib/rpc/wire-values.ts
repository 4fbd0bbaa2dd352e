/**
 * What a client's values become on the wire: args must be plain msgpack data; an error passed to `addErr` travels
 * as its name and message.
 */
import { InvalidArgumentError } from '../machine/index.js'
import { safeString } from '../machine/internals.js'
import { plainDataProblem } from './protocol.js'

/** An error's name and message for `addErr` over the wire (hostile objects give their description). */
export function errorInfo(err: unknown): { name: string; message: string } {
  try {
    if (err instanceof Error) return { name: safeString(err.name).slice(0, 200), message: safeString(err.message).slice(0, 4000) }
  } catch {
    // a hostile error object: fall through to its description
  }
  return { name: 'Error', message: safeString(err).slice(0, 4000) }
}

/** Why `args` cannot travel (see `plainDataProblem`), or null; a value that throws when read is unreadable. */
export function safePlain(args: object): string | null {
  try {
    return plainDataProblem(args, true)
  } catch {
    return 'unreadable'
  }
}

/** Throws `InvalidArgumentError` when `args` is not a map of plain data (see `safePlain`). */
export function checkArgs(args: unknown, where: string): void {
  const why = typeof args === 'object' && args !== null && !Array.isArray(args) ? safePlain(args) : 'not a map'
  if (why !== null) throw new InvalidArgumentError(where, 'args', `plain data (${why})`, args)
}

/** Why `v` cannot travel as data (any plain msgpack value), or null; a value that throws when read is unreadable. */
export function safePlainData(v: unknown): string | null {
  try {
    return plainDataProblem(v, true)
  } catch {
    return 'unreadable'
  }
}
