/**
 * Waiting for the first of several outcomes of a machine: the state that activates first decides whether the
 * promise resolves (its function returns null) or rejects (with the error it returns).
 */
import type { Machine } from '../machine/index.js'
import { onActivity } from '../machine/internals.js'

/** Settles when one of `outcomes`' states is (or becomes) active; leaves no watcher behind. */
export function firstOf<S extends string>(m: Machine<S>, outcomes: Partial<Record<S, () => Error | null>>): Promise<void> {
  return new Promise((resolve, reject) => {
    const stops: Array<() => void> = []
    let done = false
    const end = (err: Error | null): void => {
      if (done) return
      done = true
      for (const s of stops.splice(0)) s()
      if (err) reject(err)
      else resolve()
    }
    for (const [state, outcome] of Object.entries(outcomes) as Array<[S, () => Error | null]>) {
      if (done) break
      stops.push(onActivity(m as unknown as Machine<string>, state, (on) => {
        if (on) end(outcome())
      }))
    }
    if (done) for (const s of stops.splice(0)) s()
  })
}
