/**
 * Supervisor kinds for interchangeable children: a singleton (one child whose ref survives restarts) and a pool
 * (N children behind one ref, resizable).
 */
import { InvalidArgumentError, type Args, type Schema } from '../machine/index.js'
import type { ChildContext, ChildSpec, SupervisedRef } from './child.js'
import { NoActorsError } from './errors.js'
import { leastLoaded } from './router.js'
import { readMailboxOptions, type NonBlockingMailboxOptions, type NonBlockingPolicy, type OverflowPolicy } from './mailbox.js'
import { Supervisor, type SupervisorOptions } from './supervisor.js'
import {
  checkFunction, checkInt, checkMs, checkOneOf, checkSchema, checkSystem, isObject, readOptions,
} from './supervision-check.js'
import type { ActorSystem } from './system.js'
import { tellOnlyView } from './ref.js'
import type { AskOptions, Msgs, Ref, ReplyOf, TellOnlyRef } from './types.js'

/** One supervised child: `ref` stays valid across restarts. */
export function singleton<N extends string, H extends object, D = unknown, M extends N = N>(
  system: ActorSystem,
  opts: SupervisorOptions<D> & { child: ChildSpec<N, H, D, M> },
): { supervisor: Supervisor<D>; ref: SupervisedRef<Msgs<M>, H, OverflowPolicy, N> } {
  const o = readOptions('singleton()', 'options', opts)
  if (!isObject(o.child)) throw new InvalidArgumentError('singleton()', 'options.child', 'a child spec', o.child)
  const { child, ...supOpts } = o
  const supervisor = new Supervisor(system, supOpts)
  const ref = supervisor.supervise<N, H, M, ChildSpec<N, H, D, M>>(child)
  return { supervisor, ref }
}

/** A worker's ref: `block` is not offered to pools, so `tell` never returns a Promise. */
type Worker<N extends string, H, M extends N> = SupervisedRef<Msgs<M>, H, NonBlockingPolicy, N>

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
  /** Per worker: an async handler running longer fails its message and the worker (see `SpawnOptions`). */
  handlerTimeout?: number
}

/** N supervised workers behind one ref. */
export class Pool<N extends string, H extends object, D = unknown, M extends N = N>
implements Ref<Msgs<M>, H, NonBlockingPolicy> {
  readonly supervisor: Supervisor<D>
  private workers: Array<Worker<N, H, M>> = []
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
    checkMs(where, 'options.handlerTimeout', opts.handlerTimeout, { positive: true, infinite: true })
    if (opts.mailbox !== undefined) {
      // read once, guarded (a throwing getter is the caller's bad argument); the children get the checked copy
      const mailbox = readMailboxOptions(where, opts.mailbox)
      if (mailbox.overflow === 'block') {
        throw new InvalidArgumentError(where, 'options.mailbox', 'mailbox options without overflow \'block\'', opts.mailbox)
      }
      opts.mailbox = mailbox as NonBlockingMailboxOptions
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
  get refs(): ReadonlyArray<Worker<N, H, M>> {
    return this.workers
  }

  tell(msg: Msgs<M>, args?: Args, opts?: AskOptions): void {
    void this.pick().tell(msg, args, opts)
  }

  ask<K extends Msgs<M>>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    try {
      return this.pick().ask(msg, args, opts)
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  tellOnly(): TellOnlyRef<Msgs<M>, NonBlockingPolicy> {
    return tellOnlyView(this)
  }

  /** Grows (starts workers) or shrinks (stops the newest workers; their queued messages become dead letters). */
  async resize(size: number): Promise<void> {
    checkInt(`pool ${this.opts.id}: resize()`, 'size', size, 0, false)
    this.grow(size)
    while (this.workers.length > size) {
      // Through the ref: its supervisor forgets the worker (also one already stopped with system.stop()).
      await this.workers.pop()?.stopActor()
    }
  }

  private grow(size: number): void {
    while (this.workers.length < size) {
      const spec: ChildSpec<N, H, D, M> & { mailbox?: NonBlockingMailboxOptions } = {
        id: `${this.opts.id}-${++this.serial}`,
        schema: this.opts.schema,
        handlers: this.opts.handlers,
        ...(this.opts.mailbox && { mailbox: this.opts.mailbox }),
        ...(this.opts.concurrency !== undefined && { concurrency: this.opts.concurrency }),
        ...(this.opts.handlerTimeout !== undefined && { handlerTimeout: this.opts.handlerTimeout }),
      }
      this.workers.push(this.supervisor.supervise<N, H, M, typeof spec>(spec))
    }
  }

  private pick(): Worker<N, H, M> {
    const refs = this.workers
    if (refs.length === 0) throw new NoActorsError(this.opts.id)
    if (this.opts.routing === 'least-queued') return leastLoaded(refs)
    return refs[this.next++ % refs.length] as Worker<N, H, M>
  }
}
