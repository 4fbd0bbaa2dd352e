/**
 * A pool's failure accounting: the actor layer's restart intensity for worker failures, a bounded count of spawn
 * failures in a row, and the backoff that holds forking after either. It decides; the supervisor acts.
 */
import { Backoff, RestartWindow } from '../actor/index.js'
import { NodeError } from './errors.js'
import type { PoolConfig } from './options.js'

export class PoolFailures {
  readonly #cfg: PoolConfig
  readonly #backoff: Backoff
  readonly #window: RestartWindow
  #spawnFailures = 0
  /** No fork before this time (`Date.now()` ms): the backoff after the last failure. */
  holdUntil = 0

  constructor(cfg: PoolConfig) {
    this.#cfg = cfg
    this.#backoff = new Backoff(cfg.backoff, 'new NodeSupervisor()')
    this.#window = new RestartWindow(cfg.maxRestarts, cfg.period)
  }

  /** A worker became ready: spawn failures start counting again from zero. */
  spawned(): void {
    this.#spawnFailures = 0
  }

  /** A worker failed to start. Returns the error to give the pool up with, or null (forking is held meanwhile). */
  spawnFailed(poolId: string, err: NodeError): NodeError | null {
    if (++this.#spawnFailures >= this.#cfg.spawnRetries) {
      return new NodeError('ERR_NODE_POOL', `pool ${poolId}: ${this.#spawnFailures} spawn failures in a row; ` +
        `last: ${err.message}`, { cause: err })
    }
    this.#hold()
    return null
  }

  /** A ready worker failed (exited unexpectedly, killed by health checks). Same result as `spawnFailed`. */
  workerFailed(poolId: string, err: NodeError): NodeError | null {
    if (!this.#window.record(Date.now())) {
      return new NodeError('ERR_NODE_POOL', `pool ${poolId}: more than ${this.#cfg.maxRestarts} worker failures ` +
        `within ${this.#cfg.period} ms; last: ${err.message}`, { cause: err })
    }
    this.#hold()
    return null
  }

  #hold(): void {
    this.holdUntil = Date.now() + this.#backoff.next(Date.now())
  }
}
