/**
 * A conversation's contract: five phases (Failed reachable from any, Closed only from Completing), and its
 * events as multi states.
 */
import { schema } from '../machine/index.js'

// Live phases exclude each other; Closed and Failed are terminal: they remove the live phases, which (not removing
// them back) can then never be added again. Failed also removes Closed, so it is reachable from any phase.
const live = ['Created', 'Active', 'Completing'] as const

export const ConversationSchema = schema({
  Created: { remove: live },
  Active: { remove: live },
  Completing: { remove: live },
  /** Closed normally; sends fail. */
  Closed: { remove: live },
  /** Failed (a participant crashed, compensation ran, or the deadline passed); terminal. */
  Failed: { remove: [...live, 'Closed'] },
  /** A request went to a participant (args: `id`, `msg`, `to`). */
  Sent: { multi: true },
  /** A reply arrived (args: `id`, `from`). */
  Received: { multi: true },
  /** A participant crashed (args: `participant`, `policy`). */
  ParticipantCrashed: { multi: true },
  Exception: { multi: true },
})

export type ConversationStateNames = (typeof ConversationSchema.names)[number]
