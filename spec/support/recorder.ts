/**
 * Test support: a handler object with every handler name of a schema, recording the call order. Negotiation
 * handlers named in `cancel` return false; handlers named in `throws` throw.
 */
import type { Event, Schema } from '../../lib/machine/index.js'

export interface Recorder {
  calls: string[]
  handlers: Record<string, (e: Event) => unknown>
  /** Calls since the last `take()`, then clears them. */
  take(): string[]
}

export function recorder(
  ss: Schema,
  opts: { cancel?: readonly string[]; throws?: readonly string[]; only?: readonly string[] } = {},
): Recorder {
  const calls: string[] = []
  const names = new Set<string>(['AnyEnter', 'AnyState'])
  for (const a of ss.names) {
    for (const suffix of ['Enter', 'Exit', 'State', 'End']) names.add(a + suffix)
    for (const b of ss.names) names.add(a + b)
  }
  const handlers: Recorder['handlers'] = {}
  for (const name of names) {
    if (opts.only && !opts.only.includes(name)) continue
    handlers[name] = () => {
      calls.push(name)
      if (opts.throws?.includes(name)) throw new Error(`boom in ${name}`)
      if (opts.cancel?.includes(name)) return false
      return undefined
    }
  }
  return {
    calls,
    handlers,
    take: () => calls.splice(0, calls.length),
  }
}
