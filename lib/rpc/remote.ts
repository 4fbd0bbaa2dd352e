/**
 * `RemoteMachine`: the mirror of a served machine. Reads and waiters are local (answered from the pushed clock);
 * mutations go to the source and resolve with its real result once the diff that made it is applied here.
 */
import type { Observable } from 'rxjs'
import {
  InvalidArgumentError, UnknownStateError,
  type Args, type Machine, type Result, type Snapshot, type Schema, type States, type WaitOptions,
} from '../machine/index.js'
import { safeString } from '../machine/internals.js'
import { applyPairs, checksum } from './clock.js'
import type { ClientStateNames } from './client.schema.js'
import { RpcError, type RpcErrorCode } from './errors.js'
import type { Link } from './link.js'
import { Requests, type CallOptions } from './requests.js'
import { Msg, MutationKind, plainDataProblem, type Message } from './protocol.js'

/** What a mirror is built from (see `connect()`). */
export interface MirrorInit<N extends string> {
  client: Machine<ClientStateNames>
  link: Link
  schema: Schema<N>
  mirror: Machine<N>
  sourceId: string
  time: number[]
  queueTick: number
  timeout: number
  /** The source's error text from `WELCOME`. */
  err: string | null | undefined
  /** Ms between keep-alive pings; 0 = off. */
  keepAlive: number
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
  readonly #link: Link
  readonly #index: Map<string, number>
  readonly #timeout: number
  readonly #requests: Requests
  readonly #pings: Requests
  #time: number[]
  #queueTick: number
  #resyncing = false
  #closing: Promise<void> | null = null
  /** Full-clock resyncs done after a checksum mismatch. */
  resyncs = 0

