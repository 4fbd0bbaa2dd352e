/**
 * The contract of a debugger link (`attachDebugger(...).link`): the connection to `polymachine-dbg` and its failures.
 */
import { schema } from '../machine/index.js'

/**
 * Debugger link states. `Connecting` → `Connected`; on a loss `Disconnected`, then `Connecting` again after a
 * backoff; `Detached` for good after `maxErrors` failures in a row or `close()`.
 *
 * ```ts
 * const dbg = attachDebugger(mach, { url: 'ws://127.0.0.1:6831' })
 * await dbg.link.when('Connected')
 * ```
 */
export const DbgLinkSchema = schema({
  /** Dialling the debugger. */
  Connecting: { remove: ['Connected', 'Disconnected'] },
  /** The WebSocket is open; the outbox is flushed every `batchMs`. */
  Connected: { remove: ['Connecting', 'Disconnected'] },
  /** No connection; a reconnect is scheduled unless `Detached`. */
  Disconnected: { remove: ['Connecting', 'Connected'] },
  /** The tracer left every machine (too many errors in a row, or `close()`); nothing more is sent. */
  Detached: { remove: ['Connecting', 'Connected'], add: ['Disconnected'] },
  Exception: { multi: true },
  /** A dial, the connection or a send failed (multi: one activation per failure, its error in the args). */
  ErrNetwork: { multi: true, require: ['Exception'] },
})

/** The state names of {@link DbgLinkSchema}. */
export type DbgLinkStateNames = (typeof DbgLinkSchema.names)[number]
