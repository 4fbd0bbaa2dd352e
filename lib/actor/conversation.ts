/**
 * Conversations (an idea from the liminal library): a supervised exchange with linked participants, five phases as states, an
 * append-only context log, and a crash policy that says what a participant crash means for the exchange.
 */
import { randomUUID } from 'node:crypto'
import { InvalidArgumentError, Machine, TimeoutError, type Args, type Schema } from '../machine/index.js'
import { onActivity } from '../machine/internals.js'
import { ConversationSchema, type ConversationStateNames } from './conversation.schema.js'
import { DEFAULT_TIMEOUT } from './check.js'
import { ConversationStateError, ParticipantCrashedError } from './errors.js'
import { cancelLater, later, type Later } from '../machine/internals.js'
import {
  checkFunction, checkId, checkMs, checkOneOf, checkSystem, isObject, readOptions,
} from './supervision-check.js'
import type { ActorSystem } from './system.js'
import type { AskOptions } from './types.js'

/** Anything that answers asks and has a machine to watch: an actor ref, a supervised ref. */
export interface Participant {
  readonly id: string
  readonly machine: Machine<string>
  ask(msg: string, args?: Args, opts?: AskOptions): Promise<unknown>
}

/** What a participant crash does: fail the conversation, re-send its in-flight requests, or compensate and fail. */
export type CrashPolicy = 'fail' | 'route-to-next' | 'compensate'

export interface ConversationOptions {
  id?: string
  participants: readonly Participant[]
  /** Required: there is no safe default for what a crash means. */
  onCrash: CrashPolicy
  /** For `compensate`: undo what the conversation did, then it fails. */
  compensate?: (ctx: { conversation: Conversation; participant: string; error: unknown }) => void | Promise<void>
  /** Overall deadline in ms: past it the conversation fails with a TimeoutError. */
  timeout?: number
  /** Shared by a conversation and its children (`child()`); default: a fresh one. */
  traceId?: string
}

export type ConversationEntry =
  | { kind: 'sent'; id: number; msg: string; args: Args | undefined; to: string; at: number }
  | { kind: 'received'; id: number; from: string; value: unknown; at: number }
  | { kind: 'participant-crashed'; participant: string; policy: CrashPolicy; error: unknown; at: number }

interface Request {
  readonly id: number
  readonly msg: string
  readonly args: Args | undefined
  /** Participant index of the current attempt; a reply from an older attempt is ignored. */
  to: number
  attempt: number
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

export class Conversation {
  readonly machine: Machine<ConversationStateNames>
  readonly id: string
  readonly traceId: string
  readonly spanId = randomUUID().slice(0, 16)
  /** Append-only: sent, received, participant-crashed. */
  readonly log: ConversationEntry[] = []

  private readonly participants: readonly Participant[]
  private readonly dead = new Map<string, { at: number; error: unknown }>()
  private readonly exitWaiters = new Map<string, Array<(exit: { at: number; error: unknown }) => void>>()
  private readonly inFlight = new Map<number, Request>()
  private readonly inbox: Outcome[] = []
  private readonly receivers: Array<(o: Outcome) => void> = []
  private readonly unsubscribe: Array<() => void> = []
  private nextId = 0
  private cursor = 0
  private deadline: Later
  private readonly opts: ConversationOptions

  constructor(
    readonly system: ActorSystem,
    options: ConversationOptions,
  ) {
    const where = 'new Conversation()'
    checkSystem(where, system)
    const opts = (this.opts = readOptions(where, 'options', options))
    checkOneOf(where, 'options.onCrash', opts.onCrash, ['fail', 'route-to-next', 'compensate'], false)
    checkFunction(where, 'options.compensate', opts.compensate, opts.onCrash !== 'compensate')
    this.participants = checkParticipants(where, opts.participants)
    checkMs(where, 'options.timeout', opts.timeout, { infinite: true })
    if (opts.id !== undefined) checkId(where, 'options.id', opts.id)
    if (opts.traceId !== undefined) checkId(where, 'options.traceId', opts.traceId)
    this.id = opts.id ?? `conv-${randomUUID().slice(0, 8)}`
    this.traceId = opts.traceId ?? randomUUID().replaceAll('-', '')
    this.machine = new Machine(ConversationSchema, { id: this.id, parent: system.machine, tags: ['conversation'] })
    this.machine.add('Created')
    for (const p of this.participants) this.link(p)
    if (opts.timeout !== undefined) {
      this.deadline = later(opts.timeout, () => void this.fail(new TimeoutError(this.id, 'conversation', opts.timeout as number)))
    }
  }

  /** The current phase. */
  get phase(): 'Created' | 'Active' | 'Completing' | 'Closed' | 'Failed' {
    for (const p of ['Created', 'Active', 'Completing', 'Closed', 'Failed'] as const) if (this.machine.is(p)) return p
    return 'Failed'
  }

