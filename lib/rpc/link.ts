/**
 * A `Link` is one connection carrying messages, whatever the transport: a TCP socket (length-prefixed frames), a
 * WebSocket (one binary message each) or a worker_threads `MessagePort` (one msgpack `Uint8Array` per `postMessage`). It decodes and checks what arrives;
 * bad bytes never throw out of it: the link sends an `ERROR` (best effort), closes, and reports the error once
 * through `onClose`.
 */
import type { ConnectionOptions, TlsOptions } from 'node:tls'
import type { Socket } from 'node:net'
import type { MessagePort } from 'node:worker_threads'
import type { WebSocket } from 'ws'
import { decode, DEFAULT_MAX_FRAME, encode, encodeFrame, encodeOwned, FrameReader } from './codec.js'
import { RpcError } from './errors.js'
import { Msg, parseMessage, toWire, type Message } from './protocol.js'

/** Limits of one link. */
export interface LinkOptions {
  /** Largest accepted message in bytes (default 1 MiB); a longer frame closes the link. */
  maxFrame?: number
  /** Bytes queued for writing above which the peer counts as stalled and the link closes (default 16 MiB). */
  maxBuffered?: number
  /**
   * TLS for `tls://` and `wss://` addresses (`node:tls` options). Server: `key` and `cert` (required for those
   * schemes). Client: `ca` for a private CA or a self-signed certificate, `servername`, `rejectUnauthorized`…
   */
  tls?: TlsOptions & ConnectionOptions
}

type Handler = (m: Message) => void
type CloseHandler = (err: RpcError | null) => void

/** One connection; set `onMessage` and `onClose` before data can arrive (same tick as creation). */
export abstract class Link {
  onMessage: Handler = () => undefined
  onClose: CloseHandler = () => undefined
  #closed = false
  #settle: () => void = () => undefined
  /** Resolves once the transport is fully released (socket closed, port closed). */
  readonly done: Promise<void> = new Promise((resolve) => {
    this.#settle = resolve
  })
  protected readonly maxFrame: number
  protected readonly maxBuffered: number

