/**
 * A supervised child's incarnation starting: when it is up (Ready) or down (failed or stopped) first, and the marker
 * for a first incarnation that could not be spawned at all.
 */
import { onActivity } from '../machine/internals.js'
import type { Actor } from './actor.js'

/** A first incarnation that could not be spawned: `supervise()` throws `error`. */
export class SpawnFailure {
  constructor(readonly error: unknown) {}
}

/** Resolves when `actor` is Ready (true), or failed or stopped first (false). */
export function whenStarted(actor: Actor): Promise<boolean> {
  if (actor.mach.disposed) return Promise.resolve(false)
  return new Promise((resolve) => {
    const subs: Array<() => void> = []
    let done = false
    const watch = (state: string): void => {
      subs.push(onActivity(actor.mach, state, (active) => {
        if (!active || done) return
        done = true
        for (const u of subs) u()
        resolve(state === 'Ready')
      }))
    }
    for (const state of ['Ready', 'Exception', 'Stopped']) if (!done) watch(state)
    if (done) for (const u of subs) u()
  })
}
