/**
 * RPC over a `child_process` IPC channel. One channel carries several RPC connections: each is an {@link IpcPort}
 * (numbered), duck-typed as the worker_threads `MessagePort` the RPC layer accepts (`connect(port)`,
 * `server.accept(port)`: `postMessage`, `close`, `'message'` and `'close'` events), plus a few control messages
 * (`ready`, `drained`, `open`, `close`). Bytes travel as `[channel, Uint8Array]` with `serialization: 'advanced'`
 * (structured clone: no JSON, no base64).
 */
import { EventEmitter } from 'node:events'

/** Both ends of an IPC channel look alike: a `ChildProcess` in the supervisor, `process` in the worker. */
export interface IpcEndpoint {
  readonly connected: boolean
  send?: ((message: unknown) => boolean) | undefined
  on(event: 'message', fn: (m: unknown) => void): unknown
  on(event: 'disconnect', fn: () => void): unknown
  off(event: 'message', fn: (m: unknown) => void): unknown
  off(event: 'disconnect', fn: () => void): unknown
}

/**
 * A control message: `ready`, `drained` and `listening` go up (worker → supervisor), `open` and `listen` go down,
 * `close` both ways. `listen` asks the worker to serve its machine over TCP on 127.0.0.1 with token `t` (for clients
 * in other processes); `listening` answers with its `url`, or `e` why not.
 */
export type IpcControl =
  | { pm: 'ready' }
  | { pm: 'drained' }
  | { pm: 'open'; c: number }
  | { pm: 'close'; c: number }
  | { pm: 'listen'; t: string }
  | { pm: 'listening'; url: string | null; e: string | null }

/**
 * The direct job lane of `pool.run()`: `job` goes down (`j` its number, `i` its input), `done` (`v` the result) or
 * `fail` (`e` the error, `refused` when the worker would not take it) comes back. Lane messages written in the same
 * turn travel as one `{ pm: 'batch', b: [...] }` message: each IPC message costs a pipe write and a V8
 * (de)serialization on both ends, so 16 jobs in one message go ≈ 10× faster than 16 messages.
 */
export type IpcJob =
  | { pm: 'job'; j: number; i: unknown }
  | { pm: 'done'; j: number; v: unknown }
  | { pm: 'fail'; j: number; e: unknown; refused: boolean }

/** One RPC connection over the channel; hand it to `connect()` or `server.accept()` (typed as a `MessagePort`). */
export class IpcPort extends EventEmitter {
  #closed = false

