/**
 * The supervisor's contract: its statuses, the events it sees about its children (multi states with the child id in
 * args), and its failure.
 */
import { schema } from '../machine/index.js'

export const SupervisorSchema = schema({
  Start: {},
  /** Every child started at least once. */
  Ready: { require: ['Start'], remove: ['Stopping', 'Stopped'] },
  /** A child incarnation is starting (args: `id`, `incarnation`). */
  ChildStarting: { multi: true },
  /** A child incarnation is ready (args: `id`, `incarnation`). */
  ChildReady: { multi: true },
  /** A child failed (args: `id`, `err`, `directive`). */
  ChildFailed: { multi: true },
  /** A child stopped for good (args: `id`). */
  ChildStopped: { multi: true },
  /** At least one restart is pending: waiting for its backoff, or its next incarnation is starting (until Ready). */
  Restarting: { require: ['Start'] },
  Stopping: { remove: ['Ready', 'Restarting'] },
  Stopped: { remove: ['Start', 'Ready', 'Stopping', 'Restarting'] },
  Exception: { multi: true },
  /** More restarts than `maxRestarts` within `period`, with nobody above to escalate to. */
  ErrRestartLimit: { require: ['Exception'] },
})

export type SupervisorStateNames = (typeof SupervisorSchema.names)[number]
