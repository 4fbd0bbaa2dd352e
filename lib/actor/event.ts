/**
 * The event actor handlers receive: the machine's event plus the actor's timers and its own ref.
 */
import type { Args, Event, Machine, TransitionInfo } from '../machine/index.js'
import type { Actor } from './actor.js'
import { cancel, messageSignal, type Envelope } from './envelope.js'
import { ActorTerminatedError } from './errors.js'
import type { ActorEvent, ActorRef, ActorTimers } from './types.js'

export class ActorEventImpl implements ActorEvent {
  constructor(
    private readonly e: Event,
    private readonly actor: Actor,
    /** The message's envelope, for its State handler; null for every other handler. */
    private readonly env: Envelope | null,
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
   * For a message's State handler: the message's own signal (work on one message is not cancelled by the next one
   * re-entering the state). For other handlers: the machine's signal.
   */
  get signal(): AbortSignal {
    const env = this.env
    if (env === null) return this.e.signal
    const signal = messageSignal(this.actor.id, env)
    if (!this.actor.accepting && !signal.aborted) cancel(env, new ActorTerminatedError(this.actor.id, env.msg))
    return signal
  }

  get actorSignal(): AbortSignal {
    return this.actor.signal
  }

  get timers(): ActorTimers {
    return this.actor.timers
  }

  get self(): ActorRef {
    return this.actor.ref
  }
}