  /** Created → Active (idempotent while Active). */
  activate(): void {
    const phase = this.phase
    if (phase === 'Active') return
    if (phase !== 'Created') throw new ConversationStateError(this.id, phase, 'activate')
    this.machine.add('Active')
  }

  /** Sends a request to the current participant; its reply (or error) is what the next `receive()` returns. */
  send(msg: string, args?: Args): void {
    checkId(`conversation ${this.id}: send()`, 'msg', msg)
    if (args !== undefined && !isObject(args)) throw new InvalidArgumentError(`conversation ${this.id}: send()`, 'args', 'an object or undefined', args)
    if (this.phase === 'Created') this.activate()
    if (this.phase !== 'Active') throw new ConversationStateError(this.id, this.phase, `send '${msg}'`)
    const req: Request = { id: ++this.nextId, msg, args, to: -1, attempt: 0 }
    this.inFlight.set(req.id, req)
    this.dispatch(req)
  }

  /** The next reply, in arrival order; rejects with the reply's error, a crash, or `TimeoutError`. */
  receive(opts: { timeout?: number } = {}): Promise<unknown> {
    const where = `conversation ${this.id}: receive()`
    if (!isObject(opts)) throw new InvalidArgumentError(where, 'options', 'an object { timeout? }', opts)
    const timeout = opts.timeout
    checkMs(where, 'options.timeout', timeout, { infinite: true })
    const ready = this.inbox.shift()
    if (ready) return ready.ok ? Promise.resolve(ready.value) : Promise.reject(ready.error as Error)
    if (this.phase === 'Failed' || this.phase === 'Closed') {
      return Promise.reject(new ConversationStateError(this.id, this.phase, 'receive'))
    }
    return new Promise((resolve, reject) => {
      let timer: Later
      const take = (o: Outcome): void => {
        cancelLater(timer)
        if (o.ok) resolve(o.value)
        else reject(o.error as Error)
      }
      this.receivers.push(take)
      if (timeout !== undefined) {
        timer = later(timeout, () => {
          const i = this.receivers.indexOf(take)
          if (i >= 0) this.receivers.splice(i, 1)
          reject(new TimeoutError(this.id, 'receive()', timeout))
        })
      }
    })
  }

  /** Active → Completing → Closed. Pending receives fail; a failed conversation cannot close. */
  close(): void {
    const phase = this.phase
    if (phase === 'Closed') return
    if (phase === 'Failed') throw new ConversationStateError(this.id, phase, 'close')
    this.machine.add('Completing')
    this.finish(new ConversationStateError(this.id, 'Closed', 'receive'))
    this.machine.add('Closed')
  }

  /** Fails the conversation (from any phase but Closed): pending receives reject with `error`. */
  fail(error: unknown): void {
    if (this.phase === 'Failed' || this.phase === 'Closed') return
    this.machine.addErrState('Failed', error)
    this.finish(error)
  }

