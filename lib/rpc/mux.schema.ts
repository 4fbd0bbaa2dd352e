/**
 * The contract of an RPC mux (`mux.machine`): one listener handing connections to the servers of the machines it
 * serves, by the id each `HELLO` names.
 */
import { schema } from '../machine/index.js'

/**
 * RPC mux states.
 *
 * ```ts
 * const mux = await serveMux({ url: 'tcp://127.0.0.1:0' })
 * await mux.machine.when('Ready')
 * mux.machine.bind({ ClientRoutedState: (e) => console.log(e.args['clientId'], '→', e.args['machine']) })
 * ```
 */
export const MuxSchema = schema({
  /** `serveMux()` was called. */
  Start: { remove: ['Closed'] },
  /** The listener is bound (`mux.url` is final). */
  Listening: { require: ['Start'] },
  /** Accepting connections. */
  Ready: { require: ['Start'] },
  /** A machine is served from now on (multi; args: `machine`, its id). */
  MachineAdded: { multi: true },
  /** A machine is no longer served (multi; args: `machine`). */
  MachineRemoved: { multi: true },
  /** A connection's `HELLO` was handed to the server of the machine it names (multi; args: `clientId`, `machine`). */
  ClientRouted: { multi: true },
  /** `close()` ran: the listener and every server the mux made are closed. */
  Closed: { remove: ['Start', 'Listening', 'Ready'] },
  Exception: { multi: true },
  /** The listener failed. */
  ErrNetwork: { require: ['Exception'] },
  /** A connection broke the protocol before its `HELLO`, sent none in time, or named no machine served here. */
  ErrRpc: { require: ['Exception'] },
})

/** The state names of {@link MuxSchema}. */
export type MuxStateNames = (typeof MuxSchema.names)[number]
