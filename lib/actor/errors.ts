/**
 * Errors of the actor layer. Each names the actor (and the message, when one is involved).
 */

/** The target actor stopped (or was never started) before it could handle the message. */
export class ActorTerminatedError extends Error {
  override readonly name = 'ActorTerminatedError'
  constructor(
    readonly actorId: string,
    readonly msg?: string,
  ) {
    super(`actor ${actorId} is terminated${msg ? `: message '${msg}' not handled` : ''}`)
  }
}

/** The mailbox shed the message (drop policy or random early drop). */
export class MessageDroppedError extends Error {
  override readonly name = 'MessageDroppedError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    readonly reason: string,
  ) {
    super(`actor ${actorId}: message '${msg}' dropped (${reason})`)
  }
}

/** The mailbox is full and its policy is `reject`. */
export class MailboxFullError extends Error {
  override readonly name = 'MailboxFullError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    readonly capacity: number,
  ) {
    super(`actor ${actorId}: mailbox full (${capacity}), message '${msg}' rejected`)
  }
}

/** The actor refused the message: a negotiation handler or a relation canceled its state. */
export class MessageRejectedError extends Error {
  override readonly name = 'MessageRejectedError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
  ) {
    super(`actor ${actorId}: message '${msg}' was rejected (its transition was canceled)`)
  }
}

/** A router or a singleton lookup found no registered actor. */
export class NoActorsError extends Error {
  override readonly name = 'NoActorsError'
  constructor(readonly key: string) {
    super(`no actors registered for service key '${key}'`)
  }
}

/** An actor id is already in use in this system. */
export class DuplicateActorError extends Error {
  override readonly name = 'DuplicateActorError'
  constructor(readonly actorId: string) {
    super(`an actor with id '${actorId}' already exists in this system`)
  }
}

/** The same ref was registered twice under one service key. */
export class DuplicateRegistrationError extends Error {
  override readonly name = 'DuplicateRegistrationError'
  constructor(
    readonly key: string,
    readonly actorId: string,
  ) {
    super(`actor ${actorId} is already registered under service key '${key}'`)
  }
}

/** A message name that is not a message state (a `multi` state outside the actor lifecycle) of the actor. */
export class UnknownMessageError extends Error {
  override readonly name = 'UnknownMessageError'
  constructor(
    readonly actorId: string,
    readonly msg: string,
    detail: string,
  ) {
    super(`actor ${actorId}: '${msg}' ${detail}`)
  }
}

/** A linked actor failed; carried by the `ErrLinked` state of the other one. */
export class LinkedActorError extends Error {
  override readonly name = 'LinkedActorError'
  constructor(
    readonly actorId: string,
    readonly linkedId: string,
    options?: { cause?: unknown },
  ) {
    super(`actor ${actorId}: linked actor ${linkedId} failed`, options)
  }
}

/** A supervisor restarted its children more than `maxRestarts` times within `period`. */
export class RestartLimitError extends Error {
  override readonly name = 'RestartLimitError'
  constructor(
    readonly supervisorId: string,
    readonly childId: string,
    readonly maxRestarts: number,
    readonly period: number,
    options?: { cause?: unknown },
  ) {
    super(`supervisor ${supervisorId}: more than ${maxRestarts} restarts within ${period} ms (last: ${childId})`, options)
  }
}

/** A conversation participant crashed while the conversation depended on it. */
export class ParticipantCrashedError extends Error {
  override readonly name = 'ParticipantCrashedError'
  constructor(
    readonly conversationId: string,
    readonly participantId: string,
    options?: { cause?: unknown },
  ) {
    super(`conversation ${conversationId}: participant ${participantId} crashed`, options)
  }
}

/** An operation a conversation's phase does not allow (e.g. sending on a closed conversation). */
export class ConversationStateError extends Error {
  override readonly name = 'ConversationStateError'
  constructor(
    readonly conversationId: string,
    readonly phase: string,
    what: string,
  ) {
    super(`conversation ${conversationId} is ${phase}: cannot ${what}`)
  }
}
