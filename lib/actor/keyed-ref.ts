/**
 * The ref of a keyed virtual actor: a thin handle (key + its keyed supervisor), cheap to make and drop, valid whether
 * or not the actor is active.
 */
import type { Args } from '../machine/index.js'
import { ask, type AskTarget } from './ask.js'
import { toldEnvelope, type Envelope } from './envelope.js'
import type { NonBlockingPolicy } from './mailbox.js'
import { tellOnlyView } from './ref.js'
import type { AskOptions, Msgs, Ref, ReplyOf, TellOnlyRef } from './types.js'

/** What a keyed ref needs from its keyed supervisor. */
export interface KeyedTarget {
  deliver(key: string, env: Envelope, opts: AskOptions | undefined): void | Promise<void>
}

/** A ref to the virtual actor for one key (`keyed.ref(key)`). */
export class KeyedRef<N extends string, H extends object, M extends N = N>
implements Ref<Msgs<M>, H, NonBlockingPolicy>, AskTarget {
  constructor(
    private readonly keyed: KeyedTarget,
    readonly key: string,
  ) {}

  get id(): string {
    return this.key
  }

  tell(msg: Msgs<M>, args?: Args, opts?: AskOptions): void {
    void this.keyed.deliver(this.key, toldEnvelope(this.key, msg, args, opts), opts)
  }

  ask<K extends Msgs<M>>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    return ask(this, msg, args, opts) as Promise<ReplyOf<H, K>>
  }

  /** @internal Where its asks go: the keyed supervisor, for this key. */
  enqueue(env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    return this.keyed.deliver(this.key, env, opts)
  }

  tellOnly(): TellOnlyRef<Msgs<M>, NonBlockingPolicy> {
    return tellOnlyView(this)
  }
}
