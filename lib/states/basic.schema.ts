/**
 * The basic contract most machines share: a global error flag with two common error states, a start switch, a
 * readiness flag and two health states.
 */
import { schema } from '../machine/index.js'

/**
 * Basic states (asyncmachine-go `BasicSchema`). Merge it into your own schema, your definitions last:
 *
 * ```ts
 * const ss = schema(BasicSchema, { Fetching: { require: ['Start'] } })
 * const mach = new Machine(ss)
 * mach.add(['Start', 'Ready'])
 * mach.addErrState('ErrNetwork', new Error('ECONNRESET')) // + Exception
 * ```
 */
export const BasicSchema = schema({
  /** The global error flag; every `Err*` state requires it. */
  Exception: { multi: true },
  /** A generic network error. Adding it adds `Exception` too. */
  ErrNetwork: { multi: true, add: ['Exception'], require: ['Exception'] },
  /** One of the machine's handlers took too long. Adding it adds `Exception` too. */
  ErrHandlerTimeout: { multi: true, add: ['Exception'], require: ['Exception'] },
  /** The machine should be working; removing it stops it (and whatever requires it). */
  Start: {},
  /** The machine meets the criteria to perform work. */
  Ready: { require: ['Start'] },
  /** A periodic liveness request; adding only it triggers no auto states. */
  Healthcheck: { multi: true },
  /** A periodic integrity state; adding only it triggers no auto states. */
  Heartbeat: {},
})

/** The state names of {@link BasicSchema}. */
export type BasicStateNames = (typeof BasicSchema.names)[number]
