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
 * - `ERR_CLUSTER_REMOTE`: a remote actor's handler failed (`RemoteActorError`: its error's name, code and message)
 * - `ERR_CLUSTER_PROTOCOL`: a malformed actor request or reply, or a reply that is not msgpack data
 * - `ERR_CLUSTER_CANCELLED`: the reason a remote message's signal aborts when its asker gave up (timeout, abort)
 * - `ERR_CLUSTER_OVERFLOW`: a keyed set's buffer of messages waiting for their key's owner is full (`maxBuffered`)
 * - `ERR_CLUSTER_LEASE`: a key's lease could not be read, taken or kept (the lease bucket is unreachable, or this node
 *   lost the lease while the message waited)
 */
export type ClusterErrorCode = 'ERR_CLUSTER_NOT_FOUND' | 'ERR_CLUSTER_CLOSED' | 'ERR_CLUSTER_EXPOSED' | 'ERR_CLUSTER_NETWORK'
  | 'ERR_CLUSTER_DEPENDENCY' | 'ERR_CLUSTER_REMOTE' | 'ERR_CLUSTER_PROTOCOL' | 'ERR_CLUSTER_CANCELLED'
  | 'ERR_CLUSTER_OVERFLOW' | 'ERR_CLUSTER_LEASE'

/** A cluster failure, with a code from {@link ClusterErrorCode}. */
export class ClusterError extends PolymachineError {
  override readonly name = 'ClusterError'
  declare readonly code: ClusterErrorCode

  constructor(code: ClusterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * A remote actor's handler threw or rejected (or the remote actor refused the message): the original error's
 * `remoteName`, `remoteCode` (`''` when it had none) and message. The stack stays on the remote process.
 */
export class RemoteActorError extends PolymachineError {
  override readonly name = 'RemoteActorError'
  declare readonly code: 'ERR_CLUSTER_REMOTE'

  constructor(readonly actor: string, readonly remoteName: string, readonly remoteCode: string, message: string) {
    super('ERR_CLUSTER_REMOTE', message)
  }
}
