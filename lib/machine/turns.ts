/**
 * A budget of work per turn of the event loop, for work that reschedules itself in microtasks (actor deliveries,
 * pipe replays). While the budget lasts, the next piece runs in a microtask (fast); past it, in a macrotask, so a
 * flood or a cycle (an actor telling itself forever, two pipes mirroring a multi state into each other) cannot
 * starve timers and I/O. One macrotask, armed by the first spend after a refill, refills it.
 */

/** `setImmediate` where there is one (Node), else `setTimeout(fn, 0)`. */
export const macrotask: (fn: () => void) => void = typeof setImmediate === 'function'
  ? (fn) => void setImmediate(fn)
  : (fn) => void setTimeout(fn, 0)

export class TurnBudget {
  #left: number
  #armed = false
  readonly #refill = (): void => {
    this.#left = this.size
    this.#armed = false
  }

  /** `size`: pieces of work between two turns of the event loop. */
  constructor(readonly size: number) {
    this.#left = size
  }

  /** Counts one piece of work against this turn's budget. */
  spend(): void {
    if (!this.#armed) {
      this.#armed = true
      macrotask(this.#refill)
    }
    this.#left--
  }

  /** Runs `fn` in a microtask while the budget lasts, else in the next turn. */
  schedule(fn: () => void): void {
    if (this.#left > 0) queueMicrotask(fn)
    else macrotask(fn)
  }
}
