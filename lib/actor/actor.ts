/**
 * One actor: a machine whose multi states are its messages, a bounded mailbox, and a delivery loop that hands the
 * machine one message at a time (or `concurrency` at a time, counting the async part of handlers).
 */
import { InvalidArgumentError, Machine, Result, type Args, type Schema } from '../machine/index.js'
import { cancelLater, later, safeString, type Later } from '../machine/internals.js'
import { messageStates, withoutLifecycle } from './actor-schema-merge.js'
import { ask } from './ask.js'
import { blockingSend } from './block.js'
import { checkArgs } from './check.js'
import {
  ActorFailedError, ActorTerminatedError, HandlerTimeoutError, MailboxFullError, MessageDroppedError, MessageRejectedError,
  UnknownMessageError, asError,
} from './errors.js'
import { NO_MAIL, cancel, cancelled, finished, reply, toldEnvelope, type Envelope } from './envelope.js'
import { Mailbox, type DropReason, type OverflowPolicy } from './mailbox.js'
import { Timers } from './timers.js'
import type { AskOptions, DeadLetterReason, StopInfo } from './types.js'
import { ActorRefImpl } from './ref.js'
import { PER_DRAIN, nextTurn, spend } from './turns.js'
import { wrapHandlers } from './wrap.js'
import { Delivery } from './delivery.js'
import { checkActorOptions, type ActorOptions } from './actor-options.js'
import type { ActorHost } from './host.js'

export type { ActorOptions } from './actor-options.js'
export type { ActorHost, DeadLetterSink } from './host.js'

const RESOLVED: Promise<void> = Promise.resolve()
/** The last message name that passed `checkMessage` and the message set it passed (see there). */
const lastChecked: { msg: unknown; set: ReadonlySet<string> | null } = { msg: undefined, set: null }

/** One actor; its type parameters only type its ref (messages, handlers, mailbox policy, states). */
export class Actor<M extends string = string, H = unknown, P extends OverflowPolicy = OverflowPolicy, N extends string = M> {
  readonly id: string
  readonly mach: Machine<string>
  readonly mailbox: Mailbox
  readonly ref: ActorRefImpl<M, H, P, N>
  processed = 0
  /** Messages whose handling failed: the handler threw or rejected, or the actor refused the message. */
  failed = 0
  inFlight = 0
  /** After a stop for restart: the messages still queued, for the next incarnation. */
  leftover: readonly Envelope[] = NO_MAIL
  stopInfo: StopInfo | null = null
  /** Who waits for the stop (`system.watch`), made on first use. */
  private watchers: Array<(info: StopInfo) => void> | null = null

  private readonly messages: ReadonlySet<string>
  private readonly supervised: boolean
  private readonly concurrency: number
  private scheduled = false
  private ready = false
  private stopping = false
  /** What the handler of the message being delivered did (read it before the next delivery). */
  readonly cur: Delivery
  /**
   * Messages whose async handler is still running, with their `handlerTimeout` timer (made on first use): a stop
   * cancels them and fails their asks.
   */
  private running: Map<Envelope, Later> | null = null
  private readonly handlerTimeout: number | undefined
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
    this.cur = new Delivery(opts.id)
    const where = `actor ${opts.id}: spawn()`
    const { concurrency, handlerTimeout } = checkActorOptions(where, opts)
    this.concurrency = concurrency
    this.handlerTimeout = handlerTimeout
    this.supervised = opts.supervised ?? false
    this.messages = messageStates(schema)
    this.mailbox = new Mailbox(opts.mailbox ?? {}, (env, reason) => this.dropped(env, reason), where)
    if (opts.preload) this.mailbox.restore(opts.preload)
    this.ref = new ActorRefImpl<M, H, P, N>(this)
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

  /**
   * Adds Start, waits for an async `StartState`, then adds Ready and starts delivering. Never rejects: a failed start
   * is the actor's `ErrStart` (and its stop, unless supervised).
   */
  async start(): Promise<void> {
    try {
      const cur = this.run('Start', undefined, null)
      if (cur.threw) return await this.startFailed(cur.error)
      if (cur.added !== Result.Executed) {
        return await this.startFailed(new ActorFailedError(this.id, 'Start', 'was canceled (a negotiation handler or relation refused it)'))
      }
      await (cur.async ? cur.result : RESOLVED)
      if (this.stopping) return
      this.mach.add('Ready')
      this.ready = true
      this.schedule()
    } catch (err) {
      if (!this.stopping) await this.startFailed(asError(this.id, 'Start', err)).catch(() => undefined)
    }
  }

  tell(msg: string, args: Args | undefined, opts?: AskOptions): void | Promise<void> {
    this.checkMessage(msg)
    checkArgs(this.id, 'tell', args)
    return this.enqueue(toldEnvelope(this.id, msg, args, opts), opts)
  }