  constructor(readonly channel: number, private readonly hub: IpcHub) {
    super()
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends one message (a `Uint8Array` of msgpack); dropped once closed. */
  postMessage(data: Uint8Array): void {
    if (!this.#closed) this.hub.write([this.channel, data])
  }

  /** Closes this connection only: tells the peer, then emits `'close'` (as a `MessagePort` does). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.hub.write({ pm: 'close', c: this.channel })
    this.hub.forget(this.channel)
    setImmediate(() => this.emit('close'))
  }

  /** @internal Bytes from the peer. */
  deliver(data: unknown): void {
    if (!this.#closed) this.emit('message', data)
  }

  /** @internal The peer closed it, or the whole channel went away. */
  ended(): void {
    if (this.#closed) return
    this.#closed = true
    this.hub.forget(this.channel)
    this.emit('close')
  }
}

/**
 * The connections and control messages of one IPC channel. The supervisor opens ports (`open()`); the worker
 * receives them (`onOpen`). Messages that are not ours (a user's `process.send`) are left alone.
 */
export class IpcHub {
  readonly #ports = new Map<number, IpcPort>()
  #next = 1
  #ended = false
  /** Lane messages waiting for the end of this turn (sent before anything else written after them). */
  #lane: IpcJob[] = []
  /** A port the peer opened (worker side). */
  onOpen: (port: IpcPort) => void = () => undefined
  /** A control message other than `open`/`close`. */
  onControl: (m: IpcControl) => void = () => undefined
  /** A message of the job lane. */
  onJob: (m: IpcJob) => void = () => undefined
  /** The channel is gone (the peer exited, or either side disconnected). */
  onEnd: () => void = () => undefined
  /**
   * A message the channel refused while still open (it could not be serialized, e.g. a `Uint8Array` over a detached
   * buffer): one message, a lane message alone (the rest of its batch was sent). The owner fails what it carried.
   */
  onSendError: (err: Error, m: unknown) => void = () => undefined
  readonly #onMessage = (m: unknown): void => this.#receive(m)
  readonly #flushSoon = (): void => this.#flushLane()
  readonly #onDisconnect = (): void => this.end()

  constructor(private readonly endpoint: IpcEndpoint) {
    endpoint.on('message', this.#onMessage)
    endpoint.on('disconnect', this.#onDisconnect)
  }

  get ended(): boolean {
    return this.#ended
  }

  /** Opens a new connection to the peer (supervisor side). */
  open(): IpcPort {
    const c = this.#next++
    const port = new IpcPort(c, this)
    this.#ports.set(c, port)
    this.write({ pm: 'open', c })
    if (this.#ended) port.ended()
    return port
  }

  /** Sends a control message; false when the channel is closed. */
  control(m: IpcControl): boolean {
    return this.write(m)
  }

  /**
   * Queues a job-lane message: the ones queued in this turn leave together at its end (a microtask), or before any
   * other message written meanwhile, so the channel keeps the order of writes. A closed channel drops them (the
   * peer's exit or the lost channel fails the jobs).
   */
  lane(m: IpcJob): void {
    if (this.#ended) return
    if (this.#lane.push(m) === 1) queueMicrotask(this.#flushSoon)
  }

  #flushLane(): void {
    if (this.#lane.length === 0) return
    const b = this.#lane
    this.#lane = []
    this.#send(b.length === 1 ? b[0] : { pm: 'batch', b })
  }

  /** @internal Sends anything over the channel, unless it is closed (a send on a closed channel would emit 'error'). */
  write(m: unknown): boolean {
    this.#flushLane()
    return this.#send(m)
  }

  #send(m: unknown): boolean {
    if (this.#ended || !this.endpoint.connected || this.endpoint.send === undefined) return false
    try {
      return this.endpoint.send(m)
    } catch (err) {
      // the channel closed under us: 'disconnect' follows and ends every job
      if (this.#ended || !this.endpoint.connected || closedChannel(err)) return false
      // the message could not be serialized (a value the channel cannot carry): in a batch, only its bad jobs fail
      const b = batchOf(m)
      if (b !== null) {
        for (const x of b) this.#send(x)
        return true
      }
      this.onSendError(err instanceof Error ? err : new Error(String(err)), m)
      return false
    }
  }

  /** @internal */
  forget(c: number): void {
    this.#ports.delete(c)
  }

  /** Closes every connection (as if the peer had) and stops listening. Idempotent. */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#lane = []
    this.endpoint.off('message', this.#onMessage)
    this.endpoint.off('disconnect', this.#onDisconnect)
    for (const p of [...this.#ports.values()]) p.ended()
    this.onEnd()
  }

  #job(m: unknown): void {
    if (typeof m !== 'object' || m === null) return
    const pm: unknown = (m as { pm?: unknown }).pm
    if ((pm === 'job' || pm === 'done' || pm === 'fail') && typeof (m as { j?: unknown }).j === 'number') {
      this.onJob(m as IpcJob)
    }
  }

  #receive(m: unknown): void {
    if (Array.isArray(m)) {
      if (m.length === 2 && typeof m[0] === 'number') this.#ports.get(m[0])?.deliver(m[1])
      return
    }
    if (typeof m !== 'object' || m === null) return
    const pm: unknown = (m as { pm?: unknown }).pm
    if (pm === 'job' || pm === 'done' || pm === 'fail') return this.#job(m)
    if (pm === 'batch') {
      const b: unknown = (m as { b?: unknown }).b
      if (Array.isArray(b)) for (const x of b) if (!this.#ended) this.#job(x)
      return
    }
    const c: unknown = (m as { c?: unknown }).c
    if (pm === 'open' && typeof c === 'number' && !this.#ports.has(c)) {
      const port = new IpcPort(c, this)
      this.#ports.set(c, port)
      this.onOpen(port)
    } else if (pm === 'close' && typeof c === 'number') {
      this.#ports.get(c)?.ended()
    } else if (pm === 'ready' || pm === 'drained') {
      this.onControl({ pm })
    } else if (pm === 'listen' && typeof (m as { t?: unknown }).t === 'string') {
      this.onControl({ pm, t: (m as { t: string }).t })
    } else if (pm === 'listening') {
      const { url, e } = m as { url?: unknown; e?: unknown }
      this.onControl({ pm, url: typeof url === 'string' ? url : null, e: typeof e === 'string' ? e : null })
    }
  }
}

/** The lane messages of a batch; null for any other message. */
function batchOf(m: unknown): unknown[] | null {
  if (typeof m !== 'object' || m === null || (m as { pm?: unknown }).pm !== 'batch') return null
  const b: unknown = (m as { b?: unknown }).b
  return Array.isArray(b) ? b : null
}

/** Whether a send failed because the channel is closed (not because of the message). */
function closedChannel(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ERR_IPC_CHANNEL_CLOSED' || code === 'EPIPE' || code === 'ERR_IPC_DISCONNECTED'
}
