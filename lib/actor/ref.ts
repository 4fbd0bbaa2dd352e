/**
 * The public handle on an actor. Refs stay valid after the actor stops: messages then go to dead letters and asks
 * fail with `ActorTerminatedError`.
 */
import type { Args, Machine } from '../machine/index.js'
import type { Actor } from './actor.js'
import type { ActorStateNames } from './actor.schema.js'
import { filter, type Observable } from 'rxjs'
import type { ActorRef, ActorStats, AskOptions, DeadLetter, TellOnlyRef } from './types.js'

export class ActorRefImpl implements ActorRef {
  #tellOnly: TellOnlyRef | undefined

  constructor(readonly actor: Actor) {}

  get id(): string {
    return this.actor.id
  }

  tell(msg: string, args?: Args, opts?: AskOptions): void | Promise<void> {
    return this.actor.tell(msg, args, opts)
  }

  ask(msg: string, args?: Args, opts?: AskOptions): Promise<never> {
    return this.actor.ask(msg, args, opts) as Promise<never>
  }

  tellOnly(): TellOnlyRef {
    return (this.#tellOnly ??= Object.freeze({
      id: this.actor.id,
      tell: (msg: string, args?: Args, opts?: AskOptions) => this.actor.tell(msg, args, opts),
    }))
  }

  /** This actor's messages shed by its mailbox policy (dead letters with a `dropped:…` reason), as they happen. */
  get drops$(): Observable<DeadLetter> {
    const id = this.actor.id
    return this.actor.host.deadLetters$.pipe(filter((d) => d.actorId === id && d.reason.startsWith('dropped:')))
  }

  get stats(): ActorStats {
    const a = this.actor
    return {
      received: a.mailbox.received,
      processed: a.processed,
      failed: a.failed,
      dropped: a.mailbox.dropped,
      queued: a.mailbox.size,
      inFlight: a.inFlight,
    }
  }

  get stopped(): boolean {
    return this.actor.stopped
  }

  get machine(): Machine<string | ActorStateNames> {
    return this.actor.mach
  }

  toString(): string {
    return `ActorRef(${this.actor.id})`
  }
}

/** The actor behind a ref made by this package, or undefined for foreign objects. */
export function actorOf(ref: unknown): Actor | undefined {
  return ref instanceof ActorRefImpl ? ref.actor : undefined
}