  /** A timer's message: never waits and never throws; one the mailbox refuses becomes a dead letter. */
  private tellFromTimer(msg: string, args: Args | undefined): void {
    const env: Envelope = { msg, args, reply: undefined }
    if (this.stopping) return this.terminated(env, 'stopped')
    let r
    try {
      r = this.mailbox.offer(env)
    } catch {
      r = 'full' // a `red` mailbox's own random() threw: there is no caller to tell, so the message is refused
    }
    if (r === 'accepted') this.schedule()
    else if (r === 'full') this.host.deadLetter(this.id, env, 'rejected')
  }

  ask(msg: string, args: Args | undefined, opts?: AskOptions): Promise<unknown> {
    this.checkMessage(msg)
    return ask(this, msg, args, opts)
  }

  /**
   * Aborted when the actor stops: the signal message handlers get (re-entering a message state does not abort it).
   * Made on first use; made aborted when the actor is already stopping.
   */
  get signal(): AbortSignal {
    if (this.life === null) {
      this.life = new AbortController()
      if (this.stopping) this.life.abort(new ActorTerminatedError(this.id))
    }
    return this.life.signal
  }

  /** Whether new messages still go into this incarnation's mailbox (not stopping or stopped). */
  get accepting(): boolean {
    return !this.stopping
  }

  /** This actor's timers (closed once it stops: a timer started then never fires). */
  get timers(): Timers {
    if (this.timersObj === null) {
      this.timersObj = new Timers(this.id, (msg) => this.checkMessage(msg), (msg, args) => this.tellFromTimer(msg, args))
      if (this.stopping) this.timersObj.close()
    }
    return this.timersObj
  }

  /**
   * Stops delivering, waits for in-flight handlers (up to `timeout` ms; `Infinity`: as long as they run), drains the
   * mailbox to dead letters. Asks whose handler still runs then fail with `ActorTerminatedError`.
   */
  stop(reason: StopInfo['reason'], timeout: number, error?: unknown): Promise<void> {
    return (this.stopPromise ??= this.doStop(reason, timeout, error))
  }

