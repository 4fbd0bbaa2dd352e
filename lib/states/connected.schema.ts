/**
 * A connection's status as four mutually exclusive states, `Disconnected` being the default.
 */
import { schema } from '../machine/index.js'
import { BasicSchema } from './basic.schema.js'

/** The exclusive connection group, in lifecycle order. */
export const ConnectedGroup = ['Connecting', 'Connected', 'Disconnecting', 'Disconnected'] as const

/**
 * Connection states (asyncmachine-go `ConnectedSchema`), merged over {@link BasicSchema} because `Connecting` and
 * `Connected` require `Start`. At most one of {@link ConnectedGroup} is active; `Disconnected` is auto, so it comes
 * back by itself after any transition that leaves none of them active (e.g. removing `Start`).
 *
 * ```ts
 * const mach = new Machine(schema(ConnectedSchema, { Online: {} }))
 * mach.add('Start')       // [Start, Disconnected] (auto)
 * mach.add('Connecting')  // [Start, Connecting]
 * mach.remove('Start')    // [Disconnected]
 * ```
 */
export const ConnectedSchema = schema(BasicSchema, {
  /** A detailed connection error (add it with `addErrState('ErrConnecting', err)`). */
  ErrConnecting: { require: ['Exception'] },
  Connecting: { require: ['Start'], remove: [...ConnectedGroup] },
  Connected: { require: ['Start'], remove: [...ConnectedGroup] },
  Disconnecting: { remove: [...ConnectedGroup] },
  Disconnected: { auto: true, remove: [...ConnectedGroup] },
})

/** The state names of {@link ConnectedSchema}. */
export type ConnectedStateNames = (typeof ConnectedSchema.names)[number]
