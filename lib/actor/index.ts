/**
 * polymachine/actor: actors as machines. Messages are multi states, replies are the return values of their State
 * handlers; mailboxes are bounded; dead letters, a receptionist with typed service keys, routers, timers, links.
 * @module polymachine/actor
 */
export { ActorSystem, type ActorSystemOptions, type SpawnOptions } from './system.js'
export { ActorSchema, type ActorStateNames } from './actor.schema.js'
export { ActorSystemSchema } from './system.schema.js'
export { Supervisor, type ChildInfo, type Directive, type Strategy, type SupervisorOptions } from './supervisor.js'
export { SupervisorSchema, type SupervisorStateNames } from './supervisor.schema.js'
export { Pool, singleton, type PoolOptions } from './pool.js'
export { Keyed, KeyedRef, type KeyedOptions } from './keyed.js'
export { PersistentKeyed, type PersistentContext, type PersistentKeyedOptions } from './persistent-keyed.js'
export type { ActorState, StateOptions } from './persistence.js'
export { Reminders, type KeyReminders, type ReminderInfo, type ReminderOptions } from './reminders.js'
export { RemindersSchema, type RemindersStateNames } from './reminders.schema.js'
export { ActorStateError, RemindersStoppedError, type PersistenceErrorCode } from './persistence-errors.js'
export {
  Conversation, conversationAsk, type ConversationEntry, type ConversationOptions, type CrashPolicy, type Participant,
} from './conversation.js'
export { ConversationSchema, type ConversationStateNames } from './conversation.schema.js'
export { SupervisedRef, type ChildContext, type ChildSpec } from './child.js'
export { Backoff, RestartWindow, type BackoffOptions } from './backoff.js'
export {
  Mailbox, type DropReason, type Envelope, type MailboxOptions, type NonBlockingMailboxOptions, type NonBlockingPolicy,
  type OfferResult, type OverflowPolicy,
} from './mailbox.js'
export { Receptionist } from './receptionist.js'
export { Router, type RoutingStrategy } from './router.js'
export { serviceKey, type ServiceKey } from './service-key.js'
export { Timers } from './timers.js'
export { seededRandom } from './random.js'
export {
  ActorFailedError, ActorTerminatedError, ConversationStateError, DuplicateActorError, HandlerTimeoutError, ParticipantCrashedError,
  DuplicateRegistrationError, LinkedActorError, MailboxFullError, MessageDroppedError, MessageRejectedError,
  NoActorsError, RestartLimitError, SystemShutdownError, UnknownMessageError, type ActorErrorCode,
} from './errors.js'
export {
  ActivationError, InvalidDirectiveError, SupervisorStoppedError, type SupervisionErrorCode,
} from './supervision-errors.js'
export type {
  ActorEvent, ActorLike, ActorRef, ActorStates, ActorTimers, ActorStats, AskOptions, CheckActorHandlers, DeadLetter, DeadLetterReason,
  ActorEventOf, MessageNames, Msgs, PolicyOf, Ref, ReplyOf, StopInfo, TellOnlyRef, TellResult,
} from './types.js'