  /** Resolves when participant `id` crashes; at once (replayed) if it already has. */
  whenParticipantExits(id: string): Promise<{ at: number; error: unknown }> {
    if (!this.participants.some((p) => p.id === id)) {
      return Promise.reject(new InvalidArgumentError(`conversation ${this.id}: whenParticipantExits()`, 'id', 'the id of a participant', id))
    }
    const exit = this.dead.get(id)
    if (exit) return Promise.resolve(exit)
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(id) ?? []
      list.push(resolve)
      this.exitWaiters.set(id, list)
    })
  }

  /** A child conversation sharing this one's trace id. */
  child(opts: Omit<ConversationOptions, 'traceId'>): Conversation {
    return new Conversation(this.system, { ...readOptions(`conversation ${this.id}: child()`, 'options', opts), traceId: this.traceId })
  }

  // --- internals -----------------------------------------------------------------------------------------------

  private dispatch(req: Request): void {
    const to = this.nextAlive(req.to)
    if (to < 0) {
      this.fail(new ParticipantCrashedError(this.id, this.participants[req.to]?.id ?? '?'))
      return
    }
    const p = this.participants[to] as Participant
    req.to = to
    const attempt = ++req.attempt
    this.log.push({ kind: 'sent', id: req.id, msg: req.msg, args: req.args, to: p.id, at: Date.now() })
    this.machine.add('Sent', { id: req.id, msg: req.msg, to: p.id })
    let reply: Promise<unknown>
    try {
      reply = Promise.resolve(p.ask(req.msg, req.args)) // a re-send runs in a microtask: a throw must not escape
    } catch (err) {
      reply = Promise.reject(err as Error)
    }
    reply.then(
      (value) => this.replied(req, attempt, { ok: true, value }),
      (error: unknown) => {
        // A crash of the participant is handled by its policy (the request may be re-sent); other errors are replies.
        if (this.dead.has(p.id) || p.machine.is('Exception')) this.crashed(p, error)
        else this.replied(req, attempt, { ok: false, error })
      },
    )
  }

  private replied(req: Request, attempt: number, o: Outcome): void {
    if (req.attempt !== attempt || !this.inFlight.has(req.id)) return
    this.inFlight.delete(req.id)
    const from = this.participants[req.to]?.id ?? '?'
    this.log.push({ kind: 'received', id: req.id, from, value: o.ok ? o.value : o.error, at: Date.now() })
    if (this.phase === 'Failed' || this.phase === 'Closed') return
    this.machine.add('Received', { id: req.id, from })
    const r = this.receivers.shift()
    if (r) r(o)
    else this.inbox.push(o)
  }

  private crashed(p: Participant, error: unknown): void {
    if (this.dead.has(p.id)) return
    const exit = { at: Date.now(), error }
    this.dead.set(p.id, exit)
    const policy = this.opts.onCrash
    this.log.push({ kind: 'participant-crashed', participant: p.id, policy, error, at: exit.at })
    this.machine.add('ParticipantCrashed', { participant: p.id, policy })
    for (const w of this.exitWaiters.get(p.id) ?? []) w(exit)
    this.exitWaiters.delete(p.id)
    if (this.phase === 'Failed' || this.phase === 'Closed') return
    const crash = new ParticipantCrashedError(this.id, p.id, { cause: error })
    if (policy === 'fail') return this.fail(crash)
    if (policy === 'compensate') {
      void Promise.resolve()
        .then(() => this.opts.compensate?.({ conversation: this, participant: p.id, error }))
        .then(() => this.fail(crash), (err: unknown) => this.fail(err))
      return
    }
    const index = this.participants.indexOf(p)
    for (const req of this.inFlight.values()) if (req.to === index) this.dispatch(req)
  }

  /** The next participant not known dead, starting after `from` (cyclic); -1 when all crashed. */
  private nextAlive(from: number): number {
    const n = this.participants.length
    const start = from < 0 ? this.cursor++ % n : from + 1
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n
      if (!this.dead.has((this.participants[i] as Participant).id)) return i
    }
    return -1
  }

  private link(p: Participant): void {
    this.unsubscribe.push(onActivity(p.machine, 'Exception', (active) => {
      if (active) queueMicrotask(() => this.crashed(p, p.machine.err))
    }))
  }

  private finish(error: unknown): void {
    cancelLater(this.deadline)
    for (const u of this.unsubscribe.splice(0)) u()
    this.inFlight.clear()
    for (const r of this.receivers.splice(0)) r({ ok: false, error })
  }
}

/**
 * One request, one reply: spawns a participant from `behaviour`, asks it within a conversation (crash policy
 * `fail`), closes the conversation and stops the participant.
 */
export async function conversationAsk(
  system: ActorSystem,
  behaviour: { schema: Schema<string>; handlers: object },
  request: { msg: string; args?: Args },
  opts: { timeout?: number } = {},
): Promise<unknown> {
  const where = 'conversationAsk()'
  checkSystem(where, system)
  if (!isObject(behaviour)) throw new InvalidArgumentError(where, 'behaviour', 'an object { schema, handlers }', behaviour)
  if (!isObject(request)) throw new InvalidArgumentError(where, 'request', 'an object { msg, args? }', request)
  checkId(where, 'request.msg', request.msg)
  if (!isObject(opts)) throw new InvalidArgumentError(where, 'options', 'an object { timeout? }', opts)
  checkMs(where, 'options.timeout', opts.timeout, { infinite: true })
  const actor = system.spawnActor(behaviour.schema, behaviour.handlers, { id: `ask-${randomUUID().slice(0, 8)}` })
  const conv = new Conversation(system, { participants: [actor.ref], onCrash: 'fail' })
  try {
    conv.send(request.msg, request.args)
    return await conv.receive({ timeout: opts.timeout ?? DEFAULT_TIMEOUT })
  } finally {
    if (conv.phase !== 'Failed') conv.close()
    await system.stop(actor.ref)
  }
}

/** A non-empty array of participants (each with an id, a machine and `ask`), copied. */
function checkParticipants(where: string, list: unknown): readonly Participant[] {
  const expected = 'a non-empty array of actor refs'
  if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError(where, 'options.participants', expected, list)
  const out = [...(list as unknown[])]
  out.forEach((p, i) => {
    if (!isObject(p) || typeof p.id !== 'string' || typeof p.ask !== 'function' || !isObject(p.machine)) {
      throw new InvalidArgumentError(where, `options.participants[${i}]`, 'an actor ref (id, machine, ask)', p)
    }
  })
  return out as Participant[]
}
