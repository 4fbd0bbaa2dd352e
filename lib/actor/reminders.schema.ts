/**
 * The contract of a keyed supervisor's durable reminders: loading the stored ones, ready, each firing, stopped, and
 * a failing store.
 */
import { schema } from '../machine/index.js'

export const RemindersSchema = schema({
  /** Reading the stored reminders (at start; again after a failed read). */
  Loading: { remove: ['Ready', 'Stopped'] },
  /** Every stored reminder is scheduled. */
  Ready: { remove: ['Loading', 'Stopped'] },
  /** A reminder came due and was delivered (args: `key`, `name`, `due`). */
  Fired: { multi: true },
  Stopped: { remove: ['Loading', 'Ready'] },
  Exception: { multi: true },
  /** The store failed (args.err): reading the reminders (retried), or updating one after it fired. */
  ErrStore: { require: ['Exception'] },
})

export type RemindersStateNames = (typeof RemindersSchema.names)[number]
