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

  get signal(): AbortSignal {
    return this.e.signal
  }

  get timers(): ActorTimers {
    return this.actor.timers
  }

  get self(): ActorRef {
    return this.actor.ref
  }
}
