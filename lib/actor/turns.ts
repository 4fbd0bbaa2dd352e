/**
 * Turns of delivery. Deliveries over all actors share a budget per turn of the event loop (see the core's
 * TurnBudget): an actor with new work drains in a microtask while it lasts, past it in a macrotask.
 */
import { TurnBudget } from '../machine/internals.js'

/** Deliveries (over all actors) between two turns of the event loop. */
const turns = new TurnBudget(4096)
/** Deliveries per drain call of one actor, so that the actors with work take turns. */
export const PER_DRAIN = 1024

/** Counts one delivery against this turn's budget. */
export function spend(): void {
  turns.spend()
}

/** Runs `drain` in a microtask while the budget lasts, else in the next turn. */
export function nextTurn(drain: () => void): void {
  turns.schedule(drain)
}
