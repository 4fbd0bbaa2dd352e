/**
 * `RemoteMachine`: the mirror of a served machine. Reads and waiters are local (answered from the pushed clock);
 * mutations go to the source and resolve with its real result once the diff that made it is applied here.
 */
import { Subject, type Observable } from 'rxjs'
import {
  type Args, type HandlerError, type Machine, type Result, type Schema, type States, type WaitOptions,
} from '../machine/index.js'
import { errStateOf, type ClientStateNames } from './client.schema.js'
import { RpcError, type RpcErrorCode } from './errors.js'
import { checkWelcome, type Opened } from './handshake.js'
import { KeepAlive } from './keep-alive.js'
import { MirrorClock } from './mirror-clock.js'
import type { UpdateCause } from './mirror-handlers.js'
import { MirrorView } from './mirror-view.js'
import type { Link } from './link.js'
import { startReconnect, type Backoff, type ReconnectHost } from './reconnect.js'
import { Requests, type CallOptions } from './requests.js'
import { ArgWaiters } from './arg-waiters.js'
import { checkArgs, errorInfo } from './wire-values.js'
import { Msg, MutationKind, type Message } from './protocol.js'
import { askTraceHook, type RemoteTraceContext } from './trace-context.js'

/** What a mirror is built from (see `connect()`). */
export interface MirrorInit<N extends string> {
  client: Machine<ClientStateNames>
  /** The session `connect()` opened. */
  opened: Opened
  schema: Schema<N>
  mirror: Machine<N>
  timeout: number
  /** Ms between keep-alive pings; 0 = off. */
  keepAlive: number
  /** Reconnection settings, null when off. */
  reconnect: Backoff | null
  /** Opens a new session (dial + handshake), for reconnection. */
  redial: (() => Promise<Opened>) | null
  /** The `traceContext` hook of `connect()`, null when none. */
  traceContext: (() => RemoteTraceContext | undefined) | null
}

/**
 * A machine on the other side of a connection, with the machine's read, wait and mutate API.
 *
 * ```ts
 * const remote = await connect('tcp://127.0.0.1:7000')
 * await remote.add('Start')          // Result.Executed, decided by the source
 * await remote.when('Ready')         // resolved from pushed clocks, no round trip
 * remote.is('Ready')                 // true
 * await remote.close()
 * ```
 */
export class RemoteMachine<N extends string = string> extends MirrorView<N> {
  /** The client's own machine ({@link ClientSchema}). */
  readonly client: Machine<ClientStateNames>
  #link: Link
  readonly #timeout: number
  readonly #requests: Requests
  readonly #argWaiters: ArgWaiters
  readonly #pings: Requests
  readonly #traceContext: (() => RemoteTraceContext | undefined) | null
  /** Args of this client's mutations in flight, by request id (for the handlers of their replies). */
  readonly #sentArgs = new Map<number, { states: number[]; args: Args }>()
  #resyncing = false
  #closing: Promise<void> | null = null
  readonly #payloads = new Subject<{ name: string; data: unknown }>()
  /** Data the server sent (`server.send(name, data)`), in order; completes on `close()`. */
  readonly payloads$: Observable<{ name: string; data: unknown }> = this.#payloads.asObservable()
  /** Full-clock resyncs done after a checksum mismatch. */
  resyncs = 0

  /** @internal Made by `connect()`. */
  constructor(init: MirrorInit<N>) {
    const { welcome } = init.opened
    super(init.schema, welcome.sourceId, init.mirror,
      new MirrorClock(init.schema.names, init.mirror, welcome.time, welcome.queueTick, welcome.err))
    this.client = init.client
    this.#link = init.opened.link
    this.#timeout = init.timeout
    this.#keepAliveMs = init.keepAlive
    this.#backoff = init.reconnect
    this.#redial = init.redial
    this.#traceContext = init.traceContext
    let nextId = 1
    const next = (): number => nextId++
    this.#requests = new Requests(init.client.id, init.timeout, next, (id, retry) => this.#gaveUp(id, retry))
    this.#argWaiters = new ArgWaiters(init.client.id, next, (m) => this.#link.send(m))
    this.#pings = new Requests(init.client.id, init.timeout)
    this.#attach(init.opened)
  }

