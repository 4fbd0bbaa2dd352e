/**
 * One actor: a machine whose multi states are its messages, a bounded mailbox, and a delivery loop that hands the
 * machine one message at a time (or `concurrency` at a time, counting the async part of handlers).
 */
import { Machine, Result, TimeoutError, type Args, type Snapshot, type Event, type LogFn, type LogLevel, type Schema } from '../machine/index.js'
import { ACTOR_STATES } from './actor.schema.js'
import { ask, checkTimeout } from './ask.js'
import {
  ActorTerminatedError, MailboxFullError, MessageDroppedError, MessageRejectedError, UnknownMessageError,
} from './errors.js'
import { Mailbox, reply, type DropReason, type Envelope, type MailboxOptions } from './mailbox.js'
import { Timers } from './timers.js'
import type { Observable } from 'rxjs'
import type { ActorRef, AskOptions, DeadLetter, DeadLetterReason, StopInfo } from './types.js'
import { ActorRefImpl } from './ref.js'
import { wrapHandlers } from './wrap.js'

/** What an actor needs from its system. */
export interface ActorHost {
  deadLetter(actorId: string, env: Envelope, reason: DeadLetterReason): void
  /** Every dead letter of the system, to filter per actor. */
  readonly deadLetters$: Observable<DeadLetter>
  stopped(actor: Actor, info: StopInfo): void
}

export interface ActorOptions {
  id: string
  mailbox?: MailboxOptions
  /** Messages handled at once, counting the async part of handlers. Default 1. */
  concurrency?: number
  logLevel?: LogLevel
  logger?: LogFn
  parent?: Machine<string>
  /** Messages to deliver first (kept from the previous incarnation of a restarted actor). */
  preload?: readonly Envelope[]
  /** A supervisor decides what a failed start means: the actor does not stop itself then. */
  supervised?: boolean
  /** Clocks to restore before starting (a passivated actor's saved state); lifecycle states restart from inactive. */
  snapshot?: Snapshot
}

/** `${msg}State` per message name, shared by all actors, so deliveries build no strings. */
const STATE_NAMES = new Map<string, string>()

/** Messages delivered per microtask before yielding to I/O. */
const BATCH = 4096

/** The outcome of the final handler of the message being delivered (one per actor: deliveries never nest). */
interface Current {
  /** `${msg}State` of the message being delivered, or null between deliveries. */
  name: string | null
  /** What `add` returned for the message state. */
  added: Result
  handled: boolean
  result: unknown
  threw: boolean
  error: unknown
}

export class Actor {
  readonly id: string
  readonly mach: Machine<string>
  readonly mailbox: Mailbox
  readonly ref: ActorRef
  processed = 0
  /** Messages whose handling failed: the handler threw or rejected, or the actor refused the message. */
  failed = 0
  inFlight = 0
  /** After a stop for restart: the messages still queued, for the next incarnation. */
  leftover: Envelope[] = []
  stopInfo: StopInfo | null = null

  private readonly messages: ReadonlySet<string>
  private readonly supervised: boolean
  private readonly concurrency: number
  private scheduled = false
  private ready = false
  private stopping = false
  private readonly cur: Current = { name: null, added: Result.Canceled, handled: false, result: undefined, threw: false, error: undefined }
  /** Made when a handler first uses `e.timers`: most actors never do. */
  private timersObj: Timers | null = null
  private stopPromise: Promise<void> | null = null
  private life: AbortController | null = null
  private idle: (() => void) | null = null
  private readonly drainFn = (): void => this.drain()

