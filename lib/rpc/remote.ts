/**
 * `RemoteMachine`: the mirror of a served machine. Reads and waiters are local (answered from the pushed clock);
 * mutations go to the source and resolve with its real result once the diff that made it is applied here.
 */
import type { Observable } from 'rxjs'
import {
  InvalidArgumentError, UnknownStateError,
  type Args, type Machine, type Result, type Schema, type States, type WaitOptions,
} from '../machine/index.js'
import { errStateOf, type ClientStateNames } from './client.schema.js'
import { RpcError, type RpcErrorCode } from './errors.js'
import type { Opened } from './handshake.js'
import { KeepAlive } from './keep-alive.js'
import { MirrorClock } from './mirror-clock.js'
import type { Link } from './link.js'
import { startReconnect, type Backoff, type ReconnectHost } from './reconnect.js'
import { Requests, type CallOptions } from './requests.js'
import { ArgWaiters } from './arg-waiters.js'
import { errorInfo, safePlain } from './wire-values.js'
import { Msg, MutationKind, type Message } from './protocol.js'

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
export class RemoteMachine<N extends string = string> {
  /** The client's own machine ({@link ClientSchema}). */
  readonly client: Machine<ClientStateNames>
  /** The source's schema, as transferred (relations included). */
  readonly schema: Schema<N>
  /** The source machine's id. */
  readonly id: string
  /** Local machine holding the mirrored clocks (no relations): waiters and streams run on it. */
  readonly mirror: Machine<N>
  #link: Link
  readonly #index: Map<string, number>
  readonly #timeout: number
  readonly #requests: Requests
  readonly #argWaiters: ArgWaiters
  readonly #pings: Requests
  readonly #clock: MirrorClock
  #resyncing = false
  #closing: Promise<void> | null = null
  /** Full-clock resyncs done after a checksum mismatch. */
  resyncs = 0

  /** @internal Made by `connect()`. */
  constructor(init: MirrorInit<N>) {
    this.client = init.client
    this.schema = init.schema
    const { welcome } = init.opened
    this.id = welcome.sourceId
    this.mirror = init.mirror
    this.#link = init.opened.link
    this.#clock = new MirrorClock(init.schema.names, init.mirror, welcome.time, welcome.queueTick, welcome.err)
    this.#timeout = init.timeout
    this.#keepAliveMs = init.keepAlive
    this.#backoff = init.reconnect
    this.#redial = init.redial
    let nextId = 1
    const next = (): number => nextId++
    this.#requests = new Requests(init.client.id, init.timeout, next)
    this.#argWaiters = new ArgWaiters(init.client.id, next, (m) => this.#link.send(m))
    this.#pings = new Requests(init.client.id, init.timeout)
    this.#index = new Map(init.schema.names.map((n, i) => [n, i]))
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
    this.#clock.full(w.time, w.queueTick, w.err)
    if (w.sourceId !== this.id) this.client.log(`reconnected to source ${w.sourceId} (was ${this.id})`)
    this.#resyncing = false
    this.reconnects++
    this.client.remove('Reconnecting')
    this.client.add('Ready')
    this.#attach(o)
  }

  get names(): readonly N[] {
    return this.schema.names
  }

  get connected(): boolean {
    return !this.#link.closed
  }

  // --- reads (local) -------------------------------------------------------------------------------------------

  has(name: string): name is N {
    return this.#index.has(name)
  }

  tick(state: N): number {
    return this.#clock.time[this.#ix([state], 'tick()')[0] as number] as number
  }

  is(states: States<N>): boolean {
    return this.#ix(states, 'is()').every((i) => this.#clock.isActive(i))
  }

  not(states: States<N>): boolean {
    return this.#ix(states, 'not()').every((i) => !this.#clock.isActive(i))
  }

  any(...groups: States<N>[]): boolean {
    return groups.some((g) => this.is(g))
  }

