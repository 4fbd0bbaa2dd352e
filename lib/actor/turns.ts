/**
 * Turns of delivery. Deliveries over all actors share a budget per turn of the event loop: while it lasts, an actor
 * with new work drains in a microtask (fast); past it, in a macrotask (`setImmediate`), so a flood, an actor telling
 * itself forever or two actors ping-ponging cannot starve timers and I/O. One `setImmediate`, armed by the first
 * delivery after a refill, refills it.
 */

/** Deliveries (over all actors) between two turns of the event loop. */
const BATCH = 4096
/** Deliveries per drain call of one actor, so that the actors with work take turns. */
export const PER_DRAIN = 1024

let budget = BATCH
let refillArmed = false
const refill = (): void => {
  budget = BATCH
  refillArmed = false
}

/** Counts one delivery against this turn's budget. */
export function spend(): void {
  if (!refillArmed) {
    refillArmed = true
    setImmediate(refill)
  }
  budget--
}

/** Runs `drain` in a microtask while the budget lasts, else in the next turn. */
export function nextTurn(drain: () => void): void {
  if (budget > 0) queueMicrotask(drain)
  else setImmediate(drain)
}
