/**
 * The debugger protocol's messages (docs/protocol-dbg.md is the reference). Every message is a msgpack array whose
 * first element is its type; fields follow by position. A receiver ignores trailing elements and whole messages of
 * types it does not know. `parseDbgMessage` checks the shape of what came off the wire and never throws.
 */

/** Protocol version spoken by this implementation. */
export const DBG_PROTOCOL_VERSION = 1

/** Message type numbers (element 0 of every message). */
export const DbgMsg = { Hello: 1, Schema: 2, Tx: 3, Dispose: 4, Batch: 5 } as const

/** `TX` mutation field: 0 add, 1 remove, 2 set. */
export const DbgMutation = { add: 0, remove: 1, set: 2 } as const
export type DbgMutationName = keyof typeof DbgMutation
const MUTATION_NAMES: readonly DbgMutationName[] = ['add', 'remove', 'set']

/** `TX` result field: 0 executed, 1 canceled, 2 queued (the mutation waits in the queue; a later `TX` runs it). */
export const DbgResult = { executed: 0, canceled: 1, queued: 2 } as const
export type DbgResultName = keyof typeof DbgResult
const RESULT_NAMES: readonly DbgResultName[] = ['executed', 'canceled', 'queued']

/** `TX` flags: 1 auto, 2 check (`canAdd`/`canRemove`), 4 the clock field is the full clock (else index/tick pairs). */
export const DbgFlag = { auto: 1, check: 2, fullClock: 4 } as const

/** One state of a `SCHEMA`: name, flags (1 auto, 2 multi), relations as state indexes, the state's tags. */
export type DbgWireState = [name: string, flags: number, require: number[], add: number[], remove: number[],
  after: number[], tags: string[]]

/** machine → debugger, first on each connection. */
export interface DbgHello { type: 1; version: number; name: string; pid: number }

/** A machine's schema and its clock when it was captured. Sent once per machine per connection, before its `TX`s. */
export interface DbgSchema {
  type: 2; machineId: string; parentId: string | null; tags: string[]; states: DbgWireState[]; time: number[]
  queueTick: number
}

/** One transition (or one queued mutation, result `queued`). */
export interface DbgTx {
  type: 3
  machineId: string
  /** Per machine, from 1, shared by transitions and queued records. */
  txId: number
  mutation: DbgMutationName
  called: number[]
  result: DbgResultName
  flags: number
  /** With `DbgFlag.fullClock`: every tick; otherwise `[index, tick, index, tick, …]` that changed. */
  clock: number[]
  queueTick: number
  queueLen: number
  /** `[targets, enters, exits]` as state indexes; null for a queued record. */
  steps: [number[], number[], number[]] | null
  canceledBy: string | null
  args: Record<string, string> | null
  /** The transition that made this mutation (machine id, tx id), when it was made inside one of its handlers. */
  source: [string, number] | null
  /** Wall clock, ms since the epoch. */
  at: number
}

/** The machine was disposed. */
export interface DbgDispose { type: 4; machineId: string }

/** Several messages in one WebSocket message; `dropped` counts those the sender's outbox lost since the last one. */
export interface DbgBatch { type: 5; dropped: number; messages: DbgMessage[] }

export type DbgMessage = DbgHello | DbgSchema | DbgTx | DbgDispose | DbgBatch

/** Converts a message to its wire array (what gets msgpack-encoded). */
export function dbgToWire(m: DbgMessage): unknown[] {
  switch (m.type) {
    case 1: return [1, m.version, m.name, m.pid]
    case 2: return [2, m.machineId, m.parentId, m.tags, m.states, m.time, m.queueTick]
    case 3: return [3, m.machineId, m.txId, DbgMutation[m.mutation], m.called, DbgResult[m.result], m.flags, m.clock,
      m.queueTick, m.queueLen, m.steps, m.canceledBy, m.args, m.source, m.at]
    case 4: return [4, m.machineId]
    case 5: return [5, m.dropped, m.messages.map(dbgToWire)]
  }
}

const MAX_LIST = 65_536
const MAX_STR = 4096

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_STR
const isUints = (v: unknown): v is number[] => Array.isArray(v) && v.length <= MAX_LIST && v.every(isUint)
const isStrs = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_LIST && v.every(isStr)
const nil = (v: unknown): boolean => v === null || v === undefined

