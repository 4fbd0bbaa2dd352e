/**
 * The lifecycle states every actor has, merged into the user's schema by `spawn()`. Messages are the user's `multi`
 * states; everything here is status.
 */
import { schema } from '../machine/index.js'

export const ActorSchema = schema({
  /** Spawned; the start handler (`StartState`, may be async) runs. */
  Start: { remove: ['Stopped'] },
  /** Started: messages are delivered. */
  Ready: { require: ['Start'], remove: ['Stopping', 'Stopped'] },
  /** Stop requested: no new deliveries, in-flight handlers finish. */
  Stopping: { remove: ['Ready'] },
  /** Stopped: mailbox drained to dead letters, timers cancelled. */
  Stopped: { remove: ['Start', 'Ready', 'Stopping'] },
  Exception: { multi: true },
  /** The start handler failed. */
  ErrStart: { require: ['Exception'] },
  /** A linked actor failed (see `system.link`). */
  ErrLinked: { require: ['Exception'] },
})

export type ActorStateNames = (typeof ActorSchema.names)[number]

/** Names reserved for the actor lifecycle: a user schema may not define them differently. */
export const ACTOR_STATES: ReadonlySet<string> = new Set(ActorSchema.names)