  get activeStates(): readonly N[] {
    return this.schema.names.filter((_, i) => this.#clock.isActive(i))
  }

  /** Ticks in index order, or in the order of `states`. */
  time(states?: readonly N[]): number[] {
    const { time } = this.#clock
    return states === undefined ? time.slice() : this.#ix(states, 'time()').map((i) => time[i] as number)
  }

  clock(states?: readonly N[]): Record<N, number> {
    const list = states ?? this.schema.names
    const out = {} as Record<N, number>
    const ticks = this.time(list)
    list.forEach((n, i) => (out[n] = ticks[i] as number))
    return out
  }

  get queueTick(): number {
    return this.#clock.queueTick
  }

  /** The source's error text while its `Exception` is active (as the server sent it), else undefined. */
  get err(): string | undefined {
    return this.#clock.err
  }

  toString(): string {
    return `(${this.schema.names.flatMap((n, i) => this.#clock.isActive(i) ? [`${n}:${this.#clock.time[i]}`] : [])
      .join(' ')})`
  }

  // --- waiters (local, resolved by pushes) ---------------------------------------------------------------------

  when(states: States<N>, opts?: WaitOptions): Promise<void> {
    return this.mirror.when(states, opts)
  }

  whenNot(states: States<N>, opts?: WaitOptions): Promise<void> {
    return this.mirror.whenNot(states, opts)
  }

  whenTicks(state: N, n: number, opts?: WaitOptions): Promise<void> {
    return this.mirror.whenTicks(state, n, opts)
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
    const [i] = this.#ix([state], 'whenArgs()') as [number]
    const why = typeof args === 'object' && args !== null && !Array.isArray(args) ? safePlain(args) : 'not a map'
    if (why !== null) throw new InvalidArgumentError(`remote ${this.id}: whenArgs()`, 'args', `plain data (${why})`, args)
    if (this.#link.closed) {
      return Promise.reject(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: whenArgs(): not connected`))
    }
    return this.#argWaiters.wait(i, args, opts, `whenArgs(${state}) on ${this.id}`)
  }

  whenTime(states: readonly N[], ticks: readonly number[], opts?: WaitOptions): Promise<void> {
    return this.mirror.whenTime(states, ticks, opts)
  }

  state$(state: N): Observable<boolean> {
    return this.mirror.state$(state)
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
    return this.#pings.open<void>(`ping() to ${this.id}`, opts, (n) => this.#link.send({ type: Msg.Ping, n }))
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
      this.mirror.dispose()
    })()
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // --- internals -----------------------------------------------------------------------------------------------

  #ix(states: States<N>, where: string): number[] {
    const list: readonly unknown[] = typeof states === 'string' ? [states] : states
    if (!Array.isArray(list)) throw new InvalidArgumentError(`remote ${this.id}: ${where}`, 'states', 'a state name or list', states)
    const out: number[] = []
    const unknown: string[] = []
    for (const n of list) {
      const i = typeof n === 'string' ? this.#index.get(n) : undefined
      if (i === undefined) unknown.push(String(n))
      else out.push(i)
    }
    if (unknown.length) throw new UnknownStateError(this.id, unknown, where)
    return out
  }

  #call(kind: MutationKind, where: string, states: States<N>, args: Args | undefined,
    error: { name: string; message: string } | null, opts: CallOptions | undefined): Promise<Result> {
    const ix = this.#ix(states, where)
    if (args !== undefined) {
      const why = typeof args === 'object' && args !== null && !Array.isArray(args) ? safePlain(args) : 'not a map'
      if (why !== null) throw new InvalidArgumentError(`remote ${this.id}: ${where}`, 'args', `plain data (${why})`, args)
    }
    if (this.#link.closed) return Promise.reject(new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: ${where}: not connected`))
    return this.#requests.open<Result>(`${where} on ${this.id}`, opts, (id) => this.#link.send({
      type: Msg.Mutate, id, kind, states: ix, args: (args ?? null) as Record<string, unknown> | null, error,
    }))
  }

  #receive(m: Message): void {
    switch (m.type) {
      case Msg.Diff: return this.#apply(m.pairs, m.queueTick, m.checksum, m.err)
      case Msg.Reply: {
        // a late reply (its call timed out) still carries the diff: apply it so the clocks stay in step
        this.#apply(m.pairs, m.queueTick, m.checksum, m.err)
        this.#requests.resolve(m.id, m.result)
        return
      }
      case Msg.Clock: return this.#full(m.time, m.queueTick, m.err)
      case Msg.Error: {
        const code = m.code as RpcErrorCode
        if (m.id !== null) {
          const e = new RpcError(code, `remote ${this.id}: ${m.message}`)
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
      case Msg.Bye: return this.#link.bye('bye')
      default: throw new RpcError('ERR_RPC_PROTOCOL', `unexpected message type ${m.type} after the handshake`)
    }
  }

  #serverError: RpcError | null = null
  #keepAlive: KeepAlive | null = null

  #apply(pairs: readonly number[], queueTick: number, sum: number, err: string | null | undefined): void {
    if (this.#resyncing) return // the full clock is on its way; diffs until then are relative to a state we lost
    if (!this.#clock.apply(pairs, queueTick, sum, err)) {
      this.client.log(`checksum mismatch (${sum}); requesting the full clock`)
      this.#requestResync()
    }
  }

  #full(time: number[], queueTick: number, err: string | null | undefined): void {
    this.#clock.full(time, queueTick, err)
    this.#resyncing = false
    this.client.remove('Resyncing')
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
    const closed = new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: connection closed`, { cause })
    this.#requests.rejectAll(closed)
    this.#argWaiters.rejectAll(closed)
    this.#pings.rejectAll(closed)
    this.#resyncing = false
    this.client.add('Disconnected')
    if (cause && cause.code !== 'ERR_RPC_CLOSED') {
      this.client.log(`connection lost: ${cause.code} ${cause.message}`)
      this.client.addErrState(errStateOf(cause.code), cause)
    }
    const redial = this.#redial
    if (this.#backoff && redial && this.#closing === null) {
      this.client.add('Reconnecting')
      const isClosing = (): boolean => this.#closing !== null
      const host: ReconnectHost = {
        client: this.client,
        get closing(): boolean {
          return isClosing()
        },
        redial,
        adopt: (o) => this.#adopt(o),
      }
      this.#stopReconnect = startReconnect(host, this.#backoff)
    }
  }
}
