/**
 * RPC over NATS subjects. Each mirror is one session: a MessagePort-shaped pair of ports (`postMessage`, `close`,
 * `'message'` / `'close'` events), so lib/rpc's `connect()` and `server.accept()` run unchanged over it.
 * Client → machine: requests to the machine's subject; machine → client: requests to the session's subject. Every
 * message is acknowledged by an empty reply, so a peer that is gone shows as NATS no-responders at once, and the
 * session closes instead of waiting for a timeout. Session id and kind travel in headers, with each message's id
 * (`pm-id`: session and sequence) and, from a mirror, the caller's trace context (`traceparent`, `tracestate`: see
 * trace.ts); bodies are lib/rpc msgpack.
 */
import { EventEmitter } from 'node:events'
import { headers, RequestError, NoRespondersError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node'
import { outgoingTrace, readMeta, received, writeMeta } from './trace.js'

/** Header with the session id. */
export const SESSION_HEADER = 'pm-s'
/** Header with a control kind: `close` (the session ended) or `probe` (is anyone serving this machine?). */
export const KIND_HEADER = 'pm-k'
/** Probes a session's mirror may miss in a row before the source ends the session. */
export const SWEEP_MISSES = 3
/** Deadline of the acknowledgement of one message; a missing ack alone does not close the session. */
const ACK_TIMEOUT = 10_000

/** True when `err` says nobody subscribes to the subject (the peer process is gone). */
export function isNoResponders(err: unknown): boolean {
  return err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())
}

/** One end of a session; `onGone` learns when the peer vanished (no-responders). */
abstract class NatsPort extends EventEmitter {
  #closed = false
  #sent = 0

  /** `traced`: messages carry the sender's trace context (a mirror's calls; not the source's replies and pushes). */
  constructor(protected readonly nc: NatsConnection, readonly session: string, private readonly to: string,
    private readonly onGone: (err: unknown) => void, private readonly traced: boolean) {
    super()
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends one lib/rpc message (a msgpack `Uint8Array`); dropped once closed. */
  postMessage(data: Uint8Array): void {
    if (this.#closed || this.nc.isClosed()) return
    const h = headers()
    h.set(SESSION_HEADER, this.session)
    writeMeta(h, { id: `${this.session}.${(++this.#sent).toString(36)}`, trace: this.traced ? outgoingTrace() : undefined })
    this.nc.request(this.to, data, { headers: h, timeout: ACK_TIMEOUT }).catch((err: unknown) => {
      if (isNoResponders(err)) this.gone(err)
    })
  }

  /** Closes this session: tells the peer (best effort), then emits `'close'` as a `MessagePort` does. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (!this.nc.isClosed()) {
      const h = headers()
      h.set(SESSION_HEADER, this.session)
      h.set(KIND_HEADER, 'close')
      try {
        this.nc.publish(this.to, undefined, { headers: h })
      } catch { /* the connection is closing: the peer learns it by no-responders */ }
    }
    this.released()
    setImmediate(() => this.emit('close'))
  }

  /** Bytes from the peer. */
  deliver(data: Uint8Array): void {
    if (!this.#closed) this.emit('message', data)
  }

  /** The peer closed the session. */
  ended(): void {
    if (this.#closed) return
    this.#closed = true
    this.released()
    this.emit('close')
  }

  /** The peer no longer exists. */
  protected gone(err: unknown): void {
    if (this.#closed) return
    this.onGone(err)
    this.ended()
  }

  protected abstract released(): void
}

/** The mirror's end: receives on its own session subject. */
export class ClientPort extends NatsPort {
  readonly #sub: Subscription

  constructor(nc: NatsConnection, prefix: string, machineSubject: string, session: string, onGone: (err: unknown) => void) {
    super(nc, session, machineSubject, onGone, true)
    this.#sub = nc.subscribe(clientSubject(prefix, session), {
      callback: (err, msg) => {
        if (err) return
        const kind = msg.headers?.get(KIND_HEADER)
        if (kind === 'close') {
          this.ended()
          return
        }
        ack(msg)
        if (kind === 'probe') return
        this.deliver(msg.data)
      },
    })
  }

  protected released(): void {
    this.#sub.unsubscribe()
  }
}