function isWireState(v: unknown): v is DbgWireState {
  if (!Array.isArray(v) || v.length < 6) return false
  const [name, flags, req, add, rem, after, tags] = v as unknown[]
  return isStr(name) && isUint(flags) && isUints(req) && isUints(add) && isUints(rem) && isUints(after) &&
    (nil(tags) || isStrs(tags))
}

function isArgs(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const keys = Object.keys(v)
  return keys.length <= 256 && keys.every((k) => isStr((v as Record<string, unknown>)[k]))
}

/**
 * Checks a decoded message; returns it typed, or null when it is not a message this version knows (an unknown type,
 * a bad shape). Trailing elements are ignored.
 *
 * ```ts
 * parseDbgMessage([4, 'm1']) // { type: 4, machineId: 'm1' }
 * parseDbgMessage([4, 7])    // null
 * ```
 */
export function parseDbgMessage(v: unknown, depth = 0): DbgMessage | null {
  if (!Array.isArray(v) || v.length === 0) return null
  const a = v as unknown[]
  switch (a[0]) {
    case 1:
      return isUint(a[1]) && isStr(a[2]) && isUint(a[3]) ? { type: 1, version: a[1], name: a[2], pid: a[3] } : null
    case 2: {
      const [, id, parent, tags, states, time, qt] = a
      if (!isStr(id) || !(nil(parent) || isStr(parent)) || !isStrs(tags) || !Array.isArray(states) ||
        states.length > MAX_LIST || !states.every(isWireState) || !isUints(time) || time.length !== states.length ||
        !isUint(qt)) return null
      const norm = states.map((s): DbgWireState => [s[0], s[1], s[2], s[3], s[4], s[5], s[6] ?? []])
      if (norm.some((s) => [...s[2], ...s[3], ...s[4], ...s[5]].some((i) => i >= norm.length))) return null
      return { type: 2, machineId: id, parentId: (parent as string | null | undefined) ?? null, tags, states: norm,
        time, queueTick: qt }
    }
    case 3: return parseTx(a)
    case 4: return isStr(a[1]) ? { type: 4, machineId: a[1] } : null
    case 5: {
      if (depth > 0 || !isUint(a[1]) || !Array.isArray(a[2]) || a[2].length > MAX_LIST) return null
      const messages: DbgMessage[] = []
      for (const m of a[2] as unknown[]) {
        const p = parseDbgMessage(m, depth + 1)
        if (p) messages.push(p)
      }
      return { type: 5, dropped: a[1], messages }
    }
    default:
      return null
  }
}

function parseTx(a: unknown[]): DbgTx | null {
  const [, id, txId, mut, called, res, flags, clock, qt, ql, steps, canceledBy, args, source, at] = a
  if (!isStr(id) || !isUint(txId) || !isUint(mut) || mut > 2 || !isUints(called) || !isUint(res) || res > 2 ||
    !isUint(flags) || !isUints(clock) || !isUint(qt) || !isUint(ql) || !isUint(at)) return null
  if (!(flags & DbgFlag.fullClock) && clock.length % 2 !== 0) return null
  let st: DbgTx['steps'] = null
  if (!nil(steps)) {
    if (!Array.isArray(steps) || steps.length < 3 || !steps.slice(0, 3).every(isUints)) return null
    st = [steps[0] as number[], steps[1] as number[], steps[2] as number[]]
  }
  if (!(nil(canceledBy) || isStr(canceledBy)) || !(nil(args) || isArgs(args))) return null
  let src: DbgTx['source'] = null
  if (!nil(source)) {
    if (!Array.isArray(source) || !isStr(source[0]) || !isUint(source[1])) return null
    src = [source[0], source[1]]
  }
  return {
    type: 3, machineId: id, txId, mutation: MUTATION_NAMES[mut] as DbgMutationName, called,
    result: RESULT_NAMES[res] as DbgResultName, flags, clock, queueTick: qt, queueLen: ql, steps: st,
    canceledBy: (canceledBy as string | null | undefined) ?? null, args: (args as Record<string, string> | null | undefined) ?? null,
    source: src, at,
  }
}
