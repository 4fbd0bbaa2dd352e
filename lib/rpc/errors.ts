/**
 * Errors of the RPC layer. Each is a `PolymachineError` with a stable `ERR_RPC_*` code (see `RpcErrorCode`); the same
 * codes travel in the protocol's `ERROR` message (docs/protocol-rpc.md), so both ends switch on one list.
 */
import { PolymachineError } from '../machine/index.js'

/** The codes of the RPC layer's errors, for `switch (err.code)`; also the `code` field of an `ERROR` message. */
export type RpcErrorCode =
  /** Bytes that are not a valid message: bad msgpack, wrong shape, a message out of order. */
  | 'ERR_RPC_PROTOCOL'
  /** A frame longer than the receiver's maximum frame size. */
  | 'ERR_RPC_FRAME_TOO_LARGE'
  /** The peer speaks another protocol version. */
  | 'ERR_RPC_VERSION'
  /** The auth token was missing or wrong. */
  | 'ERR_RPC_AUTH'
  /** The client's schema hash differs from the source's, or a transferred schema is invalid. */
  | 'ERR_RPC_SCHEMA'
  /** The connection closed (or was closed) before the operation completed. */
  | 'ERR_RPC_CLOSED'
  /**
   * The connection was lost while a mutation waited for its reply: it may or may not have run on the source, and it
   * is not sent again. Local only.
   */
  | 'ERR_RPC_OUTCOME_UNKNOWN'
  /** The transport failed: refused, reset, unreachable. */
  | 'ERR_RPC_NETWORK'
  /** The handshake did not complete in time. */
  | 'ERR_RPC_HANDSHAKE_TIMEOUT'
  /** A request was valid on the wire but the source refused it (e.g. a state index out of range). */
  | 'ERR_RPC_REQUEST'
  /** The client may not do this: a state it may not mutate, an args key it may not read (server's access lists). */
  | 'ERR_RPC_FORBIDDEN'
  /** The client sent more requests than the server's per-client rate limit allows. */
  | 'ERR_RPC_RATE_LIMIT'
  /** A mux has no machine with the id the `HELLO` asked for (or none was named and several are served). */
  | 'ERR_RPC_NO_MACHINE'
  /** The peer wrote faster than it reads: its outgoing buffer passed the limit. */
  | 'ERR_RPC_SLOW_CONSUMER'
  /** An error a mirror passed to `addErr()`, as the source receives it. */
  | 'ERR_RPC_REMOTE'

/** Every RPC failure: a code from {@link RpcErrorCode} and a message naming the endpoint. */
export class RpcError extends PolymachineError {
  override readonly name = 'RpcError'
  declare readonly code: RpcErrorCode

  constructor(code: RpcErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/** True when `code` is one of {@link RpcErrorCode} (for codes read from the wire). */
export function isRpcErrorCode(code: unknown): code is RpcErrorCode {
  return typeof code === 'string' && RPC_CODES.has(code)
}

const RPC_CODES: ReadonlySet<string> = new Set<RpcErrorCode>([
  'ERR_RPC_PROTOCOL', 'ERR_RPC_FRAME_TOO_LARGE', 'ERR_RPC_VERSION', 'ERR_RPC_AUTH', 'ERR_RPC_SCHEMA', 'ERR_RPC_CLOSED',
  'ERR_RPC_OUTCOME_UNKNOWN', 'ERR_RPC_NETWORK', 'ERR_RPC_HANDSHAKE_TIMEOUT', 'ERR_RPC_REQUEST', 'ERR_RPC_FORBIDDEN',
  'ERR_RPC_RATE_LIMIT', 'ERR_RPC_NO_MACHINE', 'ERR_RPC_SLOW_CONSUMER', 'ERR_RPC_REMOTE',
])

/**
 * An error sent by a mirror's `addErr(err)`: the source's `err` and `args.err`. Keeps the sender's error name and
 * message (`remoteName`, `message`); the stack stays on the client.
 */
export class RemoteError extends RpcError {
  constructor(readonly remoteName: string, message: string, readonly clientId: string) {
    super('ERR_RPC_REMOTE', message)
  }
}
