/** Collects a system's dead letters, as they happen, into the returned array. */
import type { ActorSystem, DeadLetter } from '../../lib/actor/index.js'

export function deadLetters(system: ActorSystem): DeadLetter[] {
  const out: DeadLetter[] = []
  system.deadLetters$.subscribe((d) => out.push(d))
  return out
}