  constructor(opts: LinkOptions) {
    this.maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME
    this.maxBuffered = opts.maxBuffered ?? 16 * 1024 * 1024
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends one message; a no-op once closed. A peer with more than `maxBuffered` bytes unread fails the link. */
  send(m: Message): void {
    if (this.#closed) return
    try {
      this.write(toWire(m))
    } catch (err) {
      this.fail(err instanceof RpcError ? err : new RpcError('ERR_RPC_NETWORK', `send failed: ${String(err)}`))
      return
    }
    const queued = this.backlog()
    if (queued > this.maxBuffered) {
      this.fail(new RpcError('ERR_RPC_SLOW_CONSUMER', `peer stalled with ${queued} bytes queued (limit ${this.maxBuffered})`))
    }
  }

  /** Closes on purpose, after a `BYE` with `reason`. */
  bye(reason: string): void {
    this.send({ type: Msg.Bye, reason })
    this.finish(null)
  }

  /** Closes because of `err`: tells the peer (`ERROR`, best effort), then reports `err` to `onClose`. */
  fail(err: RpcError): void {
    if (this.#closed) return
    try {
      this.write(toWire({ type: Msg.Error, code: err.code, message: err.message, id: null }))
    } catch {
      // the peer may already be gone
    }
    this.finish(err)
  }

  /** Bytes of one incoming message: decoded, checked and dispatched; anything wrong fails the link. */
  protected receive(bytes: Uint8Array): void {
    if (this.#closed) return
    let msg: Message | null
    try {
      msg = parseMessage(decode(bytes))
    } catch (err) {
      this.fail(err instanceof RpcError ? err : new RpcError('ERR_RPC_PROTOCOL', String(err)))
      return
    }
    if (msg === null) return // unknown type: ignored
    try {
      this.onMessage(msg)
    } catch (err) {
      this.fail(err instanceof RpcError ? err : new RpcError('ERR_RPC_PROTOCOL', `handler failed: ${String(err)}`,
        { cause: err }))
    }
  }

  /** Marks the link closed, releases the transport and calls `onClose` once. */
  protected finish(err: RpcError | null): void {
    if (this.#closed) return
    this.#closed = true
    this.release()
    this.onClose(err)
  }

  /** The transport is gone: resolves `done`. */
  protected settled(): void {
    this.#settle()
  }

  /** One whole message of a message-based transport (port, WebSocket): checked against `maxFrame`, then received. */
  protected receiveWhole(data: Uint8Array): void {
    if (data.length > this.maxFrame) {
      this.fail(new RpcError('ERR_RPC_FRAME_TOO_LARGE',
        `message of ${data.length} bytes exceeds the maximum of ${this.maxFrame}`))
      return
    }
    this.receive(data)
  }

  /** The transport closed: the link ends (unless it already had) and settles. */
  protected peerClosed(what: string): void {
    this.finish(new RpcError('ERR_RPC_CLOSED', `${what} closed by the peer`))
    this.settled()
  }

  protected abstract write(wire: unknown[]): void
  /** Bytes written but not yet taken by the peer (0 when the transport cannot tell). */
  protected abstract backlog(): number
  protected abstract release(): void
}

/**
 * A link over a `net.Socket` (TCP): 4-byte big-endian length prefix, then the msgpack body. Frames sent in one
 * macrotask go out in one socket write (flushed by `setImmediate`, or at once when the link closes): a burst of
 * diffs costs one system call, not one each. The bytes and their order are the same.
 */
export class SocketLink extends Link {
  readonly #reader: FrameReader
  /** Frames waiting for the end of this macrotask. */
  #out: Buffer[] = []
  #outBytes = 0
  #flushing = false
  /** For `setImmediate`: one per link, made on the first write (an idle client keeps no closure). */
  #flusher: (() => void) | null = null

  constructor(readonly socket: Socket, opts: LinkOptions = {}) {
    super(opts)
    this.#reader = new FrameReader(this.maxFrame)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[]
      try {
        frames = this.#reader.push(chunk)
      } catch (err) {
        this.fail(err as RpcError)
        return
      }
      for (const f of frames) this.receive(f)
    })
    socket.on('error', (err) => this.finish(new RpcError('ERR_RPC_NETWORK', `socket error: ${err.message}`,
      { cause: err })))
    socket.on('close', () => this.peerClosed('connection'))
  }

  protected write(wire: unknown[]): void {
    const frame = encodeFrame(wire)
    this.#out.push(frame)
    this.#outBytes += frame.length
    if (!this.#flushing) {
      this.#flushing = true
      setImmediate(this.#flusher ??= () => this.#flush())
    }
  }

  /** Writes the frames of this macrotask as one buffer. */
  #flush(): void {
    this.#flushing = false
    const out = this.#out
    if (out.length === 0) return
    const bytes = this.#outBytes
    this.#out = []
    this.#outBytes = 0
    if (!this.socket.destroyed) this.socket.write(out.length === 1 ? out[0] as Buffer : Buffer.concat(out, bytes))
  }

  protected backlog(): number {
    return this.socket.writableLength + this.#outBytes
  }

  protected release(): void {
    // flushes what is queued (a final ERROR or BYE), then closes without waiting for the peer; a peer that does not
    // read is cut off at once (stalled) or after a second
    if (this.backlog() <= this.maxBuffered) this.#flush()
    if (this.backlog() > this.maxBuffered) {
      this.socket.destroy()
      return
    }
    this.socket.destroySoon()
    const t = setTimeout(() => this.socket.destroy(), 1000)
    t.unref()
    this.socket.once('close', () => clearTimeout(t))
  }
}

/** A link over a worker_threads `MessagePort`: each message is one msgpack `Uint8Array`. */
export class PortLink extends Link {
  constructor(readonly port: MessagePort, opts: LinkOptions = {}) {
    super(opts)
    port.on('message', (data: unknown) => {
      if (!(data instanceof Uint8Array)) {
        this.fail(new RpcError('ERR_RPC_PROTOCOL', 'a port message must be a Uint8Array of msgpack'))
        return
      }
      this.receiveWhole(data)
    })
    port.on('close', () => this.peerClosed('port'))
  }

  protected write(wire: unknown[]): void {
    this.port.postMessage(encodeOwned(wire))
  }

  protected backlog(): number {
    return 0
  }

  protected release(): void {
    this.port.close()
  }
}

/** A link over a WebSocket (`ws`): one binary message per protocol message, no length prefix. */
export class WsLink extends Link {
  constructor(readonly ws: WebSocket, opts: LinkOptions = {}) {
    super(opts)
    ws.binaryType = 'nodebuffer'
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.fail(new RpcError('ERR_RPC_PROTOCOL', 'a WebSocket message must be binary msgpack'))
        return
      }
      this.receiveWhole(data)
    })
    ws.on('error', (err: Error) => {
      const tooLarge = /max payload|too big|1009/i.test(err.message)
      this.finish(new RpcError(tooLarge ? 'ERR_RPC_FRAME_TOO_LARGE' : 'ERR_RPC_NETWORK', `WebSocket error: ${err.message}`,
        { cause: err }))
    })
    ws.on('close', () => this.peerClosed('connection'))
  }

  protected write(wire: unknown[]): void {
    this.ws.send(encode(wire), { binary: true })
  }

  protected backlog(): number {
    return this.ws.bufferedAmount
  }

  protected release(): void {
    // the closing handshake flushes what is queued; a peer that never answers it is cut off after a second
    if (this.backlog() > this.maxBuffered) {
      this.ws.terminate()
      return
    }
    this.ws.close(1000)
    const t = setTimeout(() => this.ws.terminate(), 1000)
    t.unref()
    this.ws.once('close', () => clearTimeout(t))
  }
}
