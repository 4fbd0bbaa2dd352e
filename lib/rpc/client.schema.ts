/**
 * The contract of an RPC client (`remote.client`): connection lifecycle, handshake, error states.
 */
import { schema } from '../machine/index.js'

/**
 * RPC client states. `Connecting` → `Connected` + `Handshaking` → `Ready`; `Disconnected` when the link is gone.
 *
 * ```ts
 * const remote = await connect(server.url)
 * remote.client.is('Ready') // true
 * ```
 */
export const ClientSchema = schema({
  /** `connect()` was called. */
  Start: {},
  /** Dialling the transport. */
  Connecting: { require: ['Start'], remove: ['Connected', 'Disconnected'] },
  /** The transport is open. */
  Connected: { require: ['Start'], remove: ['Connecting', 'Disconnected'] },
  /** `HELLO` sent, waiting for `WELCOME`. */
  Handshaking: { require: ['Connected'], remove: ['Ready'] },
  /** The mirror is synced and calls are served. */
  Ready: { require: ['Connected'], remove: ['Handshaking'] },
  /** A lost connection is being re-established (see `connect()`'s `reconnect`). */
  Reconnecting: {},
  /** The full clock was requested after a checksum mismatch, not yet received. */
  Resyncing: { require: ['Ready'] },
  /** The link is closed (by `close()`, by the server or by a failure). */
  Disconnected: { remove: ['Connecting', 'Connected'] },
  Exception: { multi: true },
  /** The transport failed (refused, reset). */
  ErrNetwork: { require: ['Exception'] },
  /** The server sent bytes that are not the protocol, or reported a protocol error. */
  ErrRpc: { require: ['Exception'] },
  /** The server refused the token. */
  ErrAuth: { require: ['Exception'] },
  /** The schema hash differs, or the transferred schema is invalid. */
  ErrSchema: { require: ['Exception'] },
  /** A handler bound on the mirror (`remote.bind()`) threw or rejected (a `HandlerError`); the mirror goes on. */
  ErrHandler: { require: ['Exception'] },
})

/** The state names of {@link ClientSchema}. */
export type ClientStateNames = (typeof ClientSchema.names)[number]

/** The client error state for an RPC error code. */
export function errStateOf(code: unknown): 'ErrNetwork' | 'ErrRpc' | 'ErrAuth' | 'ErrSchema' {
  if (code === 'ERR_RPC_AUTH') return 'ErrAuth'
  if (code === 'ERR_RPC_SCHEMA') return 'ErrSchema'
  if (code === 'ERR_RPC_NETWORK' || code === 'ERR_TIMEOUT') return 'ErrNetwork'
  return 'ErrRpc'
}
