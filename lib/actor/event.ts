/**
 * The event actor handlers receive: the machine's event plus the actor's timers and its own ref.
 */
import type { Args, Event, Machine, TransitionInfo } from '../machine/index.js'
import type { Actor } from './actor.js'
import type { ActorEvent, ActorRef, ActorTimers } from './types.js'

export class ActorEventImpl implements ActorEvent {
  constructor(
    private readonly e: Event,
    private readonly actor: Actor,
    private readonly isMessage: boolean,
  ) {}

  get name(): string {
    return this.e.name
  }

  get machine(): Machine<string> {
    return this.e.machine
  }

  get args(): Args {
    return this.e.args
  }

  get transition(): TransitionInfo {
    return this.e.transition
  }

  /**
   * For a message's State handler: aborted when the actor stops (work on one message is not cancelled by the next
   * one re-entering the state). For other handlers: the machine's signal.
   */
  get signal(): AbortSignal {
    return this.isMessage ? this.actor.signal : this.e.signal
  }

  get timers(): ActorTimers {
    return this.actor.timers
  }

  get self(): ActorRef {
    return this.actor.ref
  }
}
