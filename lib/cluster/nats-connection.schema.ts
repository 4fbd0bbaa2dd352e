/**
 * The contract of a `NatsBus` connection (`bus.connection`): connecting, reconnecting and closing as states.
 */
import { schema } from '../machine/index.js'

/**
 * NATS connection states. `Connecting` → `Connected`; a dropped server gives `Disconnected` + `Reconnecting`, then
 * `Connected` again (subscriptions are re-made by the client, presence is re-announced); `Closed` at the end.
 *
 * ```ts
 * const bus = await NatsBus.connect({ servers: 'nats://127.0.0.1:4222' })
 * await bus.connection.when('Connected')
 * ```
 */
export const NatsConnectionSchema = schema({
  /** Dialling the first server. */
  Connecting: { remove: ['Connected', 'Disconnected'] },
  /** Connected to a server: messages flow. */
  Connected: { remove: ['Connecting', 'Disconnected', 'Reconnecting'] },
  /** The server connection is lost. */
  Disconnected: { remove: ['Connecting', 'Connected'] },
  /** Trying the servers again (the client's own backoff). */
  Reconnecting: { require: ['Disconnected'] },
  /** Re-entered after each successful reconnection (args: `reconnects`, the count). */
  Reconnected: { multi: true },
  /** `bus.close()` was called, or the client gave up reconnecting. */
  Closed: { remove: ['Connecting', 'Connected', 'Reconnecting'] },
  Exception: { multi: true },
  /** The connection failed (refused, lost, gave up): `err` says why. */
  ErrNetwork: { require: ['Exception'] },
  /** A presence heartbeat or a KV operation failed (retried at the next beat). */
  ErrPresence: { require: ['Exception'] },
})

/** The state names of {@link NatsConnectionSchema}. */
export type NatsConnectionStateNames = (typeof NatsConnectionSchema.names)[number]
