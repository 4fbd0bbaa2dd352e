/**
 * Errors of the cluster layer: a `PolymachineError` with a stable `ERR_CLUSTER_*` code.
 */
import { PolymachineError } from '../machine/index.js'

/**
 * - `ERR_CLUSTER_NOT_FOUND`: no process answers for that machine id (NATS no-responders, or not exposed in-process)
 * - `ERR_CLUSTER_CLOSED`: the bus was closed
 * - `ERR_CLUSTER_EXPOSED`: a machine with that id is already exposed on this bus
 * - `ERR_CLUSTER_NETWORK`: the NATS server cannot be reached
 * - `ERR_CLUSTER_DEPENDENCY`: `NatsBus` without the optional peers `@nats-io/*` installed
 */
export type ClusterErrorCode = 'ERR_CLUSTER_NOT_FOUND' | 'ERR_CLUSTER_CLOSED' | 'ERR_CLUSTER_EXPOSED' | 'ERR_CLUSTER_NETWORK'
  | 'ERR_CLUSTER_DEPENDENCY'

/** A cluster failure, with a code from {@link ClusterErrorCode}. */
export class ClusterError extends PolymachineError {
  override readonly name = 'ClusterError'
  declare readonly code: ClusterErrorCode

  constructor(code: ClusterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
