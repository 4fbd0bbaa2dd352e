/**
 * Actors across processes, transport-free half: the wire messages (msgpack), the serving side (`ActorEndpoint`: one
 * exposed ref, its in-flight asks and their cancellation) and the calling side (`RemoteActorRef`: timeouts, the
 * caller's signal, cancel messages, typed errors). `InProcessBus` and `NatsBus` only move the bytes.
 */
import { randomBytes } from 'node:crypto'
import { InvalidArgumentError, OutOfRangeError, TimeoutError, type Args } from '../machine/index.js'
import type { AskOptions, Ref, ReplyOf, TellOnlyRef } from '../actor/index.js'
import { localRef } from '../actor/ref.js'
import { decode, encode } from '../rpc/index.js'
import { ClusterError, RemoteActorError } from './errors.js'
import { outgoingMeta, received, type MessageMeta } from './trace.js'

/** Options of `bus.actor()`. */
export interface RemoteActorOptions {
  /** Timeout of an ask that gives none, ms (default: the bus's, 5000). Over a network no ask waits forever. */
  timeout?: number
}

/** The handle of an exposed actor. */
export interface ExposedActor {
  readonly name: string
  /** Asks being handled now. */
  readonly inFlight: number
  /** Stops taking messages under this name here; asks in flight have their message signal aborted. */
  close(): Promise<void>
}

/**
 * How a bus moves actor messages. `request` rejects with `ClusterError` (`ERR_CLUSTER_NOT_FOUND` at once when nobody
 * serves `name`). `meta` (the message id and the caller's trace context) goes beside the body: over NATS in headers
 * (trace.ts `writeMeta`), handed back to `ActorEndpoint.handle` on the other side (`readMeta`).
 */
export interface ActorTransport {
  request(name: string, body: Uint8Array, timeout: number, meta?: MessageMeta): Promise<Uint8Array>
  send(name: string, body: Uint8Array, meta?: MessageMeta): void
  cancel(name: string, id: string): void
}

/** An ask or tell on the wire: message id, message name, args, time left in ms (the receiver's own deadline). */
interface Request { k: 'ask' | 'tell'; i: string; m: string; a?: Args; t?: number }
type Reply = { ok: true; v: unknown } | { ok: false; n: string; c: string; e: string }

/** A cancel message's body: the id of the ask to cancel. */
export function encodeCancel(id: string): Uint8Array {
  return encode({ i: id })
}

/** The id in a cancel message, or undefined when it is not one. */
export function decodeCancel(body: Uint8Array): string | undefined {
  try {
    const v = decode(body) as { i?: unknown } | null
    return typeof v === 'object' && v !== null && typeof v.i === 'string' ? v.i : undefined
  } catch {
    return undefined
  }
}

function errorReply(err: unknown): Reply {
  let n = 'Error'; let c = ''; let e = 'an error that cannot be read'
  try { // a hostile error object: read each field under a guard
    e = typeof err === 'object' && err !== null ? '' : String(err)
    if (typeof err === 'object' && err !== null) {
      const o = err as { name?: unknown; code?: unknown; message?: unknown }
      if (typeof o.name === 'string') n = o.name
      if (typeof o.code === 'string') c = o.code
      if (typeof o.message === 'string') e = o.message
    }
  } catch { /* keep the defaults */ }
  return { ok: false, n, c, e }
}

/** Ask ids: unique across processes (a random prefix per process) without a random draw per ask. */
const PROCESS_ID = randomBytes(9).toString('base64url')
let asks = 0

/** How many cancels of asks not (yet) seen an endpoint remembers. */
const EARLY_CANCELS = 1024

/** Idle abort controllers an endpoint keeps for reuse. */
const SPARE_CONTROLLERS = 64

