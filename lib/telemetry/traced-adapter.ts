/**
 * What the machine adapters of this layer (OpenTelemetry, the Stately bridge) share: their options, the machines
 * they trace, and an error budget that detaches them after `maxErrors` faults in a row.
 */
import type { Machine } from '../machine/index.js'
import type { ArgsMap } from './args.js'
import { ErrorBudget } from './error-budget.js'

export interface AdapterOptions {
  /** Also trace sub-machines made while traced. */
  children: boolean
  args: ArgsMap | undefined
  maxErrors: number
}

export abstract class TracedAdapter<T> {
  protected readonly children: boolean
  protected readonly argsMap: ArgsMap | undefined
  /** The machines traced now, with what the adapter keeps for each. */
  protected readonly traced = new Map<Machine<string>, T>()
  readonly #budget: ErrorBudget
  #detached = false

  constructor(o: AdapterOptions) {
    this.children = o.children
    this.argsMap = o.args
    this.#budget = new ErrorBudget(o.maxErrors, () => this.detach())
  }

  get detached(): boolean {
    return this.#detached
  }

  get errors(): number {
    return this.#budget.errors
  }

  /** Stops tracing every machine (idempotent); `release` lets go of each. */
  detach(): void {
    if (this.#detached) return
    this.#detached = true
    for (const t of [...this.traced.values()]) {
      try {
        this.release(t)
      } catch {
        // a throwing backend or a disposed machine: it is left anyway
      }
    }
    this.traced.clear()
  }

  /** Lets go of one traced machine when the adapter detaches. */
  protected abstract release(t: T): void

  /** Runs `fn` unless detached; a throw is counted by the budget, never passed on. */
  protected guard(fn: () => void): void {
    if (!this.#detached) this.#budget.run(fn)
  }
}