  private async doStop(reason: StopInfo['reason'], timeout: number, error: unknown): Promise<void> {
    this.stopping = true
    this.ready = false
    this.timersObj?.close()
    this.life?.abort(new ActorTerminatedError(this.id))
    if (this.running) for (const env of this.running.keys()) cancel(env, new ActorTerminatedError(this.id, env.msg))
    this.lifecycle('Stopping')
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = later(timeout, resolve)
        this.idle = () => (cancelLater(t), resolve())
      })
    }
    // Handlers that outlived the timeout (or ignore e.signal) do not keep their askers waiting.
    if (this.running) for (const env of this.running.keys()) reply(env, false, new ActorTerminatedError(this.id, env.msg))
    // A restart keeps the mailbox for the next incarnation; any other stop drains it to dead letters.
    if (reason === 'restart') this.leftover = this.mailbox.drain()
    else for (const env of this.mailbox.drain()) this.terminated(env, reason === 'shutdown' ? 'drained' : 'stopped')
    this.mailbox.wakeAll()
    this.lifecycle('Stopped')
    const info: StopInfo = { actorId: this.id, reason, ...(error !== undefined && { error }) }
    this.stopInfo = info
    this.host.stopped(this, info)
    const watchers = this.watchers ?? []
    this.watchers = null
    for (const w of watchers) w(info)
    this.mach.dispose()
  }

  /** Resolves with how the actor ended, when it stops (at once if it already has). */
  whenStopped(): Promise<StopInfo> {
    if (this.stopInfo) return Promise.resolve(this.stopInfo)
    return new Promise((resolve) => (this.watchers ??= []).push(resolve))
  }

  get stopped(): boolean {
    return this.stopInfo !== null
  }

  /**
   * Adds a lifecycle state during a stop, unless the machine is disposed already (a user may dispose `ref.machine`):
   * the stop must still drain the mailbox, settle the asks and report the actor stopped.
   */
  private lifecycle(state: 'Stopping' | 'Stopped'): void {
    if (this.mach.disposed) return
    try {
      this.mach.add(state)
    } catch (err) {
      this.mach.log(`[actor] adding ${state} threw: ${safeString(err)}`)
    }
  }

  // --- delivery ---------------------------------------------------------------------------------------------

  /**
   * Offers an envelope to the mailbox (policy applied); for supervised refs that forward to this incarnation. A
   * `block` mailbox always gives a Promise: resolved when queued, rejected with `ActorTerminatedError` when the actor
   * is stopping (the message is then a dead letter).
   */
  enqueue(env: Envelope, opts: AskOptions | undefined): void | Promise<void> {
    const block = this.mailbox.overflow === 'block'
    if (this.stopping) {
      this.terminated(env, 'stopped')
      return block ? Promise.reject(new ActorTerminatedError(this.id, env.msg)) : undefined
    }
    const r = this.mailbox.offer(env)
    if (r === 'accepted') {
      this.schedule()
      return block ? RESOLVED : undefined
    }
    if (r === 'dropped') return
    if (!block) throw new MailboxFullError(this.id, env.msg, this.mailbox.capacity)
    return blockingSend(this, env, opts)
  }

  /** Arranges a drain: in a microtask, or in a macrotask once this turn's delivery budget is spent (turns.ts). */
  schedule(): void {
    if (this.scheduled || !this.ready) return
    this.scheduled = true
    nextTurn(this.drainFn)
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

  /**
   * Delivers queued messages while the actor may take more, up to `PER_DRAIN` per call. `scheduled` stays true
   * meanwhile, so messages told by the handlers are taken by this loop rather than by a new microtask.
   */
  private drain(): void {
    let n = PER_DRAIN
    while (this.ready && this.inFlight < this.concurrency && !this.suspended) {
      const env = this.mailbox.take()
      if (!env) break
      if ((env.ctl !== undefined || env.deadline !== undefined) && cancelled(env)) {
        this.host.deadLetter(this.id, env, 'cancelled') // its ask gave up, or its deadline passed: not delivered
        continue
      }
      spend()
      try {
        this.deliver(env)
      } catch (err) {
        this.settle(env, false, err) // not the handler (run() catches that): reporting it threw, e.g. a dead letter
      }
      if (--n === 0) {
        nextTurn(this.drainFn) // more may be queued: after the other actors' turn
        return
      }
    }
    this.scheduled = false
  }

  private deliver(env: Envelope): void {
    const cur = this.run(env.msg, env.args, env)
    if (cur.threw) return this.settle(env, false, cur.error)
    if (!cur.handled) {
      // No final handler ran: executed without one (the reply is undefined), or the transition was canceled.
      if (cur.added === Result.Executed) return this.settle(env, true, undefined)
      // a machine disposed under the actor (by its user) takes nothing more: as if the actor had stopped
      const gone = this.mach.disposed
      if (!env.reply) this.host.deadLetter(this.id, env, gone ? 'stopped' : 'rejected')
      return this.settle(env, false, gone ? new ActorTerminatedError(this.id, env.msg) : new MessageRejectedError(this.id, env.msg))
    }
    if (!cur.async) return this.settle(env, true, cur.result)
    this.inFlight++
    const ms = this.handlerTimeout
    ;(this.running ??= new Map()).set(env, ms === undefined ? undefined : later(ms, () => this.hung(env, ms)))
    ;(cur.result as Promise<unknown>).then(
      (v) => this.asyncDone(env, true, v),
      (err: unknown) => this.asyncDone(env, false, err),
    )
  }

  /**
   * Adds the message state; `this.cur` holds what its final handler returned (read it before the next run). A throw
   * out of `add` itself (not the handler's: the machine turns those into `Exception`) fails the message.
   */
  private run(msg: string, args: Args | undefined, env: Envelope | null): Delivery {
    const cur = this.cur
    cur.begin(msg, env)
    try {
      cur.added = this.mach.add(msg, args)
    } catch (err) {
      cur.addThrew(err)
    } finally {
      cur.name = null
      cur.env = null // handlers that need it later hold it in their event; an idle actor keeps no message
    }
    return cur
  }

  private asyncDone(env: Envelope, ok: boolean, value: unknown): void {
    const running = this.running
    if (running === null || !running.has(env)) return // settled already: its handler outlived handlerTimeout
    cancelLater(running.get(env))
    running.delete(env)
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
    finished(env)
    reply(env, ok, value)
  }

  /** The handler of `env` outlived `handlerTimeout`: the message fails, and the actor reports itself failed. */
  private hung(env: Envelope, ms: number): void {
    const err = new HandlerTimeoutError(this.id, env.msg, ms)
    cancel(env, err)
    this.asyncDone(env, false, err)
    if (!this.stopping && !this.mach.disposed) this.mach.addErr(err, { msg: env.msg })
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

  /** The message goes to dead letters and its ask fails with `ActorTerminatedError`. */
  terminated(env: Envelope, reason: DeadLetterReason): void {
    this.host.deadLetter(this.id, env, reason)
    reply(env, false, new ActorTerminatedError(this.id, env.msg))
  }

  checkMessage(msg: string): void {
    // A run of one message to actors of one schema (the common case) skips the Set; module-wide, not per actor.
    if (msg === lastChecked.msg && this.messages === lastChecked.set) return
    if (this.messages.has(msg)) {
      lastChecked.msg = msg
      lastChecked.set = this.messages
      return
    }
    if (typeof msg !== 'string') throw new InvalidArgumentError(`actor ${this.id}: tell()/ask()`, 'msg', 'a message name (string)', msg)
    const detail = !this.mach.has(msg)
      ? 'is not a state of this actor'
      : 'is not a message: messages are the multi states outside the actor lifecycle'
    throw new UnknownMessageError(this.id, msg, detail)
  }
}