/** The serving side of one exposed ref: runs asks and tells from the wire, cancels asks by id. */
export class ActorEndpoint {
  readonly #inFlight = new Map<string, AbortController>()
  /** Cancels that came before their ask (bounded: oldest forgotten first), so such an ask is not run. */
  readonly #early = new Set<string>()
  /**
   * Controllers of settled asks that never aborted, reused: the first abort listener on a new AbortSignal costs Node
   * ~15 µs (more than the rest of a local ask), a listener on a used one ~1 µs. Only with this package's own refs,
   * whose asks remove their listener when they settle, so a reused signal carries nothing of an earlier ask.
   */
  readonly #spare: AbortController[] = []
  /** This package's actor ref: honours its ask's signal and leaves no listener on it. */
  readonly #own: boolean
  #closed = false

  constructor(readonly name: string, private readonly ref: Ref<string>) {
    this.#own = localRef(ref) !== undefined
  }

  get inFlight(): number {
    return this.#inFlight.size
  }

  /**
   * Handles one request; resolves to the reply bytes (undefined for a tell). Never rejects. With `meta` carrying a
   * trace context, the handling runs under the installed tracer's `receive` hook (trace.ts).
   */
  handle(body: Uint8Array, meta?: MessageMeta): Promise<Uint8Array | undefined> {
    let req: Request
    try {
      req = checkRequest(decode(body))
    } catch (err) {
      return Promise.resolve(encode(errorReply(new ClusterError('ERR_CLUSTER_PROTOCOL', `actor ${this.name}: a malformed request`, { cause: err }))))
    }
    if (meta?.trace === undefined) return this.#run(req)
    return received(req.k, this.name, req.m, meta, () => this.#run(req))
  }

  async #run(req: Request): Promise<Uint8Array | undefined> {
    if (req.k === 'tell') {
      try {
        await this.ref.tell(req.m, req.a, req.t === undefined ? undefined : { deadline: Date.now() + req.t })
      } catch { /* a tell has nobody to answer: the actor's dead letters say what was dropped */ }
      return undefined
    }
    const ctl = (this.#own ? this.#spare.pop() : undefined) ?? new AbortController()
    if (this.#early.size > 0 && this.#early.delete(req.i)) ctl.abort(new ClusterError('ERR_CLUSTER_CANCELLED', `actor ${this.name}: the asker gave up`))
    this.#inFlight.set(req.i, ctl)
    let reply: Reply
    try {
      if (this.#closed) throw new ClusterError('ERR_CLUSTER_CLOSED', `actor ${this.name} is no longer exposed here`)
      const asked = this.ref.ask(req.m, req.a, req.t === undefined ? { signal: ctl.signal } : { signal: ctl.signal, timeout: req.t })
      reply = { ok: true, v: await (this.#own ? asked : untilAborted(asked, ctl.signal)) }
    } catch (err) {
      reply = errorReply(err)
    } finally {
      this.#inFlight.delete(req.i)
      if (this.#own && !ctl.signal.aborted && this.#spare.length < SPARE_CONTROLLERS) this.#spare.push(ctl)
    }
    try {
      return encode(reply)
    } catch (err) {
      return encode(errorReply(new ClusterError('ERR_CLUSTER_PROTOCOL', `actor ${this.name}: the reply to ${req.m} is not msgpack data`, { cause: err })))
    }
  }

  /** Cancels the ask `id` if it runs here: its message's signal aborts (its handler sees `e.signal` abort). */
  cancel(id: string): void {
    const ctl = this.#inFlight.get(id)
    if (ctl) {
      ctl.abort(new ClusterError('ERR_CLUSTER_CANCELLED', `actor ${this.name}: the asker gave up`))
      return
    }
    this.#early.add(id)
    if (this.#early.size > EARLY_CANCELS) this.#early.delete(this.#early.values().next().value as string)
  }

  close(): void {
    this.#closed = true
    for (const ctl of this.#inFlight.values()) ctl.abort(new ClusterError('ERR_CLUSTER_CLOSED', `actor ${this.name} is no longer exposed here`))
  }
}

/**
 * `value` awaited, or `signal`'s reason once it aborts: a ref whose ask ignores its signal (not an actor of ours)
 * still lets go of the message when its asker gives up or the exposure closes.
 */
function untilAborted<T>(value: T | PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    Promise.resolve(value).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function checkRequest(v: unknown): Request {
  if (typeof v !== 'object' || v === null) throw new Error('not an object')
  const r = v as Record<string, unknown>
  if ((r.k !== 'ask' && r.k !== 'tell') || typeof r.i !== 'string' || typeof r.m !== 'string') throw new Error('bad fields')
  if (r.a !== undefined && (typeof r.a !== 'object' || r.a === null)) throw new Error('bad args')
  if (r.t !== undefined && (typeof r.t !== 'number' || !(r.t >= 0))) throw new Error('bad time')
  return r as unknown as Request
}

/**
 * A ref to an actor exposed on the bus under `name`, by any process: `tell` and `ask` as with a local ref. Args,
 * replies and errors cross as msgpack; an error thrown by the remote handler rejects the ask with a
 * `RemoteActorError` (`ERR_CLUSTER_REMOTE`, the original `remoteName`, `remoteCode` and message).
 */
export class RemoteActorRef<M extends string = string, H = unknown> implements Ref<M, H, 'drop-newest'> {
  constructor(readonly id: string, private readonly transport: ActorTransport, private readonly timeout: number) {}

  /**
   * Sends a message, at most once: nothing says whether a process took it (use `ask` for that). `opts.deadline`
   * travels with it (the receiver cancels the message once it passes).
   *
   * ```ts
   * bus.actor<'Log'>('audit').tell('Log', { line: 'started' })
   * ```
   */
  tell(msg: M, args?: Args, opts?: AskOptions): void {
    const where = `remote actor ${this.id}: tell()`
    const { timeout } = readOptions(where, msg, args, opts)
    const id = `${PROCESS_ID}${(++asks).toString(36)}`
    this.transport.send(this.id, encodeRequest(where, { k: 'tell', i: id, m: msg, ...(args !== undefined && { a: args }),
      ...(timeout !== undefined && { t: timeout }) }), outgoingMeta(id))
  }

  /**
   * Sends a message and resolves with the remote handler's reply. Bounded by `opts.timeout` / `opts.deadline`
   * (default: the ref's timeout) and `opts.signal`; giving up sends a cancel, so the remote message's signal aborts.
   * Nobody serving the name: rejects at once with `ERR_CLUSTER_NOT_FOUND`.
   *
   * ```ts
   * const total = await bus.actor<'Add'>('counter').ask('Add', { n: 2 }, { timeout: 1000 })
   * ```
   */
  ask<K extends M>(msg: K, args?: Args, opts?: AskOptions): Promise<ReplyOf<H, K>> {
    const where = `remote actor ${this.id}: ask()`
    let body: Uint8Array; let timeout: number; let signal: AbortSignal | undefined; const id = `${PROCESS_ID}${(++asks).toString(36)}`
    try {
      const o = readOptions(where, msg, args, opts)
      timeout = o.timeout ?? this.timeout
      signal = o.signal
      body = encodeRequest(where, { k: 'ask', i: id, m: msg, ...(args !== undefined && { a: args }), t: timeout })
    } catch (err) {
      return Promise.reject(err as Error)
    }
    if (signal?.aborted) return Promise.reject(signal.reason as Error)
    return new Promise<ReplyOf<H, K>>((resolve, reject) => {
      let done = false
      const finish = (): boolean => {
        if (done) return false
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        return true
      }
      const giveUp = (err: unknown): void => {
        if (!finish()) return
        reject(err as Error)
        this.transport.cancel(this.id, id)
      }
      const onAbort = (): void => giveUp(signal?.reason)
      const timer = setTimeout(() => giveUp(new TimeoutError(this.id, `ask(${msg})`, timeout)), timeout)
      signal?.addEventListener('abort', onAbort, { once: true })
      // the transport's own deadline is a little later: the timer above decides, and sends the cancel
      let requested: Promise<Uint8Array>
      try {
        requested = this.transport.request(this.id, body, timeout + 1000, outgoingMeta(id))
      } catch (err) {
        // refused at once (a keyed set closed or full): nothing was sent, so no timer, listener or cancel is left
        if (finish()) reject(err as Error)
        return
      }
      requested.then((bytes) => {
        if (!finish()) return
        try {
          const r = decode(bytes) as Partial<Reply> & Record<string, unknown>
          if (r.ok === true) resolve(r.v as ReplyOf<H, K>)
          else if (r.ok === false) reject(new RemoteActorError(this.id, String(r.n), String(r.c), String(r.e)))
          else throw new Error('no ok field')
        } catch (err) {
          reject(new ClusterError('ERR_CLUSTER_PROTOCOL', `remote actor ${this.id}: a malformed reply`, { cause: err }))
        }
      }, (err: unknown) => {
        if (finish()) reject(err as Error)
      })
    })
  }

  tellOnly(): TellOnlyRef<M, 'drop-newest'> {
    return Object.freeze({ id: this.id, tell: (msg: M, args?: Args, opts?: AskOptions) => this.tell(msg, args, opts) })
  }
}

function encodeRequest(where: string, req: Request): Uint8Array {
  try {
    return encode(req)
  } catch (err) {
    throw Object.assign(new InvalidArgumentError(where, 'args', 'msgpack data', req.a), { cause: err })
  }
}

/** Checks a message and its options; the time left, from `timeout` and `deadline`. */
function readOptions(where: string, msg: unknown, args: unknown, opts: AskOptions | undefined):
  { timeout: number | undefined; signal: AbortSignal | undefined } {
  if (typeof msg !== 'string' || msg === '') throw new InvalidArgumentError(where, 'msg', 'a message name', msg)
  if (args !== undefined && (typeof args !== 'object' || args === null)) throw new InvalidArgumentError(where, 'args', 'an object', args)
  if (opts === undefined) return { timeout: undefined, signal: undefined }
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'opts', 'an object', opts)
  const { timeout, deadline, signal } = opts
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout))) throw new InvalidArgumentError(where, 'timeout', 'ms', timeout)
  if (timeout !== undefined && timeout < 0) throw new OutOfRangeError(where, 'timeout', 'ms ≥ 0', timeout)
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline))) throw new InvalidArgumentError(where, 'deadline', 'a Date.now() time', deadline)
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError(where, 'signal', 'an AbortSignal', signal)
  let left = timeout
  if (deadline !== undefined) left = Math.max(0, Math.min(left ?? Infinity, deadline - Date.now()))
  return { timeout: left === undefined ? undefined : Math.min(left, 2_147_483_647), signal } // setTimeout's longest delay
}

/** Checks `bus.actor()` / `bus.exposeActor()` arguments. */
export function checkActorName(name: unknown, where: string): string {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(where, 'name', 'a non-empty string', name)
  return name
}

export function checkRef(ref: unknown, where: string): Ref<string> {
  if (typeof ref !== 'object' || ref === null || typeof (ref as Ref).ask !== 'function' || typeof (ref as Ref).tell !== 'function') {
    throw new InvalidArgumentError(where, 'ref', 'an actor ref (ask and tell)', ref)
  }
  return ref as Ref<string>
}

export function checkActorOptions(opts: RemoteActorOptions | undefined, dflt: number): number {
  const where = 'bus.actor()'
  if (opts === undefined) return dflt
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'opts', 'an object', opts)
  const t = opts.timeout
  if (t === undefined) return dflt
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 1) throw new InvalidArgumentError(where, 'timeout', 'a number of ms ≥ 1', t)
  return t
}
