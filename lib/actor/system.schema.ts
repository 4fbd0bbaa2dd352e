/**
 * The actor system is a machine too: its states are its status, its multi states the events it sees.
 */
import { schema } from '../machine/index.js'

export const ActorSystemSchema = schema({
  Running: { remove: ['ShuttingDown', 'Terminated'] },
  ShuttingDown: { remove: ['Running'] },
  Terminated: { remove: ['Running', 'ShuttingDown'] },
  /** An actor was spawned (args: `id`). */
  ActorSpawned: { multi: true },
  /** An actor stopped (args: `id`, `reason`). */
  ActorStopped: { multi: true },
  /** A message became a dead letter (args: `id`, `msg`, `reason`). */
  DeadLetter: { multi: true },
})
