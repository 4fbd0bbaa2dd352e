/**
 * The wire encoding: plain msgpack (msgpackr with records, extensions and bundled strings off, so any msgpack decoder
 * reads it) and, on byte streams, a 4-byte big-endian length prefix before each message.
 */
import { Packr } from 'msgpackr'
import { OutOfRangeError } from '../machine/index.js'
import { RpcError } from './errors.js'

/** Default largest accepted frame (the message, without its 4-byte prefix): 1 MiB. */
export const DEFAULT_MAX_FRAME = 1024 * 1024

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  bundleStrings: false,
  structuredClone: false,
  mapsAsObjects: true,
  variableMapSize: true,
  encodeUndefinedAsNil: true,
  int64AsType: 'number',
})

/**
 * Encodes one message as msgpack bytes (a fresh buffer the caller may keep).
 *
 * ```ts
 * encode([10, 1]) // <Buffer 92 0a 01>: PING 1
 * ```
 */
export function encode(msg: unknown): Buffer {
  return Buffer.from(packr.pack(msg))
}

/**
 * Encodes one message into a `Uint8Array` that owns an exact-size ArrayBuffer, for `postMessage`: a Buffer from
 * `encode` may be a view into Node's shared 8 KB pool, and structured clone copies the whole pool on every send.
 */
export function encodeOwned(msg: unknown): Uint8Array {
  return new Uint8Array(packr.pack(msg))
}

/** Encodes one message with its 4-byte big-endian length prefix, ready for a stream. */
export function encodeFrame(msg: unknown): Buffer {
  const body = packr.pack(msg)
  const frame = Buffer.allocUnsafe(4 + body.length)
  frame.writeUInt32BE(body.length, 0)
  body.copy(frame, 4)
  return frame
}

/**
 * Decodes one message's bytes. Throws `RpcError` `ERR_RPC_PROTOCOL` for anything that is not exactly one msgpack
 * value (bad bytes, trailing bytes, nesting too deep for the stack) — never another error.
 */
export function decode(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new RpcError('ERR_RPC_PROTOCOL', 'empty message')
  try {
    return packr.unpack(bytes as Buffer)
  } catch (err) {
    throw new RpcError('ERR_RPC_PROTOCOL', `undecodable msgpack (${bytes.length} bytes)`, { cause: err })
  }
}

/**
 * Splits a byte stream into frames. `push(chunk)` returns the complete message bodies received so far; a length
 * over `maxFrame` (or 0) throws `RpcError` at once, before the body is buffered.
 *
 * ```ts
 * const frames = new FrameReader(1024)
 * frames.push(encodeFrame([10, 1])) // [<Buffer 92 0a 01>]
 * ```
 */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0)

  constructor(readonly maxFrame: number = DEFAULT_MAX_FRAME) {
    if (typeof maxFrame !== 'number' || !Number.isInteger(maxFrame) || maxFrame < 1) {
      throw new OutOfRangeError('new FrameReader()', 'maxFrame', 'an integer ≥ 1', maxFrame)
    }
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.#buf.length
  }

  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    const out: Buffer[] = []
    let off = 0
    while (this.#buf.length - off >= 4) {
      const len = this.#buf.readUInt32BE(off)
      if (len === 0) throw new RpcError('ERR_RPC_PROTOCOL', 'zero-length frame')
      if (len > this.maxFrame) {
        throw new RpcError('ERR_RPC_FRAME_TOO_LARGE', `frame of ${len} bytes exceeds the maximum of ${this.maxFrame}`)
      }
      if (this.#buf.length - off - 4 < len) break
      out.push(this.#buf.subarray(off + 4, off + 4 + len))
      off += 4 + len
    }
    this.#buf = off === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(off)
    return out
  }
}
