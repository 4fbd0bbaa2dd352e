import { OutOfRangeError } from '../machine/index.js'

/** The `maxErrors` option of an adapter (default 10); throws `OutOfRangeError` (naming `where`) unless an integer ≥ 1. */
export function maxErrorsOf(where: string, v: unknown): number {
  const n = v ?? 10
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new OutOfRangeError(where, 'opts.maxErrors', 'an integer ≥ 1', n)
  }
  return n
}

/**
 * How an adapter runs its work inside a machine's hooks: a fault in the user's tracer, inspector or registry is
 * swallowed and counted, never thrown into the machine, and `limit` faults in a row call `exhausted` (the adapter
 * detaches itself, so a broken backend stops costing anything).
 */
export class ErrorBudget {
  #inRow = 0
  #total = 0

  constructor(private readonly limit: number, private readonly exhausted: () => void) {}

  /** Faults swallowed so far. */
  get errors(): number {
    return this.#total
  }

  run(fn: () => void): void {
    try {
      fn()
      this.#inRow = 0
    } catch {
      this.#total++
      if (++this.#inRow >= this.limit) this.exhausted()
    }
  }
}
