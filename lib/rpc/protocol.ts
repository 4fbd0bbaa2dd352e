/**
 * The RPC messages (docs/protocol-rpc.md is the reference). Every message is a msgpack array whose first element is
 * its type; fields follow by position, and trailing elements a receiver does not know are ignored, as are whole
 * messages of unknown types (forward compatibility). `parseMessage` checks the shape of what came off the wire.
 */
import { RpcError } from './errors.js'
import { traceContextOf, type RemoteTraceContext } from './trace-context.js'

/** Protocol version spoken by this implementation; a peer with another major version is refused. */
export const PROTOCOL_VERSION = 1

/** Message type numbers (element 0 of every message). */
export const Msg = {
  Hello: 1,
  Welcome: 2,
  Sync: 3,
  Clock: 4,
  Diff: 5,
  Mutate: 6,
  Reply: 7,
  Error: 8,
  Bye: 9,
  Ping: 10,
  Pong: 11,
  Watch: 12,
  Matched: 13,
  Unwatch: 14,
  Payload: 15,
  Cancel: 16,
} as const

/** Mutation kinds of a `MUTATE` message; `CanAdd`/`CanRemove` are dry runs on the source (nothing changes). */
export const MutationKind = { Add: 0, Remove: 1, Set: 2, Toggle: 3, AddErr: 4, CanAdd: 5, CanRemove: 6 } as const
export type MutationKind = (typeof MutationKind)[keyof typeof MutationKind]

/** One state of a transferred schema: name, flags (1 auto, 2 multi), relation lists as state indexes. */
export type WireState = [name: string, flags: number, require: number[], add: number[], remove: number[], after: number[]]

/** client → server: first message; `schemaHash` set when the client already has the schema. */
export interface Hello {
  type: 1; version: number; clientId: string; token: string | null; schemaHash: string | null; wantSchema: boolean
  /** Optional, trailing: the id of the machine wanted from a mux serving several on one address. */
  machine?: string | null
}
/** server → client: handshake accepted; the full clock, and the schema when asked for. */
export interface Welcome {
  type: 2; version: number; serverId: string; sourceId: string; schemaHash: string; schema: WireState[] | null
  time: number[]; queueTick: number; err?: string | null
}
/** client → server: send me the full clock (after a checksum mismatch). */
export interface Sync { type: 3 }
/**
 * `err` (optional, trailing, on `WELCOME`, `CLOCK`, `DIFF`, `REPLY`): the source's error text, sent when the message
 * leaves `Exception` active with a tick the client has not seen.
 */
/** server → client: the full clock. */
export interface Clock { type: 4; time: number[]; queueTick: number; err?: string | null }
/** server → client: changed ticks as flat `[index, tick, index, tick…]` pairs, the queue tick and the checksum after. */
export interface Diff { type: 5; pairs: number[]; queueTick: number; checksum: number; err?: string | null }
/** client → server: a mutation request. */
export interface Mutate {
  type: 6; id: number; kind: MutationKind; states: number[]; args: Record<string, unknown> | null
  error: { name: string; message: string } | null
  /**
   * Optional, trailing: the caller's W3C trace context (`traceparent`, then `tracestate`). A malformed one reads as
   * null: it never fails the mutation.
   */
  trace?: RemoteTraceContext | null
}
/** server → client: a mutation's result and the diff that made it. */
export interface Reply {
  type: 7; id: number; result: number; pairs: number[]; queueTick: number; checksum: number; err?: string | null
}
/** either way: a failure; with `id`, the answer to that request; without, the connection closes after it. */
export interface ErrorMsg { type: 8; code: string; message: string; id: number | null }
/** either way: closing on purpose. */
export interface Bye { type: 9; reason: string }
export interface Ping { type: 10; n: number }
export interface Pong { type: 11; n: number }
/** client → server: tell me when `state` is activated with args containing every key of `args` (`===`). */
export interface Watch { type: 12; id: number; state: number; args: Record<string, unknown> }
/** server → client: watch `id` matched (sent after the diff that activated the state); the watch is gone. */
export interface Matched { type: 13; id: number }
/** client → server: forget watch `id`. */
export interface Unwatch { type: 14; id: number }

/** server → client: data the server's owner sent (`server.send(name, data)`), plain msgpack. */
export interface Payload { type: 15; name: string; data: unknown }
/** client → server: the client gave up on `MUTATE` `id` (deadline, abort): drop it if the source has not run it. */
export interface Cancel { type: 16; id: number }

