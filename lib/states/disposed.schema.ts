/**
 * State-based, asynchronous disposal: register cleanup functions as they are needed, then `Disposing` runs them and
 * `Disposed` disposes the machine (handlers: `DisposedHandlers` in disposed.ts).
 */
import { schema } from '../machine/index.js'
import { BasicSchema } from './basic.schema.js'

/**
 * Disposal states (asyncmachine-go `DisposedSchema`), merged over {@link BasicSchema}: `Disposing` and `Disposed`
 * stop the machine (remove `Start`) and clear its error flag.
 *
 * ```ts
 * const mach = new Machine(schema(DisposedSchema, { Work: { require: ['Start'] } }), {
 *   handlers: new DisposedHandlers(),
 * })
 * mach.add('RegisterDisposal', { disposal: () => socket.close() })
 * mach.add('Disposing') // runs the disposal functions, then adds Disposed, which disposes the machine
 * ```
 */
export const DisposedSchema = schema(BasicSchema, {
  /** Registers the disposal function passed as `args.disposal` (see `DisposedArgs`). */
  RegisterDisposal: { multi: true },
  /** Disposal in progress: the registered functions run, in registration order. */
  Disposing: { remove: ['Start', 'Exception'] },
  /** Resources are released; its handler disposes the machine. */
  Disposed: { remove: ['Start', 'Exception', 'Disposing'] },
})

/** The state names of {@link DisposedSchema}. */
export type DisposedStateNames = (typeof DisposedSchema.names)[number]
