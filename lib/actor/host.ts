/**
 * What the parts of the actor layer get from their system (a narrow interface each, never the whole ActorSystem).
 */
import type { Observable } from 'rxjs'
import type { Actor } from './actor.js'
import type { Envelope } from './envelope.js'
import type { DeadLetter, DeadLetterReason, StopInfo } from './types.js'

/** Where undeliverable messages go: what refs and supervised children need from their system. */
export interface DeadLetterSink {
  deadLetter(actorId: string, env: Envelope, reason: DeadLetterReason): void
  /** Every dead letter of the system, to filter per actor. */
  readonly deadLetters$: Observable<DeadLetter>
}

/** What an actor needs from its system: its dead letters, and telling it that it stopped. */
export interface ActorHost extends DeadLetterSink {
  stopped(actor: Actor, info: StopInfo): void
}