/** The exposed machine's end of one session (made by {@link SessionRouter}). */
export class ServerPort extends NatsPort {
  constructor(nc: NatsConnection, prefix: string, session: string, private readonly forget: (s: string) => void) {
    super(nc, session, clientSubject(prefix, session), () => undefined, false)
  }

  protected released(): void {
    this.forget(this.session)
  }
}

/**
 * The subscription of one exposed machine: routes messages to their session's port, making one (and handing it to
 * `accept`, i.e. the RPC server) on a new session id; answers probes. Every `sweep` ms (while connected) it probes
 * each session's mirror and ends a session after {@link SWEEP_MISSES} no-responders in a row: a dead mirror does
 * not hold a session forever, and a mirror whose bus is still re-subscribing after a server restart is not dropped.
 */
export class SessionRouter {
  readonly #sessions = new Map<string, ServerPort>()
  /** Consecutive unanswered probes per session. */
  readonly #misses = new Map<string, number>()
  /** Sessions whose probe is in flight. */
  readonly #probing = new Set<string>()
  readonly #sub: Subscription
  readonly #timer: NodeJS.Timeout

  constructor(private readonly nc: NatsConnection, private readonly prefix: string, subject: string,
    private readonly accept: (port: ServerPort) => void, sweep: number, private readonly connected: () => boolean) {
    this.#sub = nc.subscribe(subject, { callback: (err, msg) => { if (!err) this.#route(msg) } })
    this.#timer = setInterval(() => this.#sweep(), sweep)
  }

  #sweep(): void {
    if (this.nc.isClosed() || !this.connected()) return
    for (const port of this.#sessions.values()) {
      const s = port.session
      if (this.#probing.has(s)) continue // its last probe is unanswered yet: one at a time per session
      this.#probing.add(s)
      const h = headers()
      h.set(KIND_HEADER, 'probe')
      this.nc.request(clientSubject(this.prefix, s), undefined, { headers: h, timeout: ACK_TIMEOUT }).then(
        () => this.#misses.delete(s),
        (err: unknown) => {
          if (!isNoResponders(err)) return
          const misses = (this.#misses.get(s) ?? 0) + 1
          this.#misses.set(s, misses)
          if (misses >= SWEEP_MISSES) port.ended()
        }).finally(() => this.#probing.delete(s))
    }
  }

  get sessions(): number {
    return this.#sessions.size
  }

  #route(msg: Msg): void {
    const session = msg.headers?.get(SESSION_HEADER) ?? ''
    const kind = msg.headers?.get(KIND_HEADER) ?? ''
    if (kind === 'probe') {
      ack(msg)
      return
    }
    if (!/^[A-Za-z0-9]{8,64}$/.test(session)) return // not ours
    if (kind === 'close') {
      this.#sessions.get(session)?.ended()
      return
    }
    ack(msg)
    let port = this.#sessions.get(session)
    if (!port) {
      port = new ServerPort(this.nc, this.prefix, session, (s) => {
        this.#sessions.delete(s)
        this.#misses.delete(s)
      })
      this.#sessions.set(session, port)
      this.accept(port)
    }
    const meta = readMeta(msg.headers)
    // a mirror's message with a trace context: handled (synchronously, by the RPC session) under the tracer's hook
    if (meta?.trace === undefined) port.deliver(msg.data)
    else received('rpc', session, '', meta, () => port.deliver(msg.data))
  }

  /** Stops receiving; the RPC server closes its sessions itself. */
  close(): void {
    clearInterval(this.#timer)
    this.#sub.unsubscribe()
  }
}

/** The subject a session's mirror receives on. */
export function clientSubject(prefix: string, session: string): string {
  return `${prefix}.c.${session}`
}

/** The subject an exposed machine receives on (ids are base64url-encoded: any id is a valid token). */
export function machineSubject(prefix: string, id: string): string {
  return `${prefix}.m.${idToken(id)}`
}

/** A machine id as a subject token and KV key: base64url (letters, digits, `-`, `_`). */
export function idToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url')
}

function ack(msg: Msg): void {
  if (msg.reply) msg.respond()
}