  /** @internal Made by `connect()`. */
  constructor(init: MirrorInit<N>) {
    this.client = init.client
    this.schema = init.schema
    this.id = init.sourceId
    this.mirror = init.mirror
    this.#link = init.link
    this.#time = init.time
    this.#queueTick = init.queueTick
    this.#err = excActive(init.schema.names, init.time) ? (init.err ?? undefined) : undefined
    this.#timeout = init.timeout
    this.#requests = new Requests(init.client.id, init.timeout)
    this.#pings = new Requests(init.client.id, init.timeout)
    this.#index = new Map(init.schema.names.map((n, i) => [n, i]))
    this.#link.onMessage = (m) => {
      this.#seen = Date.now()
      this.#receive(m)
    }
    this.#link.onClose = (err) => this.#lost(err)
    if (init.keepAlive > 0) this.#startKeepAlive(init.keepAlive)
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
    return this.#time[this.#ix([state], 'tick()')[0] as number] as number
  }

  is(states: States<N>): boolean {
    return this.#ix(states, 'is()').every((i) => ((this.#time[i] as number) & 1) === 1)
  }

  not(states: States<N>): boolean {
    return this.#ix(states, 'not()').every((i) => ((this.#time[i] as number) & 1) === 0)
  }

  any(...groups: States<N>[]): boolean {
    return groups.some((g) => this.is(g))
  }

  get activeStates(): readonly N[] {
    return this.schema.names.filter((_, i) => ((this.#time[i] as number) & 1) === 1)
  }

  /** Ticks in index order, or in the order of `states`. */
  time(states?: readonly N[]): number[] {
    return states === undefined ? this.#time.slice() : this.#ix(states, 'time()').map((i) => this.#time[i] as number)
  }

  clock(states?: readonly N[]): Record<N, number> {
    const list = states ?? this.schema.names
    const out = {} as Record<N, number>
    const ticks = this.time(list)
    list.forEach((n, i) => (out[n] = ticks[i] as number))
    return out
  }

  get queueTick(): number {
    return this.#queueTick
  }

  /** The source's error text while its `Exception` is active (as the server sent it), else undefined. */
  get err(): string | undefined {
    return this.#err
  }

  toString(): string {
    return `(${this.schema.names.flatMap((n, i) => ((this.#time[i] as number) & 1) ? [`${n}:${this.#time[i]}`] : [])
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
      let why: string | null
      try {
        why = typeof args === 'object' && args !== null && !Array.isArray(args) ? plainDataProblem(args, true) : 'not a map'
      } catch {
        why = 'unreadable'
      }
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
          this.#requests.reject(m.id, new RpcError(code, `remote ${this.id}: ${m.message}`))
          return
        }
        this.#serverError = new RpcError(code, `remote ${this.id}: server closed the connection: ${m.message}`)
        return
      }
      case Msg.Ping: return this.#link.send({ type: Msg.Pong, n: m.n })
      case Msg.Pong: return this.#pings.resolve(m.n, undefined)
      case Msg.Bye: return this.#link.bye('bye')
      default: throw new RpcError('ERR_RPC_PROTOCOL', `unexpected message type ${m.type} after the handshake`)
    }
  }

  #serverError: RpcError | null = null
  #err: string | undefined
  #seen = Date.now()
  #keepAlive: ReturnType<typeof setInterval> | null = null

  /**
   * Every `ms`: a `PING` when the link was quiet; the link fails (`ERR_RPC_NETWORK`) when nothing at all arrived for
   * 2 × `ms` — a server that vanished without closing the connection.
   */
  #startKeepAlive(ms: number): void {
    let n = 0
    this.#keepAlive = setInterval(() => {
      const quiet = Date.now() - this.#seen
      if (quiet >= 2 * ms) {
        this.#link.fail(new RpcError('ERR_RPC_NETWORK', `remote ${this.id}: keep-alive: nothing received for ${quiet} ms`))
      } else if (quiet >= ms / 2) {
        this.#link.send({ type: Msg.Ping, n: n++ })
      }
    }, ms)
    this.#keepAlive.unref?.()
  }

  #apply(pairs: readonly number[], queueTick: number, sum: number, err: string | null | undefined): void {
    if (this.#resyncing) return // the full clock is on its way; diffs until then are relative to a state we lost
    const next = applyPairs(this.#time, pairs)
    if (next === null || queueTick < 1 || checksum(next, queueTick) !== sum) {
      this.client.log(`checksum mismatch (${sum}); requesting the full clock`)
      this.#requestResync()
      return
    }
    if (pairs.length === 0 && queueTick === this.#queueTick) return
    this.#commit(next, queueTick, err)
  }

  #full(time: number[], queueTick: number, err: string | null | undefined): void {
    if (time.length !== this.#time.length || queueTick < 1) {
      throw new RpcError('ERR_RPC_PROTOCOL', `CLOCK with ${time.length} ticks for ${this.#time.length} states`)
    }
    this.#resyncing = false
    this.#commit(time, queueTick, err)
    this.client.remove('Resyncing')
  }

  #commit(time: number[], queueTick: number, err: string | null | undefined): void {
    this.#time = time
    this.#queueTick = queueTick
    this.#err = excActive(this.schema.names, time) ? (err ?? this.#err) : undefined
    if (!this.mirror.disposed) {
      this.mirror.import(mirrorSnapshot(this.mirror, this.schema.names, time, queueTick, this.#err))
    }
  }

  #requestResync(): void {
    if (this.#resyncing || this.#link.closed) return
    this.#resyncing = true
    this.resyncs++
    this.client.add('Resyncing')
    this.#link.send({ type: Msg.Sync })
  }

  #lost(err: RpcError | null): void {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive)
    const cause = this.#serverError ?? err
    const closed = new RpcError('ERR_RPC_CLOSED', `remote ${this.id}: connection closed`, { cause })
    this.#requests.rejectAll(closed)
    this.#pings.rejectAll(closed)
    this.#resyncing = false
    this.client.add('Disconnected')
    if (cause && cause.code !== 'ERR_RPC_CLOSED') {
      this.client.log(`connection lost: ${cause.code} ${cause.message}`)
      this.client.addErrState(errState(cause.code), cause)
    }
  }
}

/**
 * The snapshot that puts `time` into the mirror. `import()` wants an error text when `Exception` is active: the
 * source's (`err`, as sent with the clock) or, from a server that did not send one, a text naming the source.
 */
export function mirrorSnapshot(mirror: Machine<string>, names: readonly string[], time: number[], queueTick: number,
  err: string | undefined): Snapshot {
  const snap: Snapshot = { id: mirror.id, names: [...names], time, queueTick }
  if (excActive(names, time)) snap.err = err ?? `Exception on the source machine ${mirror.id}`
  return snap
}

function excActive(names: readonly string[], time: readonly number[]): boolean {
  const i = names.indexOf('Exception')
  return i >= 0 && ((time[i] as number) & 1) === 1
}

/** The client error state for an error code. */
export function errState(code: string): 'ErrNetwork' | 'ErrRpc' | 'ErrAuth' | 'ErrSchema' {
  if (code === 'ERR_RPC_AUTH') return 'ErrAuth'
  if (code === 'ERR_RPC_SCHEMA') return 'ErrSchema'
  if (code === 'ERR_RPC_NETWORK') return 'ErrNetwork'
  return 'ErrRpc'
}

function errorInfo(err: unknown): { name: string; message: string } {
  try {
    if (err instanceof Error) return { name: safeString(err.name).slice(0, 200), message: safeString(err.message).slice(0, 4000) }
  } catch {
    // a hostile error object: fall through to its description
  }
  return { name: 'Error', message: safeString(err).slice(0, 4000) }
}
