/**
 * Supervisor kinds for interchangeable children: a singleton (one child whose ref survives restarts) and a pool
 * (N children behind one ref, resizable).
 */
import { InvalidArgumentError, type Args, type Schema } from '../machine/index.js'
import type { ActorStateNames } from './actor.schema.js'
import type { ChildContext, ChildSpec, SupervisedRef } from './child.js'
import { NoActorsError } from './errors.js'
import { leastLoaded } from './router.js'
import type { NonBlockingMailboxOptions } from './mailbox.js'
import { Supervisor, type SupervisorOptions } from './supervisor.js'
import {
  checkFunction, checkInt, checkOneOf, checkSchema, checkSystem, isObject, readOptions,
} from './supervision-check.js'
import type { ActorSystem } from './system.js'
import type { OverflowPolicy } from './mailbox.js'
import type { ActorRef, AskOptions, Ref, ReplyOf, TellOnlyRef } from './types.js'

/** One supervised child: `ref` stays valid across restarts. */
export function singleton<N extends string, H extends object, D = unknown, M extends N = N>(
  system: ActorSystem,
  opts: SupervisorOptions<D> & { child: ChildSpec<N, H, D, M> },
): { supervisor: Supervisor<D>; ref: ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N> } {
  const o = readOptions('singleton()', 'options', opts)
  if (!isObject(o.child)) throw new InvalidArgumentError('singleton()', 'options.child', 'a child spec', o.child)
  const { child, ...supOpts } = o
  const supervisor = new Supervisor(system, supOpts)
  const ref = supervisor.supervise(child) as unknown as ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N>
  return { supervisor, ref }
}

export interface PoolOptions<N extends string, H extends object, D, M extends N = N> extends SupervisorOptions<D> {
  size: number
  /** The workers' states; their `multi` ones outside the lifecycle (`M`) are the messages. */
  schema: Schema<N, M>
  /** Fresh handlers per worker incarnation; `ctx.id` is `<pool id>-<n>`. */
  handlers: (ctx: ChildContext<D>) => H
  /** How the pool's ref picks a worker. Default `round-robin`. */
  routing?: 'round-robin' | 'least-queued'
  /** Per actor; `block` is not offered, so `tell` never returns a Promise. */
  mailbox?: NonBlockingMailboxOptions
  concurrency?: number
}

/** N supervised workers behind one ref. */
export class Pool<N extends string, H extends object, D = unknown, M extends N = N>
implements Ref<Exclude<M, ActorStateNames>, H, Exclude<OverflowPolicy, 'block'>> {
  readonly supervisor: Supervisor<D>
  private workers: Array<ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N>> = []
  private next = 0
  private serial = 0

  private readonly opts: PoolOptions<N, H, D, M>

  constructor(system: ActorSystem, options: PoolOptions<N, H, D, M>) {
    const where = 'new Pool()'
    checkSystem(where, system)
    const opts = (this.opts = readOptions(where, 'options', options))
    checkInt(where, 'options.size', opts.size, 0, false)
    checkSchema(where, 'options.schema', opts.schema)
    checkFunction(where, 'options.handlers', opts.handlers)
    checkOneOf(where, 'options.routing', opts.routing, ['round-robin', 'least-queued'])
    checkInt(where, 'options.concurrency', opts.concurrency, 1)
    if (opts.mailbox !== undefined && (!isObject(opts.mailbox) || (opts.mailbox.overflow as string) === 'block')) {
      throw new InvalidArgumentError(where, 'options.mailbox', 'mailbox options without overflow \'block\'', opts.mailbox)
    }
    this.supervisor = new Supervisor(system, opts)
    this.grow(opts.size)
  }

  get id(): string {
    return this.opts.id
  }

  get size(): number {
    return this.workers.length
  }

  /** The workers' refs, in start order. */
  get refs(): ReadonlyArray<ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N>> {
    return this.workers
  }

  tell(msg: Exclude<M, ActorStateNames>, args?: Args, opts?: AskOptions): void {
    void this.pick().tell(msg, args, opts)
  }

  ask<K extends Exclude<M, ActorStateNames>>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    try {
      return this.pick().ask(msg, args, opts)
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  tellOnly(): TellOnlyRef<Exclude<M, ActorStateNames>, Exclude<OverflowPolicy, 'block'>> {
    return { id: this.id, tell: (msg, args, opts) => this.tell(msg, args, opts) }
  }

  /** Grows (starts workers) or shrinks (stops the newest workers; their queued messages become dead letters). */
  async resize(size: number): Promise<void> {
    checkInt(`pool ${this.opts.id}: resize()`, 'size', size, 0, false)
    this.grow(size)
    while (this.workers.length > size) {
      // Through the ref: its supervisor forgets the worker (also one already stopped with system.stop()).
      await (this.workers.pop() as unknown as SupervisedRef).stopForGood()
    }
  }

  private grow(size: number): void {
    while (this.workers.length < size) {
      const spec: ChildSpec<N, H, D> = {
        id: `${this.opts.id}-${++this.serial}`,
        schema: this.opts.schema,
        handlers: this.opts.handlers,
        ...(this.opts.mailbox && { mailbox: this.opts.mailbox }),
        ...(this.opts.concurrency !== undefined && { concurrency: this.opts.concurrency }),
      }
      this.workers.push(this.supervisor.supervise(spec) as unknown as ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N>)
    }
  }

  private pick(): ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N> {
    const refs = this.workers
    if (refs.length === 0) throw new NoActorsError(this.opts.id)
    if (this.opts.routing === 'least-queued') return leastLoaded(refs)
    return refs[this.next++ % refs.length] as ActorRef<Exclude<M, ActorStateNames>, H, OverflowPolicy, N>
  }
}
