/**
 * Session files: export writes protocol messages with full clocks (a `SCHEMA` per machine, every record as a `TX`,
 * a `DISPOSE` per disposed machine), import ingests them into a fresh session. Two encodings, by file extension:
 * `.jsonl` (one JSON array per line) and anything else msgpack (each message with a 4-byte big-endian length
 * prefix, as the RPC protocol's TCP framing).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { decode, encode, FrameReader } from '../../lib/rpc/index.js'
import { DbgFlag, dbgToWire, parseDbgMessage, type DbgMessage } from '../../lib/telemetry/index.js'
import { Session } from './session.js'

/** The session as protocol messages, replayable by `Session.ingest` (clocks are full, so no connection state). */
export function sessionMessages(s: Session): DbgMessage[] {
  const out: DbgMessage[] = [{ type: 1, version: 1, name: 'polymachine-dbg export', pid: 0 }]
  const index = new Map<string, Map<string, number>>()
  for (const m of s.machines.values()) {
    const ix = new Map(m.states.map((st, i) => [st.name, i]))
    index.set(m.id, ix)
    const list = (l: readonly string[]): number[] => l.map((n) => ix.get(n) ?? 0)
    out.push({
      type: 2, machineId: m.id, parentId: m.parentId, tags: [...m.tags], queueTick: 0, time: [...m.initialTime],
      states: m.states.map((st) => [st.name, (st.auto ? 1 : 0) | (st.multi ? 2 : 0), list(st.require), list(st.add),
        list(st.remove), list(st.after), [...st.tags]]),
    })
  }
  for (const r of s.log) {
    const ix = index.get(r.machineId) ?? new Map<string, number>()
    const list = (l: readonly string[]): number[] => l.map((n) => ix.get(n) ?? 0)
    out.push({
      type: 3, machineId: r.machineId, txId: r.txId, mutation: r.mutation, called: list(r.called), result: r.result,
      flags: (r.auto ? DbgFlag.auto : 0) | (r.check ? DbgFlag.check : 0) | (r.result === 'queued' ? 0 : DbgFlag.fullClock),
      clock: r.result === 'queued' ? [] : [...r.time], queueTick: r.queueTick, queueLen: r.queueLen,
      steps: r.result === 'queued' ? null : [list(r.targets), list(r.enters), list(r.exits)], canceledBy: r.canceledBy,
      args: r.args ? { ...r.args } : null, source: r.source ? [r.source[0], r.source[1]] : null, at: r.at,
    })
  }
  for (const m of s.machines.values()) if (m.disposed) out.push({ type: 4, machineId: m.id })
  return out
}

/** Writes the session to `path` (`.jsonl`: JSON lines; otherwise framed msgpack). */
export async function exportSession(s: Session, path: string): Promise<void> {
  const msgs = sessionMessages(s).map(dbgToWire)
  if (path.endsWith('.jsonl')) {
    await writeFile(path, msgs.map((m) => JSON.stringify(m)).join('\n') + '\n')
    return
  }
  const bufs = msgs.map((m) => {
    const body = encode(m)
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32BE(body.length, 0)
    return Buffer.concat([head, body])
  })
  await writeFile(path, Buffer.concat(bufs))
}

/** Parses a session file's bytes into messages; throws an Error naming the line or frame that is not a message. */
export function parseSessionFile(bytes: Buffer, jsonl: boolean): DbgMessage[] {
  const raw: unknown[] = []
  if (jsonl) {
    bytes.toString('utf8').split('\n').forEach((line, i) => {
      if (line.trim() === '') return
      try {
        raw.push(JSON.parse(line))
      } catch {
        throw new Error(`line ${i + 1}: not JSON`)
      }
    })
  } else {
    const frames = new FrameReader(64 * 1024 * 1024).push(bytes)
    for (const f of frames) raw.push(decode(f))
  }
  const out: DbgMessage[] = []
  raw.forEach((r, i) => {
    const m = parseDbgMessage(r)
    if (!m) throw new Error(`message ${i + 1}: not a debugger protocol message`)
    out.push(m)
  })
  return out
}

/** Reads a session file into a new session (or `into`). */
export async function importSession(path: string, into: Session = new Session()): Promise<Session> {
  const msgs = parseSessionFile(await readFile(path), path.endsWith('.jsonl'))
  for (const m of msgs) into.ingest(`file:${path}`, m)
  return into
}