  /** Successful reconnections. */
  reconnects = 0
  readonly #keepAliveMs: number
  readonly #backoff: Backoff | null
  readonly #redial: (() => Promise<Opened>) | null
  #stopReconnect: (() => Promise<void>) | null = null

  /** Takes `o.link` over: handlers, keep-alive, then the messages that came right behind its `WELCOME`. */
  #attach(o: Opened): void {
    this.#link = o.link
    const link = o.link
    const ka = this.#keepAliveMs > 0
      ? new KeepAlive(this.#keepAliveMs, () => link.send({ type: Msg.Ping, n: 0 }), (quiet) => link.fail(
        new RpcError('ERR_RPC_NETWORK', `remote ${this.id}: keep-alive: nothing received for ${quiet} ms`)))
      : null
    this.#keepAlive = ka
    link.onMessage = (m) => {
      ka?.seen()
      this.#receive(m)
    }
    link.onClose = (err) => this.#lost(err)
    for (const m of o.early) {
      if (o.link.closed) break
      this.#receive(m)
    }
    if (o.link.closed) this.#lost(new RpcError('ERR_RPC_CLOSED', 'closed right after the handshake'))
  }

  /** A reconnection's session: the mirror takes the source's clock from its `WELCOME`. */
  #adopt(o: Opened): void {
    const w = o.welcome
    checkWelcome(w, this.names.length)
    if (w.sourceId !== this.id) this.client.log(`reconnected to source ${w.sourceId} (was ${this.id})`)
    this.#link = o.link // handlers run by the new clock may mutate: over the new link
    this.#resyncing = false
    this.reconnects++
    this.client.remove('Reconnecting')
    this.client.add('Ready')
    this.handlers.connected()
    this.#full(w.time, w.queueTick, w.err, false)
    this.#attach(o)
    // what waited for this session: dry runs, pings and watches, with their ids
    this.#requests.resend()
    this.#pings.resend()
    this.#argWaiters.resend()
  }

  get connected(): boolean {
    return !this.#link.closed
  }

  /**
   * Resolves when the source activates `state` (or re-enters it) with args holding every key of `args` with an `===`
   * value — so only primitive values can match. Asked of the server (a `WATCH`), which answers after the diff that
   * activated the state, so `is(state)` holds when it resolves. Rejects with `ERR_RPC_CLOSED` when the connection
   * is lost (a watch does not survive a reconnection), and as other waiters on timeout and abort. Only activations
   * after the server received the watch count: a mutation this client sends afterwards always does; for one made
   * elsewhere, `await remote.ping()` after calling `whenArgs` to be sure the server has it.
   *
   * ```ts
   * const done = remote.whenArgs('Job', { id: 7 }, { timeout: 5000 })
   * await remote.add('Job', { id: 7 })
   * await done
   * ```
   */
  whenArgs(state: N, args: Args, opts?: WaitOptions): Promise<void> {
    const [i] = this.ix([state], 'whenArgs()') as [number]
    checkArgs(args, `remote ${this.id}: whenArgs()`)
    if (this.#link.closed) {
      return Promise.reject(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: whenArgs(): not connected`))
    }
    return this.#argWaiters.wait(i, args, opts, `whenArgs(${state}) on ${this.id}`)
  }

  // --- mutations (remote) --------------------------------------------------------------------------------------

  add(states: States<N>, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.Add, 'add()', states, args, null, opts)
  }

  remove(states: States<N>, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.Remove, 'remove()', states, args, null, opts)
  }

  set(states: States<N>, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.Set, 'set()', states, args, null, opts)
  }

  /** Decided on the source, atomically: `remove` if all are active there, else `add`. */
  toggle(states: States<N>, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.Toggle, 'toggle()', states, args, null, opts)
  }

  /**
   * Dry run on the source: would `add(states, args)` be accepted (relations and negotiation handlers)? Nothing
   * changes. Resolves `Result.Executed` or `Result.Canceled`.
   *
   * ```ts
   * if (await remote.canAdd('Busy') === Result.Executed) await remote.add('Busy')
   * ```
   */
  canAdd(states: States<N>, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.CanAdd, 'canAdd()', states, args, null, opts)
  }

  /** Dry run of `remove(states, args)` on the source; see {@link canAdd}. */
  canRemove(states: States<N>, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.CanRemove, 'canRemove()', states, args, null, opts)
  }

  /** Adds `Exception` on the source with a `RemoteError` carrying `err`'s name and message. */
  addErr(err: unknown, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.AddErr, 'addErr()', [], args, errorInfo(err), opts)
  }

  /** `addErr` plus `state` (an error state requiring `Exception`). */
  addErrState(state: N, err: unknown, args?: Args, opts?: CallOptions): Promise<Result> {
    return this.#call(MutationKind.AddErr, 'addErrState()', [state], args, errorInfo(err), opts)
  }

  /**
   * Round trip to the server (`PING` → `PONG`); resolves with the time it took in ms. Every diff the server sent
   * before answering has been applied by then, so with `pushInterval: 0` it also settles the mirror.
   *
   * ```ts
   * const ms = await remote.ping()
   * ```
   */
  ping(opts?: CallOptions): Promise<number> {
    if (this.#link.closed) return Promise.reject(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: ping(): not connected`))
    const t0 = performance.now()
    return this.#pings.open<void>(`ping() to ${this.id}`, opts, (n) => this.#link.send({ type: Msg.Ping, n }), true)
      .then(() => performance.now() - t0)
  }

  /** Asks the source for its full clock now; resolves when the mirror has it. */
  sync(opts?: CallOptions): Promise<void> {
    this.#requestResync()
    return this.client.whenNot('Resyncing', { timeout: opts?.timeout ?? this.#timeout,
      ...(opts?.signal ? { signal: opts.signal } : {}) })
  }

  /** Says bye, closes the transport, rejects pending calls (`ERR_RPC_CLOSED`) and disposes the mirror. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#link.bye('client closing')
      await this.#stopReconnect?.()
      await this.#link.done
      this.#rejectPending(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: closed`))
      this.handlers.dispose(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: closed`))
      this.#payloads.complete()
      this.mirror.dispose()
    })()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // --- internals -----------------------------------------------------------------------------------------------

  #call(kind: MutationKind, where: string, states: States<N>, args: Args | undefined,
    error: { name: string; message: string } | null, opts: CallOptions | undefined): Promise<Result> {
    const ix = this.ix(states, where)
    if (args !== undefined) checkArgs(args, `remote ${this.id}: ${where}`)
    if (this.#link.closed) return Promise.reject(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: ${where}: not connected`))
    const dryRun = kind === MutationKind.CanAdd || kind === MutationKind.CanRemove
    // read once per call (a re-sent dry run keeps its caller's context); a throwing or malformed hook sends none
    const trace = this.#traceContext === null ? null : askTraceHook(this.#traceContext, (line) => this.client.log(line))
    return this.#requests.open<Result>(`${where} on ${this.id}`, opts, (id) => {
      if (args !== undefined) this.#sentArgs.set(id, { states: ix, args })
      this.#link.send({ type: Msg.Mutate, id, kind, states: ix, args: (args ?? null) as Record<string, unknown> | null, error,
        trace })
    }, dryRun)
  }

  /** The caller of request `id` stopped waiting: a mutation the source still holds queued is dropped there. */
  #gaveUp(id: number, retry: boolean): void {
    this.#sentArgs.delete(id)
    if (!retry) this.#link.send({ type: Msg.Cancel, id })
  }

  #receive(m: Message): void {
    switch (m.type) {
      case Msg.Diff: return this.#updated(this.#apply(m.pairs, m.queueTick, m.checksum, m.err), 'push', null)
      case Msg.Reply: {
        // a late reply (its call timed out) still carries the diff: apply it so the clocks stay in step
        const sent = this.#sentArgs.get(m.id) ?? null
        this.#sentArgs.delete(m.id)
        const before = this.#apply(m.pairs, m.queueTick, m.checksum, m.err)
        this.#requests.resolve(m.id, m.result) // before the handlers: one may close the mirror, the call still ran
        this.#updated(before, 'reply', sent)
        return
      }
      case Msg.Clock: return this.#full(m.time, m.queueTick, m.err, true)
      case Msg.Error: {
        const code = m.code as RpcErrorCode
        if (m.id !== null) {
          const e = new RpcError(code, `remote ${this.id}: ${m.message}`)
          this.#sentArgs.delete(m.id)
          this.#requests.reject(m.id, e)
          this.#argWaiters.reject(m.id, e)
          return
        }
        this.#serverError = new RpcError(code, `remote ${this.id}: server closed the connection: ${m.message}`)
        return
      }
      case Msg.Ping: return this.#link.send({ type: Msg.Pong, n: m.n })
      case Msg.Pong: return this.#pings.resolve(m.n, undefined)
      case Msg.Matched: return this.#argWaiters.matched(m.id)
      case Msg.Payload: return this.#payloads.next({ name: m.name, data: m.data })
      case Msg.Bye: return this.#link.bye('bye')
      default: throw new RpcError('ERR_RPC_PROTOCOL', `unexpected message type ${m.type} after the handshake`)
    }
  }

  #serverError: RpcError | null = null
  #keepAlive: KeepAlive | null = null

  /** Applies a diff; returns the time before it when it was applied (for {@link #updated}), else null. */
  #apply(pairs: readonly number[], queueTick: number, sum: number, err: string | null | undefined): number[] | null {
    if (this.#resyncing) return null // the full clock is on its way; diffs until then are relative to a state we lost
    const before = this.synced.time
    if (!this.synced.apply(pairs, queueTick, sum, err)) {
      this.client.log(`checksum mismatch (${sum}); requesting the full clock`)
      this.#requestResync()
      return null
    }
    return before
  }

  #full(time: number[], queueTick: number, err: string | null | undefined, resync: boolean): void {
    const before = this.synced.time
    this.synced.full(time, queueTick, err)
    if (resync) {
      this.#resyncing = false
      this.client.remove('Resyncing')
    }
    this.#updated(before, 'clock', null)
  }

  /** After a committed update: signals of changed states abort, bound handlers run. */
  #updated(before: readonly number[] | null, cause: UpdateCause, sent: { states: number[]; args: Args } | null): void {
    const after = this.synced.time
    if (before === null || after === before) return
    this.handlers.update(before, after, cause, (i) => sent !== null && sent.states.includes(i) ? sent.args : undefined)
  }

  protected handlerFailed(err: HandlerError): void {
    this.client.log(`handler failed: ${err.message}`)
    this.client.addErrState('ErrHandler', err)
  }

  #requestResync(): void {
    if (this.#resyncing || this.#link.closed) return
    this.#resyncing = true
    this.resyncs++
    this.client.add('Resyncing')
    this.#link.send({ type: Msg.Sync })
  }

  #lost(err: RpcError | null): void {
    this.#keepAlive?.stop()
    this.#keepAlive = null
    const cause = this.#serverError ?? err
    this.#serverError = null
    const closed = new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: connection closed`, { cause })
    const redial = this.#redial
    const reconnecting = this.#backoff !== null && redial !== null && this.#closing === null
    // safe requests (dry runs, pings, whenArgs watches) wait for the next session; mutations may have run
    const unknown = (id: number): RpcError => new RpcError('ERR_RPC_OUTCOME_UNKNOWN',
      `remote ${this.id}: the connection was lost before the reply to request ${id}: whether the source ran the ` +
      'mutation is unknown (it is not sent again)', { cause: cause ?? closed })
    this.#requests.lost(reconnecting, closed, unknown)
    this.#pings.lost(reconnecting, closed, unknown)
    this.#argWaiters.lost(reconnecting, closed)
    this.#sentArgs.clear()
    this.handlers.lost(closed)
    this.#resyncing = false
    this.client.add('Disconnected')
    if (cause && cause.code !== 'ERR_RPC_CLOSED') {
      this.client.log(`connection lost: ${cause.code} ${cause.message}`)
      this.client.addErrState(errStateOf(cause.code), cause)
    }
    if (reconnecting) {
      this.client.add('Reconnecting')
      const host: ReconnectHost = {
        client: this.client, redial, closing: () => this.#closing !== null, adopt: (o) => this.#adopt(o),
        gaveUp: () => this.#rejectPending(closed),
      }
      this.#stopReconnect = startReconnect(host, this.#backoff!)
    }
  }

  /** Requests kept for a reconnection that will not come: they end with `err`. */
  #rejectPending(err: RpcError): void {
    this.#requests.rejectAll(err)
    this.#pings.rejectAll(err)
    this.#argWaiters.rejectAll(err)
  }
}
