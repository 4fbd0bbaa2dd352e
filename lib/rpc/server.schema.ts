/**
 * The contract of an RPC server (`server.machine`): its lifecycle and its error states.
 */
import { schema } from '../machine/index.js'

/**
 * RPC server states.
 *
 * ```ts
 * const server = await serve(source, { url: 'tcp://127.0.0.1:0' })
 * await server.machine.when('Ready')
 * server.machine.bind({ ClientConnectedState: (e) => console.log(e.args['clientId']) })
 * ```
 */
export const ServerSchema = schema({
  /** `serve()` was called. */
  Start: { remove: ['Closed'] },
  /** The listener is bound (`server.url` is final). A server serving only MessagePorts skips it. */
  Listening: { require: ['Start'] },
  /** Accepting clients. */
  Ready: { require: ['Start'] },
  /** A client completed its handshake (multi: re-entered once per client; args: `clientId`). */
  ClientConnected: { multi: true },
  /** A client left, on purpose or not (multi). */
  ClientDisconnected: { multi: true },
  /** `close()` ran: listener closed, every client said bye. */
  Closed: { remove: ['Start', 'Listening', 'Ready'] },
  Exception: { multi: true },
  /** The listener or a socket failed. */
  ErrNetwork: { require: ['Exception'] },
  /** A client sent bytes that are not the protocol (malformed, truncated, oversized, out of order). */
  ErrRpc: { require: ['Exception'] },
  /** A client failed authentication or the handshake (token, version, schema). */
  ErrAuth: { require: ['Exception'] },
})

/** The state names of {@link ServerSchema}. */
export type ServerStateNames = (typeof ServerSchema.names)[number]
