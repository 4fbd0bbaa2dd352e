/**
 * A router: a ref over every actor registered under a service key, picking one per message. It follows the
 * receptionist's live set (no lookup per message).
 */
import { InvalidArgumentError, type Args } from '../machine/index.js'
import { NoActorsError } from './errors.js'
import { Receptionist } from './receptionist.js'
import { tellOnlyView } from './ref.js'
import type { ServiceKey } from './service-key.js'
import type { ActorRef, AskOptions, Ref, ReplyOf, TellOnlyRef } from './types.js'

export type RoutingStrategy = 'round-robin' | 'random' | 'least-queued'

const STRATEGIES: readonly RoutingStrategy[] = ['round-robin', 'random', 'least-queued']

export class Router<M extends string, H> implements Ref<M, H> {
  readonly id: string
  private readonly keyName: string
  private refs: readonly ActorRef<M, H>[] = []
  private next = 0
  private readonly unsubscribe: () => void

  constructor(
    receptionist: Receptionist,
    private readonly key: ServiceKey<M, H>,
    private readonly strategy: RoutingStrategy,
    private readonly noActors: (msg: string, args: Args | undefined) => void,
    private readonly random: () => number = Math.random,
  ) {
    if (!STRATEGIES.includes(strategy)) {
      throw new InvalidArgumentError('system.router()', 'strategy', `one of ${STRATEGIES.map((x) => `'${x}'`).join(', ')}`, strategy)
    }
    if (typeof random !== 'function') throw new InvalidArgumentError('new Router()', 'random', 'a function () => number in [0, 1)', random)
    if (typeof noActors !== 'function') throw new InvalidArgumentError('new Router()', 'noActors', 'a function', noActors)
    if (!(receptionist instanceof Receptionist)) {
      throw new InvalidArgumentError('new Router()', 'receptionist', 'a Receptionist', receptionist)
    }
    this.keyName = key.name // read once: checked by the caller (system.router())
    this.id = `router:${this.keyName}`
    const sub = receptionist.subscribe(key).subscribe((refs) => (this.refs = refs))
    this.unsubscribe = () => sub.unsubscribe()
  }

  /** Tells one actor. With none registered the message becomes a dead letter and `NoActorsError` is thrown. */
  tell(msg: M, args?: Args, opts?: AskOptions): void | Promise<void> {
    return this.pick(msg, args).tell(msg, args, opts)
  }

  /** Asks one actor; rejects with `NoActorsError` when none is registered. */
  ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    try {
      return this.pick(msg, args).ask(msg, args, opts)
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  tellOnly(): TellOnlyRef<M> {
    return tellOnlyView(this)
  }

  /** Stops following the receptionist. */
  close(): void {
    this.unsubscribe()
    this.refs = []
  }

  private pick(msg: string, args: Args | undefined): ActorRef<M, H> {
    if (typeof msg !== 'string') throw new InvalidArgumentError(`${this.id}: tell()/ask()`, 'msg', 'a message name (string)', msg)
    const refs = this.refs
    if (refs.length === 0) {
      this.noActors(msg, args)
      throw new NoActorsError(this.keyName)
    }
    switch (this.strategy) {
      case 'random':
        // a random source out of [0, 1) must not pick a hole
        return (refs[Math.floor(this.random() * refs.length)] ?? refs[0]) as ActorRef<M, H>
      case 'least-queued':
        return leastLoaded(refs)
      default:
        return refs[this.next++ % refs.length] as ActorRef<M, H>
    }
  }
}

/** The ref with the fewest messages queued plus in flight (the first of equals). */
export function leastLoaded<R extends { readonly stats: { readonly queued: number; readonly inFlight: number } }>(
  refs: readonly R[],
): R {
  let best = refs[0] as R
  let load = best.stats.queued + best.stats.inFlight
  for (let i = 1; i < refs.length; i++) {
    const r = refs[i] as R
    const l = r.stats.queued + r.stats.inFlight
    if (l < load) {
      best = r
      load = l
    }
  }
  return best
}
