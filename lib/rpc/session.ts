/**
 * One client of a server, from `HELLO` to close: the handshake (version, token, schema hash), mutation requests, full
 * clock syncs and the diffs pushed to it. It talks to its server through the narrow {@link SessionHost}.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Args, Machine, TransitionInfo } from '../machine/index.js'
import { safeString } from '../machine/internals.js'
import { runAuthenticate, type Access } from './access.js'
import { checksum, diffPairs } from './clock.js'
import { TokenBucket } from './rate.js'
import { RemoteError, RpcError } from './errors.js'
import type { Link } from './link.js'
import { Msg, MutationKind, PROTOCOL_VERSION, type Hello, type Message, type Mutate, type WireState } from './protocol.js'
import { withRemoteTrace } from './trace-context.js'

/** What a session needs from its server. */
export interface SessionHost {
  readonly source: Machine<string>
  readonly serverId: string
  readonly wire: readonly WireState[]
  readonly hash: string
  readonly token: string | undefined
  readonly handshakeTimeout: number
  /** `authenticate`, `mutable`, `argsKeys`. */
  readonly access: Access
  /** Per-client rate limit, null when off. */
  readonly rateLimit: { perSecond: number; burst: number } | null
  /** A line in the server's log. */
  log(line: string): void
  /** Index of `Exception` in the source's schema. */
  readonly exception: number
  /** Drops the source's queued mutation that runs at `queueTick`, if it has not run; false otherwise. */
  dropQueued(queueTick: number): boolean
  /** The handshake completed. */
  ready(s: Session): void
  /** The session ended; `err` is null for a clean close; `wasReady` when its handshake had completed. */
  ended(s: Session, err: RpcError | null, wasReady: boolean): void
}

/** A connected client. */
export class Session {
  clientId = ''
  #phase: 'hello' | 'auth' | 'ready' | 'closed' = 'hello'
  #sent: number[] = []
  #sentQ = 0
  #inCall = false
  readonly #watches = new Map<number, { state: string; args: Record<string, unknown> }>()
  /** This client's mutations the source queued and has not run: request id → the queue tick they run at (made on first use). */
  #queued: Map<number, number> | null = null
  readonly #afterCall: number[] = []
  readonly #timer: ReturnType<typeof setTimeout>
  readonly #bucket: TokenBucket | null
  #limited = false

