/**
 * The contract of one node's part of a cluster keyed set (`keyed.machine`): open or closed, the leases it takes,
 * releases and loses as events, and its failures as `Err*` states.
 */
import { schema } from '../machine/index.js'

/**
 * Cluster keyed set states. `Ready` while it takes messages; `LeaseTaken`, `LeaseReleased` and `LeaseLost` are
 * re-entered for every lease (args: `key`); `ErrLease` and `ErrDelivery` carry the error (`e.args.err`).
 *
 * ```ts
 * const accounts = await bus.keyed('accounts', options)
 * accounts.machine.bind({ LeaseLostState: (e) => console.warn('lost', e.args.key) })
 * ```
 */
export const ClusterKeyedSchema = schema({
  /** Taking messages and leases. */
  Ready: { remove: ['Closing', 'Closed'] },
  /** `close()` runs: keys are passivated and their leases released. */
  Closing: { remove: ['Ready', 'Closed'] },
  /** Closed: messages sent here fail with `ERR_CLUSTER_CLOSED`. */
  Closed: { remove: ['Ready', 'Closing'] },
  /** This node took a key's lease (args: `key`): the key runs here. */
  LeaseTaken: { multi: true },
  /** This node released a key's lease after passivating it (idle, or closing). */
  LeaseReleased: { multi: true },
  /** This node lost a key's lease (not renewed for half its TTL, or taken over): the key was stopped here. */
  LeaseLost: { multi: true },
  Exception: { multi: true },
  /** A lease could not be renewed or released (transient; a lost lease also lands here). */
  ErrLease: { require: ['Exception'] },
  /** A tell that no node took before its deadline (a tell has no caller to reject). */
  ErrDelivery: { require: ['Exception'] },
})

/** The state names of {@link ClusterKeyedSchema}. */
export type ClusterKeyedStateNames = (typeof ClusterKeyedSchema.names)[number]
