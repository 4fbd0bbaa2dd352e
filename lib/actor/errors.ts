/**
 * Errors of the actor layer. Each is a `PolymachineError` with a stable `code` (see `ActorErrorCode`) and a message
 * naming the actor (and the message, when one is involved).
 */
import { PolymachineError } from '../machine/index.js'
import { describe } from '../machine/internals.js'

/** The codes of the actor layer's errors, for `switch (err.code)`. */
export type ActorErrorCode =
  | 'ERR_ACTOR_TERMINATED'
  | 'ERR_MESSAGE_DROPPED'
  | 'ERR_MAILBOX_FULL'
  | 'ERR_MESSAGE_REJECTED'
  | 'ERR_NO_ACTORS'
  | 'ERR_DUPLICATE_ACTOR'
  | 'ERR_DUPLICATE_REGISTRATION'
  | 'ERR_UNKNOWN_MESSAGE'
  | 'ERR_LINKED_ACTOR'
  | 'ERR_RESTART_LIMIT'
  | 'ERR_PARTICIPANT_CRASHED'
  | 'ERR_CONVERSATION_STATE'
  | 'ERR_SYSTEM_SHUTDOWN'
  | 'ERR_ACTOR_FAILED'
  | 'ERR_HANDLER_TIMEOUT'

/** The target actor stopped (or was never started) before it could handle the message. */
export class ActorTerminatedError extends PolymachineError {
  override readonly name = 'ActorTerminatedError'
  constructor(
    readonly actorId: string,
    readonly msg?: string,
  ) {
    super('ERR_ACTOR_TERMINATED', `actor ${actorId} is terminated${msg ? `: message '${msg}' not handled` : ''}`)
  }
}

/** The mailbox shed the message (drop policy or random early drop). */
export class MessageDroppedError extends PolymachineError {
  override readonly name = 'MessageDroppedError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    readonly reason: string,
  ) {
    super('ERR_MESSAGE_DROPPED', `actor ${actorId}: message '${msg}' dropped (${reason})`)
  }
}

/** The mailbox is full and its policy is `reject`. */
export class MailboxFullError extends PolymachineError {
  override readonly name = 'MailboxFullError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    readonly capacity: number,
  ) {
    super('ERR_MAILBOX_FULL', `actor ${actorId}: mailbox full (${capacity}), message '${msg}' rejected`)
  }
}

/** The actor refused the message: a negotiation handler or a relation canceled its state. */
export class MessageRejectedError extends PolymachineError {
  override readonly name = 'MessageRejectedError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
  ) {
    super('ERR_MESSAGE_REJECTED', `actor ${actorId}: message '${msg}' was rejected (its transition was canceled)`)
  }
}

/** A router or a singleton lookup found no registered actor. */
export class NoActorsError extends PolymachineError {
  override readonly name = 'NoActorsError'
  constructor(readonly key: string) {
    super('ERR_NO_ACTORS', `no actors registered for service key '${key}'`)
  }
}

/** An actor id is already in use in this system. */
export class DuplicateActorError extends PolymachineError {
  override readonly name = 'DuplicateActorError'
  constructor(readonly actorId: string) {
    super('ERR_DUPLICATE_ACTOR', `an actor with id '${actorId}' already exists in this system`)
  }
}

/** The same ref was registered twice under one service key. */
export class DuplicateRegistrationError extends PolymachineError {
  override readonly name = 'DuplicateRegistrationError'
  constructor(
    readonly key: string,
    readonly actorId: string,
  ) {
    super('ERR_DUPLICATE_REGISTRATION', `actor ${actorId} is already registered under service key '${key}'`)
  }
}

/** A message name that is not a message state (a `multi` state outside the actor lifecycle) of the actor. */
export class UnknownMessageError extends PolymachineError {
  override readonly name = 'UnknownMessageError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    detail: string,
  ) {
    super('ERR_UNKNOWN_MESSAGE', `actor ${actorId}: '${msg}' ${detail}`)
  }
}

/** A linked actor failed; carried by the `ErrLinked` state of the other one. */
export class LinkedActorError extends PolymachineError {
  override readonly name = 'LinkedActorError'
  constructor(
    readonly actorId: string,
    readonly linkedId: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_LINKED_ACTOR', `actor ${actorId}: linked actor ${linkedId} failed`, options)
  }
}

/** A supervisor restarted its children more than `maxRestarts` times within `period`. */
export class RestartLimitError extends PolymachineError {
  override readonly name = 'RestartLimitError'
  constructor(
    readonly supervisorId: string,
    readonly childId: string,
    readonly maxRestarts: number,
    readonly period: number,
    options?: { cause?: unknown },
  ) {
    super('ERR_RESTART_LIMIT',
      `supervisor ${supervisorId}: more than ${maxRestarts} restarts within ${period} ms (last: ${childId})`, options)
  }
}

/** A conversation participant crashed while the conversation depended on it. */
export class ParticipantCrashedError extends PolymachineError {
  override readonly name = 'ParticipantCrashedError'
  constructor(
    readonly conversationId: string,
    readonly participantId: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_PARTICIPANT_CRASHED', `conversation ${conversationId}: participant ${participantId} crashed`, options)
  }
}

/** An operation a conversation's phase does not allow (e.g. sending on a closed conversation). */
export class ConversationStateError extends PolymachineError {
  override readonly name = 'ConversationStateError'
  constructor(
    readonly conversationId: string,
    readonly phase: string,
    what: string,
  ) {
    super('ERR_CONVERSATION_STATE', `conversation ${conversationId} is ${phase}: cannot ${what}`)
  }
}

/** The actor system is shutting down (or has terminated): nothing new can be spawned. */
export class SystemShutdownError extends PolymachineError {
  override readonly name = 'SystemShutdownError'
  constructor(
    readonly systemId: string,
    what: string,
  ) {
    super('ERR_SYSTEM_SHUTDOWN', `actor system ${systemId} is not running (shutting down or shut down): cannot ${what}`)
  }
}

/**
 * A handler of an actor failed without an `Error`: it threw (or rejected with) `undefined`, `null`, a primitive or
 * another non-Error value, which is kept as `cause`. Also used when an actor's start is canceled.
 */
export class ActorFailedError extends PolymachineError {
  override readonly name = 'ActorFailedError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_ACTOR_FAILED', `actor ${actorId}: '${msg}' ${detail}`, options)
  }
}

/**
 * A message's async handler was still running after the actor's `handlerTimeout`: the message failed (its signal
 * aborted with this error) and the actor reports itself failed (`Exception`), so its supervisor decides.
 */
export class HandlerTimeoutError extends PolymachineError {
  override readonly name = 'HandlerTimeoutError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    readonly timeout: number,
  ) {
    super('ERR_HANDLER_TIMEOUT', `actor ${actorId}: the handler of '${msg}' still ran after handlerTimeout (${timeout} ms)`)
  }
}

/**
 * What a failed handler's ask rejects with: the thrown value itself when it is an `Error`, else an `ActorFailedError`
 * carrying it as `cause` (a rejection with `undefined` would tell the caller nothing).
 */
export function asError(actorId: string, msg: string, thrown: unknown): unknown {
  try {
    if (thrown instanceof Error) return thrown
  } catch {
    // a proxy whose getPrototypeOf trap throws: wrap it like any other non-Error
  }
  return new ActorFailedError(actorId, msg, `handler failed with a non-Error value (${describe(thrown)})`, { cause: thrown })
}
