/**
 * Mutation args in the telemetry adapters (OpenTelemetry, Stately, the debugger tracer): the `args` option turned into
 * a mapper, and the mapper's result read under a guard (a user function, and whatever it returns, never throws into a
 * machine).
 */
import { InvalidArgumentError, argsMapper, type Args } from '../machine/index.js'
import { safeString } from '../machine/internals.js'

/** Maps a mutation's args to `key → text`; undefined sends none. */
export type ArgsMap = (args: Args) => Record<string, string> | undefined

/**
 * The `args` option of an adapter as a mapper: arg names (values as text cut to 256 chars) or the user's function.
 * Throws `InvalidArgumentError` (naming `where`) for anything else.
 */
export function argsMapOf(where: string, args: unknown): ArgsMap | undefined {
  if (args === undefined) return undefined
  if (typeof args === 'function') return args as ArgsMap
  if (Array.isArray(args) && args.every((a) => typeof a === 'string')) return argsMapper(args as string[], 256)
  throw new InvalidArgumentError(where, 'opts.args', 'an array of arg names or a function', args)
}

/**
 * Runs the user's mapper under a guard: its result's values as text (cut to 4096 chars), undefined when it gives no
 * key or no object, and `{ '!': '<name> threw: …' }` when it (or a getter of its result) throws.
 */
export function mapArgsSafely(map: ArgsMap, args: Args, name: string): Record<string, string> | undefined {
  try {
    const out = map(args)
    if (typeof out !== 'object' || out === null) return undefined
    const keys = Object.keys(out)
    if (keys.length === 0) return undefined
    const clean: Record<string, string> = {}
    for (const k of keys) clean[k] = safeString((out as Record<string, unknown>)[k]).slice(0, 4096)
    return clean
  } catch (err) {
    return { '!': `${name} threw: ${safeString(err)}`.slice(0, 4096) }
  }
}