  constructor(readonly host: SessionHost, readonly link: Link) {
    this.#bucket = host.rateLimit ? new TokenBucket(host.rateLimit.perSecond, host.rateLimit.burst) : null
    link.onMessage = (m) => this.receive(m)
    link.onClose = (err) => {
      clearTimeout(this.#timer)
      const wasReady = this.#phase === 'ready'
      this.#phase = 'closed'
      host.ended(this, err, wasReady)
    }
    this.#timer = setTimeout(() => link.fail(new RpcError('ERR_RPC_HANDSHAKE_TIMEOUT',
      `no HELLO within ${host.handshakeTimeout} ms`)), host.handshakeTimeout)
    this.#timer.unref?.()
  }

  get ready(): boolean {
    return this.#phase === 'ready'
  }

  /** `whenArgs` watches this client holds on the server. */
  get watches(): number {
    return this.#watches.size
  }

  /** This client's mutations waiting in the source's queue (cancelable). */
  get queued(): number {
    this.#ranQueued()
    return this.#queued?.size ?? 0
  }

  /** Sends what changed on the source since the last message to this client (nothing when nothing did). */
  push(time: readonly number[], queueTick: number): void {
    if (this.#phase !== 'ready' || this.#inCall) return
    const pairs = diffPairs(this.#sent, time)
    if (pairs.length === 0 && queueTick === this.#sentQ) return
    const err = this.#err(time, this.#sent)
    this.#sent = time.slice()
    this.#sentQ = queueTick
    this.link.send({ type: Msg.Diff, pairs, queueTick, checksum: checksum(time, queueTick), err })
  }

  /** Sends a `PAYLOAD` when the handshake completed; false otherwise. */
  payload(name: string, data: unknown): boolean {
    if (this.#phase !== 'ready') return false
    this.link.send({ type: Msg.Payload, name, data })
    return true
  }

  receive(m: Message): void {
    if (this.#phase === 'auth') {
      // waiting for authenticate(): only PING and BYE make sense
      if (m.type === Msg.Ping) this.link.send({ type: Msg.Pong, n: m.n })
      else if (m.type === Msg.Bye) this.link.bye('bye')
      else this.link.fail(new RpcError('ERR_RPC_PROTOCOL', `message type ${m.type} before WELCOME`))
      return
    }
    if (this.#phase === 'hello') {
      if (m.type === Msg.Hello) this.#hello(m)
      else if (m.type === Msg.Ping) this.link.send({ type: Msg.Pong, n: m.n })
      else if (m.type === Msg.Bye) this.link.bye('bye')
      else this.link.fail(new RpcError('ERR_RPC_PROTOCOL', `message type ${m.type} before HELLO`))
      return
    }
    if (this.#bucket !== null && m.type !== Msg.Bye && !this.#bucket.take()) return this.#overLimit(m)
    switch (m.type) {
      case Msg.Mutate: return this.#mutate(m)
      case Msg.Sync: return this.#sync()
      case Msg.Ping: return this.link.send({ type: Msg.Pong, n: m.n })
      case Msg.Pong: return
      case Msg.Watch: return this.#watch(m.id, m.state, m.args)
      case Msg.Unwatch: return void this.#watches.delete(m.id)
      case Msg.Cancel: return this.#cancel(m.id)
      case Msg.Bye: return this.link.bye('bye')
      case Msg.Error: return this.link.fail(new RpcError('ERR_RPC_PROTOCOL', `client reported ${m.code}: ${m.message}`))
      default: return this.link.fail(new RpcError('ERR_RPC_PROTOCOL', `unexpected message type ${m.type} from a client`))
    }
  }

  #hello(m: Hello): void {
    const { host } = this
    this.clientId = m.clientId
    clearTimeout(this.#timer)
    if (m.version !== PROTOCOL_VERSION) {
      return this.link.fail(new RpcError('ERR_RPC_VERSION',
        `protocol version ${m.version} is not supported (server speaks ${PROTOCOL_VERSION})`))
    }
    if (host.token !== undefined && !sameToken(host.token, m.token)) {
      return this.link.fail(new RpcError('ERR_RPC_AUTH', `client ${m.clientId}: authentication failed`))
    }
    const hook = host.access.authenticate
    if (hook === null) return this.#welcome(m)
    this.#phase = 'auth'
    const hello = { version: m.version, clientId: m.clientId, token: m.token, schemaHash: m.schemaHash }
    void runAuthenticate(hook, hello, host.handshakeTimeout).then((why) => {
      if (this.#phase !== 'auth') return // the connection closed meanwhile
      if (why === null) return this.#welcome(m)
      host.log(`client ${m.clientId}: refused: ${why}`)
      this.link.fail(new RpcError('ERR_RPC_AUTH', `client ${m.clientId}: authentication failed`))
    })
  }

  #welcome(m: Hello): void {
    const { host } = this
    if (m.schemaHash !== null && m.schemaHash !== host.hash) {
      return this.link.fail(new RpcError('ERR_RPC_SCHEMA',
        `client ${m.clientId}: schema hash ${m.schemaHash} differs from the source's ${host.hash}`))
    }
    const time = host.source.time()
    const queueTick = host.source.queueTick
    this.#sent = time
    this.#sentQ = queueTick
    this.#phase = 'ready'
    this.link.send({
      type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: host.serverId, sourceId: host.source.id,
      schemaHash: host.hash, schema: m.wantSchema ? host.wire.map((w) => w) : null, time, queueTick,
      err: this.#err(time, null),
    })
    host.ready(this)
  }

  /** The source's error text when `time` has `Exception` active at a tick `prev` (the client's) has not. */
  #err(time: readonly number[], prev: readonly number[] | null): string | null {
    const i = this.host.exception
    const t = time[i] as number
    if ((t & 1) === 0 || (prev !== null && prev[i] === t)) return null
    return safeString(this.host.source.err).slice(0, 4000)
  }

  #watch(id: number, state: number, args: Record<string, unknown>): void {
    if (state >= this.host.source.names.length) return this.#reject(id, `state index ${state} is out of range`)
    if (this.#watches.size >= MAX_WATCHES) return this.#reject(id, `more than ${MAX_WATCHES} watches`)
    const forbidden = this.host.access.watch(args)
    if (forbidden !== null) return this.#reject(id, forbidden, 'ERR_RPC_FORBIDDEN')
    this.#watches.set(id, { state: this.host.source.names[state] as string, args })
  }

  /**
   * After every source transition: the watches it matched get `MATCHED`, each after the diff that activated the
   * state (right after the reply when the transition came from this client's own request).
   */
  transition(tx: TransitionInfo): void {
    if (this.#queued !== null) this.#ranQueued()
    if (this.#watches.size === 0 || this.#phase !== 'ready' || !tx.accepted) return
    const matched: number[] = []
    for (const [id, w] of this.#watches) {
      if (tx.enters.includes(w.state) && argsMatch(tx.args, w.args)) matched.push(id)
    }
    if (matched.length === 0) return
    for (const id of matched) this.#watches.delete(id)
    if (this.#inCall) {
      this.#afterCall.push(...matched)
      return
    }
    this.push(this.host.source.time(), this.host.source.queueTick)
    for (const id of matched) this.link.send({ type: Msg.Matched, id })
  }

  /** The client gave up on request `id`: a mutation the source still holds queued is dropped; a watch forgotten. */
  #cancel(id: number): void {
    this.#watches.delete(id)
    const q = this.#queued
    const tick = q?.get(id)
    if (q === null || tick === undefined) return
    q.delete(id)
    if (this.host.source.queueTick < tick && this.host.dropQueued(tick)) {
      this.host.log(`client ${this.clientId}: request ${id} canceled: dropped from the source's queue (tick ${tick})`)
    }
  }

  /** Forgets the queued mutations the source has run (their queue tick was reached). */
  #ranQueued(): void {
    const q = this.#queued
    if (q === null) return
    const now = this.host.source.queueTick
    for (const [id, tick] of q) if (tick <= now) q.delete(id)
    if (q.size === 0) this.#queued = null
  }

  #sync(): void {
    const time = this.host.source.time()
    this.#sent = time
    this.#sentQ = this.host.source.queueTick
    this.link.send({ type: Msg.Clock, time, queueTick: this.#sentQ, err: this.#err(time, null) })
  }

  #mutate(m: Mutate): void {
    const { source } = this.host
    const names = source.names
    const states: string[] = []
    for (const i of m.states) {
      const n = names[i]
      if (n === undefined) return this.#reject(m.id, `state index ${i} is out of range (${names.length} states)`)
      states.push(n)
    }
    if (states.length === 0 && m.kind !== MutationKind.AddErr && m.kind !== MutationKind.Set) {
      return this.#reject(m.id, 'no states given')
    }
    const forbidden = this.host.access.mutation(m.kind, m.states, (i) => source.is(names[i] as string))
    if (forbidden !== null) return this.#reject(m.id, forbidden, 'ERR_RPC_FORBIDDEN')
    const args = (m.args ?? undefined) as Args | undefined
    let result: number
    this.#inCall = true
    const queueLen = source.queueLen
    try {
      // the caller's trace context, for tracers (currentRemoteTrace()) while the source runs the mutation
      const trace = m.trace
      result = trace ? withRemoteTrace({ ...trace, machine: source }, () => this.#run(m, states, args))
        : this.#run(m, states, args)
      // queued behind a run in progress, as a new entry of its own (not a duplicate's): the client may cancel it
      if (result >= 2 && source.queueLen === queueLen + 1 && m.kind <= MutationKind.AddErr) {
        (this.#queued ??= new Map()).set(m.id, result)
      }
    } catch (err) {
      return this.#reject(m.id, `the source refused the mutation: ${(err as Error).message}`)
    } finally {
      this.#inCall = false
    }
    if (this.link.closed) return
    const time = source.time()
    const queueTick = source.queueTick
    const pairs = diffPairs(this.#sent, time)
    const err = this.#err(time, this.#sent)
    this.#sent = time
    this.#sentQ = queueTick
    this.link.send({ type: Msg.Reply, id: m.id, result, pairs, queueTick, checksum: checksum(time, queueTick), err })
    for (const id of this.#afterCall.splice(0)) this.link.send({ type: Msg.Matched, id })
  }

  #run(m: Mutate, states: string[], args: Args | undefined): number {
    const { source } = this.host
    switch (m.kind) {
      case MutationKind.Add: return source.add(states, args)
      case MutationKind.Remove: return source.remove(states, args)
      case MutationKind.Set: return source.set(states, args)
      case MutationKind.Toggle: return source.toggle(states, args)
      case MutationKind.CanAdd: return source.canAdd(states, args)
      case MutationKind.CanRemove: return source.canRemove(states, args)
      case MutationKind.AddErr: {
        const err = new RemoteError(m.error?.name ?? 'Error', m.error?.message ?? 'error from a remote client',
          this.clientId)
        return states[0] === undefined ? source.addErr(err, args) : source.addErrState(states[0], err, args)
      }
    }
  }

  /** A message over the rate limit: requests are refused (the source never sees them), the rest dropped. */
  #overLimit(m: Message): void {
    const limit = this.host.rateLimit!
    if (!this.#limited) this.host.log(`client ${this.clientId}: over the rate limit (${limit.perSecond}/s)`)
    this.#limited = true
    if (m.type === Msg.Mutate || m.type === Msg.Watch) {
      this.#reject(m.id, `over the rate limit of ${limit.perSecond} messages/s (burst ${limit.burst})`, 'ERR_RPC_RATE_LIMIT')
    }
  }

  #reject(id: number, message: string,
    code: 'ERR_RPC_REQUEST' | 'ERR_RPC_FORBIDDEN' | 'ERR_RPC_RATE_LIMIT' = 'ERR_RPC_REQUEST'): void {
    this.link.send({ type: Msg.Error, code, message, id })
  }
}

/** Every key of `want` is in `got` with an `===` value; a hostile `got` matches nothing. */
function argsMatch(got: unknown, want: Record<string, unknown>): boolean {
  try {
    if (typeof got !== 'object' || got === null) return Object.keys(want).length === 0
    return Object.keys(want).every((k) => Object.prototype.hasOwnProperty.call(got, k) &&
      (got as Record<string, unknown>)[k] === want[k])
  } catch {
    return false
  }
}

/** Watches one client may hold. */
const MAX_WATCHES = 1000

function sameToken(want: string, got: string | null): boolean {
  if (got === null) return false
  const a = createHash('sha256').update(want).digest()
  const b = createHash('sha256').update(got).digest()
  return timingSafeEqual(a, b)
}