export type Message = Hello | Welcome | Sync | Clock | Diff | Mutate | Reply | ErrorMsg | Bye | Ping | Pong | Watch | Matched
  | Unwatch | Payload | Cancel

/** Largest number of states (and of relation entries per list) a message may carry. */
export const MAX_STATES = 65_536
const MAX_STRING = 4096

/** Encodes a message as its wire array. */
export function toWire(m: Message): unknown[] {
  switch (m.type) {
    case 1: return [1, m.version, m.clientId, m.token, m.schemaHash, m.wantSchema, ...tail(m.machine ?? null)]
    case 2: return [2, m.version, m.serverId, m.sourceId, m.schemaHash, m.schema, m.time, m.queueTick, ...tail(m.err ?? null)]
    case 3: return [3]
    case 4: return [4, m.time, m.queueTick, ...tail(m.err ?? null)]
    case 5: return [5, m.pairs, m.queueTick, m.checksum, ...tail(m.err ?? null)]
    case 6: {
      const w: unknown[] = [6, m.id, m.kind, m.states, m.args, m.error ? [m.error.name, m.error.message] : null]
      if (m.trace) w.push(m.trace.traceparent, ...(m.trace.tracestate === undefined ? [] : [m.trace.tracestate]))
      return w
    }
    case 7: return [7, m.id, m.result, m.pairs, m.queueTick, m.checksum, ...tail(m.err ?? null)]
    case 8: return [8, m.code, m.message, m.id]
    case 9: return [9, m.reason]
    case 10: return [10, m.n]
    case 11: return [11, m.n]
    case 12: return [12, m.id, m.state, m.args]
    case 13: return [13, m.id]
    case 14: return [14, m.id]
    case 15: return [15, m.name, m.data]
    case 16: return [16, m.id]
  }
}

/**
 * Reads a decoded value as a message: `null` for an unknown type (to be ignored), throws `RpcError`
 * `ERR_RPC_PROTOCOL` for a known type with a bad shape or anything that is not a message at all.
 *
 * ```ts
 * parseMessage([10, 7])  // { type: 10, n: 7 }
 * parseMessage([99, 'x']) // null: a newer peer's message
 * ```
 */
export function parseMessage(v: unknown): Message | null {
  if (!Array.isArray(v) || v.length === 0) fail('a message must be a non-empty array')
  const a = v as unknown[]
  const type = a[0]
  if (!isUint(type)) fail('the message type must be an unsigned integer')
  switch (type) {
    case 1: return { type, version: uint(a[1], 'version'), clientId: str(a[2], 'clientId'),
      token: optStr(a[3], 'token'), schemaHash: optStr(a[4], 'schemaHash'), wantSchema: bool(a[5], 'wantSchema'),
      machine: optStr(a[6], 'machine') }
    case 2: return { type, version: uint(a[1], 'version'), serverId: str(a[2], 'serverId'),
      sourceId: str(a[3], 'sourceId'), schemaHash: str(a[4], 'schemaHash'),
      schema: a[5] === null || a[5] === undefined ? null : wireSchema(a[5]), time: uints(a[6], 'time'),
      queueTick: uint(a[7], 'queueTick'), err: optStr(a[8], 'err') }
    case 3: return { type }
    case 4: return { type, time: uints(a[1], 'time'), queueTick: uint(a[2], 'queueTick'), err: optStr(a[3], 'err') }
    case 5: return { type, pairs: pairs(a[1]), queueTick: uint(a[2], 'queueTick'), checksum: uint(a[3], 'checksum'),
      err: optStr(a[4], 'err') }
    case 6: return { type, id: uint(a[1], 'id'), kind: kind(a[2]), states: uints(a[3], 'states'), args: args(a[4]),
      error: errInfo(a[5]), trace: a.length > 6 ? traceContextOf({ traceparent: a[6], tracestate: a[7] }) : null }
    case 7: return { type, id: uint(a[1], 'id'), result: uint(a[2], 'result'), pairs: pairs(a[3]),
      queueTick: uint(a[4], 'queueTick'), checksum: uint(a[5], 'checksum'), err: optStr(a[6], 'err') }
    case 8: return { type, code: str(a[1], 'code'), message: str(a[2], 'message'),
      id: a[3] === null || a[3] === undefined ? null : uint(a[3], 'id') }
    case 9: return { type, reason: a[1] === undefined || a[1] === null ? '' : str(a[1], 'reason') }
    case 10: return { type, n: uint(a[1], 'n') }
    case 11: return { type, n: uint(a[1], 'n') }
    case 12: return { type, id: uint(a[1], 'id'), state: uint(a[2], 'state'), args: args(a[3]) ?? {} }
    case 13: return { type, id: uint(a[1], 'id') }
    case 14: return { type, id: uint(a[1], 'id') }
    case 15: return { type, name: str(a[1], 'name'), data: plain(a[2]) }
    case 16: return { type, id: uint(a[1], 'id') }
    default: return null
  }
}

