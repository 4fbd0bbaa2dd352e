/**
 * polymachine/actor: actors as machines. Messages are multi states, replies are the return values of their State
 * handlers; mailboxes are bounded; dead letters, a receptionist with typed service keys, routers, timers, links.
 * @module polymachine/actor
 */
export { ActorSystem, type ActorSystemOptions, type SpawnOptions } from './system.js'
export { ActorSchema, type ActorStateNames } from './actor.schema.js'
export { ActorSystemSchema } from './system.schema.js'
export { Mailbox, type DropReason, type Envelope, type MailboxOptions, type OfferResult, type OverflowPolicy } from './mailbox.js'
export { Receptionist } from './receptionist.js'
export { Router, type RoutingStrategy } from './router.js'
export { serviceKey, type ServiceKey } from './service-key.js'
export { Timers } from './timers.js'
export {
  ActorTerminatedError, DuplicateActorError, DuplicateRegistrationError, LinkedActorError, MailboxFullError,
  MessageDroppedError, MessageRejectedError, NoActorsError, UnknownMessageError,
} from './errors.js'
export type {
  ActorEvent, ActorLike, ActorRef, ActorStates, ActorTimers, ActorStats, AskOptions, CheckActorHandlers, DeadLetter, DeadLetterReason,
  MessageNames, PolicyOf, Ref, ReplyOf, StopInfo, TellOnlyRef, TellResult,
} from './types.js'