  constructor(
    readonly host: ActorHost,
    schema: Schema<string>,
    handlers: object,
    opts: ActorOptions,
  ) {
    this.id = opts.id
    const concurrency = opts.concurrency ?? 1
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`actor ${opts.id}: concurrency must be an integer ≥ 1, got ${concurrency}`)
    }
    this.concurrency = concurrency
    this.supervised = opts.supervised ?? false
    this.messages = messageStates(schema)
    this.mailbox = new Mailbox(opts.mailbox ?? {}, (env, reason) => this.dropped(env, reason))
    if (opts.preload) this.mailbox.restore(opts.preload)
    this.ref = new ActorRefImpl(this)
    this.mach = new Machine(schema, {
      id: opts.id,
      tags: ['actor'],
      ...(opts.logLevel !== undefined && { logLevel: opts.logLevel }),
      ...(opts.logger && { logger: opts.logger }),
      ...(opts.parent && { parent: opts.parent }),
    })
    if (opts.snapshot) this.mach.import(withoutLifecycle(opts.snapshot))
    this.mach.bind(wrapHandlers(this, handlers))
  }

  /** Adds Start, waits for an async `StartState`, then adds Ready and starts delivering. */
  async start(): Promise<void> {
    const cur = this.run('Start', undefined)
    if (cur.threw) return this.startFailed(cur.error)
    if (cur.added !== Result.Executed) return this.startFailed(new Error(`actor ${this.id}: Start was canceled`))
    try {
      await cur.result
    } catch (err) {
      return this.startFailed(err)
    }
    if (this.stopping) return
    this.mach.add('Ready')
    this.ready = true
    this.schedule()
  }

  tell(msg: string, args: Args | undefined, opts?: AskOptions): void | Promise<void> {
    this.checkMessage(msg)
    return this.enqueue({ msg, args, reply: undefined }, opts)
  }

  /** A timer's message: never waits and never throws; one the mailbox refuses becomes a dead letter. */
  private tellFromTimer(msg: string, args: Args | undefined): void {
    const env: Envelope = { msg, args, reply: undefined }
    if (this.stopping) return this.terminated(env, 'stopped')
    const r = this.mailbox.offer(env)
    if (r === 'accepted') this.schedule()
    else if (r === 'full') this.host.deadLetter(this.id, env, 'rejected')
  }

  ask(msg: string, args: Args | undefined, opts: AskOptions = {}): Promise<unknown> {
    this.checkMessage(msg)
    return ask(this.id, msg, args, opts, (env) => this.enqueue(env, opts))
  }

  /** Aborted when the actor stops: the signal message handlers get (re-entering a message state does not abort it). */
  get signal(): AbortSignal {
    return (this.life ??= new AbortController()).signal
  }

  /** Whether new messages still go into this incarnation's mailbox (not stopping or stopped). */
  get accepting(): boolean {
    return !this.stopping
  }

  /** Stops delivering, waits for in-flight handlers (up to `timeout`), drains the mailbox to dead letters. */
  /** This actor's timers (closed once it stops: a timer started then never fires). */
  get timers(): Timers {
    if (this.timersObj === null) {
      this.timersObj = new Timers(this.id, (msg) => this.checkMessage(msg), (msg, args) => this.tellFromTimer(msg, args))
      if (this.stopping) this.timersObj.close()
    }
    return this.timersObj
  }

  stop(reason: StopInfo['reason'], timeout: number, error?: unknown): Promise<void> {
    return (this.stopPromise ??= this.doStop(reason, timeout, error))
  }

  private async doStop(reason: StopInfo['reason'], timeout: number, error: unknown): Promise<void> {
    this.stopping = true
    this.ready = false
    this.timersObj?.close()
    this.life?.abort(new ActorTerminatedError(this.id))
    this.mach.add('Stopping')
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeout)
        this.idle = () => (clearTimeout(t), resolve())
      })
    }
    // A restart keeps the mailbox for the next incarnation; any other stop drains it to dead letters.
    if (reason === 'restart') this.leftover = this.mailbox.drain()
    else for (const env of this.mailbox.drain()) this.terminated(env, reason === 'shutdown' ? 'drained' : 'stopped')
    this.mailbox.wakeAll()
    this.mach.add('Stopped')
    this.stopInfo = { actorId: this.id, reason, ...(error !== undefined && { error }) }
    this.host.stopped(this, this.stopInfo)
    this.mach.dispose()
  }

  get stopped(): boolean {
    return this.stopInfo !== null
  }

  /**
   * True when `e` is the State handler of the message (or Start) being delivered: the first `${msg}State` of the
   * delivery (later ones come from mutations it queued).
   */
  isDelivered(e: Event): boolean {
    return this.cur.name === e.name && !this.cur.handled
  }

  /** Records what the delivered message's State handler returned (or threw). */
  captured(result: unknown, threw: boolean): void {
    const cur = this.cur
    cur.handled = true
    cur.threw = threw
    if (threw) cur.error = result
    else cur.result = result
  }

  // --- delivery ---------------------------------------------------------------------------------------------

  /** Offers an envelope to the mailbox (policy applied); for supervised refs that forward to this incarnation. */
  enqueue(env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    if (this.stopping) {
      this.terminated(env, 'stopped')
      return
    }
    const r = this.mailbox.offer(env)
    if (r === 'accepted') {
      this.schedule()
      return
    }
    if (r === 'dropped') return
    if (this.mailbox.overflow === 'reject') throw new MailboxFullError(this.id, env.msg, this.mailbox.capacity)
    checkTimeout(opts?.timeout)
    return this.waitAndEnqueue(env, opts?.signal, opts?.timeout)
  }

  /**
   * `block` policy: wait for room (FIFO among blocked senders), then offer again. A sender that gives up (abort,
   * timeout, or an ask that failed meanwhile) leaves no waiter behind and its message is not enqueued.
   */
  private async waitAndEnqueue(env: Envelope, signal: AbortSignal | undefined, timeout: number | undefined): Promise<void> {
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout
    const isAsk = env.reply !== undefined
    for (;;) {
      signal?.throwIfAborted()
      const room = this.mailbox.waitForRoom()
      await new Promise<void>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined
        const giveUp = (err: unknown): void => {
          room.cancel()
          signal?.removeEventListener('abort', onAbort)
          reject(err as Error)
        }
        const onAbort = (): void => {
          if (timer) clearTimeout(timer)
          giveUp(signal?.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        if (deadline !== Infinity) {
          timer = setTimeout(() => giveUp(new TimeoutError(this.id, `tell(${env.msg}) waiting for mailbox room`, timeout as number)), Math.max(0, deadline - Date.now()))
        }
        void room.promise.then(() => {
          if (timer) clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          resolve()
        })
      })
      if (isAsk && env.reply === undefined) return // the ask failed meanwhile (its timeout or abort)
      if (this.stopping) {
        this.terminated(env, 'stopped')
        throw new ActorTerminatedError(this.id, env.msg)
      }
      if (this.mailbox.offer(env) === 'accepted') {
        this.schedule()
        return
      }
    }
  }

  private schedule(): void {
    if (this.scheduled || !this.ready) return
    this.scheduled = true
    queueMicrotask(this.drainFn)
  }

  /** Supervised actors pause delivery while failed (in Exception), until their supervisor decides. */
  private get suspended(): boolean {
    return this.supervised && this.mach.is('Exception')
  }

  /** Clears the failure and delivers again (the supervisor's `resume` directive). */
  resume(): void {
    this.mach.remove('Exception')
    this.schedule()
  }

  private drain(): void {
    this.scheduled = false
    let budget = BATCH
    while (this.ready && this.inFlight < this.concurrency && budget-- > 0 && !this.suspended) {
      const env = this.mailbox.take()
      if (!env) return
      this.deliver(env)
    }
    if (this.ready && this.mailbox.size > 0 && this.inFlight < this.concurrency && !this.suspended) {
      this.scheduled = true
      setImmediate(this.drainFn)
    }
  }

  private deliver(env: Envelope): void {
    const cur = this.run(env.msg, env.args)
    if (cur.threw) return this.settle(env, false, cur.error)
    if (!cur.handled) {
      // No final handler ran: executed without one (the reply is undefined), or the transition was canceled.
      if (cur.added === Result.Executed) return this.settle(env, true, undefined)
      if (!env.reply) this.host.deadLetter(this.id, env, 'rejected')
      return this.settle(env, false, new MessageRejectedError(this.id, env.msg))
    }
    const res = cur.result
    if (!isThenable(res)) return this.settle(env, true, res)
    this.inFlight++
    res.then(
      (v) => this.asyncDone(env, true, v),
      (err: unknown) => this.asyncDone(env, false, err),
    )
  }

  /** Adds the message state; `this.cur` holds what its final handler returned (read it before the next run). */
  private run(msg: string, args: Args | undefined): Current {
    const cur = this.cur
    let name = STATE_NAMES.get(msg)
    if (name === undefined) STATE_NAMES.set(msg, (name = `${msg}State`))
    cur.name = name
    cur.added = Result.Canceled
    cur.handled = false
    cur.result = undefined
    cur.threw = false
    cur.error = undefined
    try {
      cur.added = this.mach.add(msg, args)
    } finally {
      cur.name = null
    }
    return cur
  }

  private asyncDone(env: Envelope, ok: boolean, value: unknown): void {
    this.inFlight--
    this.settle(env, ok, value)
    if (this.inFlight === 0 && this.idle) {
      const idle = this.idle
      this.idle = null
      idle()
    }
    this.schedule()
  }

  private settle(env: Envelope, ok: boolean, value: unknown): void {
    this.processed++
    if (!ok) this.failed++
    reply(env, ok, value)
  }

  private startFailed(err: unknown): Promise<void> {
    if (!this.mach.disposed) this.mach.addErrState('ErrStart', err)
    if (this.supervised) return Promise.resolve()
    return this.stop('failed', 0, err)
  }

  private dropped(env: Envelope, reason: DropReason): void {
    this.host.deadLetter(this.id, env, `dropped:${reason}`)
    reply(env, false, new MessageDroppedError(this.id, env.msg, reason))
  }

  private terminated(env: Envelope, reason: DeadLetterReason): void {
    this.host.deadLetter(this.id, env, reason)
    reply(env, false, new ActorTerminatedError(this.id, env.msg))
  }

  checkMessage(msg: string): void {
    if (this.messages.has(msg)) return
    const detail = !this.mach.has(msg)
      ? 'is not a state of this actor'
      : 'is not a message: messages are the multi states outside the actor lifecycle'
    throw new UnknownMessageError(this.id, String(msg), detail)
  }
}

const messageSets = new WeakMap<Schema<string>, ReadonlySet<string>>()

/** The message names of a (merged) actor schema, computed once per schema. */
export function messageStates(schema: Schema<string>): ReadonlySet<string> {
  let set = messageSets.get(schema)
  if (!set) messageSets.set(schema, (set = new Set(schema.names.filter((n) => schema.states[n]?.multi && !ACTOR_STATES.has(n)))))
  return set
}

/** A saved snapshot with the lifecycle states (and errors) made inactive: a new incarnation starts them afresh. */
function withoutLifecycle(snap: Snapshot): Snapshot {
  const time = snap.time.map((t, i) => (ACTOR_STATES.has(snap.names[i] as string) && t % 2 === 1 ? t + 1 : t))
  return { ...snap, time }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function'
}