/** The optional trailing `err` field: sent only when set, so messages without it keep their version-1 bytes. */
function tail(err: string | null): string[] {
  return err === null ? [] : [err]
}

function fail(what: string): never {
  throw new RpcError('ERR_RPC_PROTOCOL', `malformed message: ${what}`)
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function uint(v: unknown, field: string): number {
  if (!isUint(v)) fail(`${field} must be an unsigned integer`)
  return v
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length > MAX_STRING) fail(`${field} must be a string of at most ${MAX_STRING} chars`)
  return v
}

function optStr(v: unknown, field: string): string | null {
  return v === null || v === undefined ? null : str(v, field)
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') fail(`${field} must be a boolean`)
  return v
}

function uints(v: unknown, field: string): number[] {
  if (!Array.isArray(v) || v.length > MAX_STATES) fail(`${field} must be an array of at most ${MAX_STATES}`)
  for (const x of v) if (!isUint(x)) fail(`${field} must hold unsigned integers`)
  return v as number[]
}

function pairs(v: unknown): number[] {
  const p = uints(v, 'pairs')
  if (p.length % 2 !== 0) fail('pairs must have an even length')
  return p
}

function kind(v: unknown): MutationKind {
  if (!isUint(v) || v > 6) fail('kind must be 0..6')
  return v as MutationKind
}

function args(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) fail('args must be a map')
  const why = plainDataProblem(v, false)
  if (why !== null) fail(`args: ${why}`)
  return v as Record<string, unknown>
}

/**
 * Why `v` is not plain msgpack data (nil, bool, numbers, strings, bin, arrays, string-keyed maps, at most 32 deep),
 * or null when it is. `undefined` (sent as nil) is allowed when `allowUndefined`. Reads only own enumerable data.
 */
export function plainDataProblem(v: unknown, allowUndefined: boolean, depth = 0): string | null {
  if (depth > 32) return 'nested deeper than 32'
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return null
  if (v === undefined) return allowUndefined ? null : 'undefined is not msgpack'
  if (typeof v !== 'object') return `a ${typeof v} is not plain data`
  if (v instanceof Uint8Array) return null
  if (Array.isArray(v)) {
    for (const x of v) {
      const why = plainDataProblem(x, allowUndefined, depth + 1)
      if (why !== null) return why
    }
    return null
  }
  const proto: unknown = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return 'only plain objects are plain data (no class instances)'
  for (const key of Object.keys(v)) {
    if (key === '__proto__') return 'a __proto__ key is not allowed'
    const desc = Object.getOwnPropertyDescriptor(v, key)
    if (desc === undefined || !('value' in desc)) return `key '${key}' is an accessor`
    const why = plainDataProblem(desc.value, allowUndefined, depth + 1)
    if (why !== null) return why
  }
  return null
}

function plain(v: unknown): unknown {
  const why = plainDataProblem(v, true)
  if (why !== null) fail(`data: ${why}`)
  return v ?? null
}

function errInfo(v: unknown): { name: string; message: string } | null {
  if (v === null || v === undefined) return null
  if (!Array.isArray(v)) fail('error must be [name, message]')
  return { name: str(v[0], 'error name'), message: str(v[1], 'error message') }
}

function wireSchema(v: unknown): WireState[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_STATES) fail('schema must be a non-empty array')
  return v.map((s: unknown) => {
    if (!Array.isArray(s)) fail('a schema state must be an array')
    return [str(s[0], 'state name'), uint(s[1], 'flags'), uints(s[2] ?? [], 'require'), uints(s[3] ?? [], 'add'),
      uints(s[4] ?? [], 'remove'), uints(s[5] ?? [], 'after')] as WireState
  })
}
