/**
 * The debugger's WebSocket server: machines' tracers connect to it and their messages go into a {@link Session}.
 * Each binary WebSocket message is one protocol message (usually a BATCH); anything that does not decode closes
 * that connection only.
 */
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { decode } from '../../lib/rpc/index.js'
import { parseDbgMessage } from '../../lib/telemetry/index.js'
import type { Session } from './session.js'

export interface DbgServerOptions {
  host?: string
  /** 0 picks a free port. Default 6831. */
  port?: number
  /** Largest accepted WebSocket message. Default 16 MiB. */
  maxPayload?: number
}

/** A listening debugger server. */
export interface DbgServer {
  /** `ws://host:port`, the address tracers connect to. */
  readonly url: string
  /** Connections now. */
  readonly clients: number
  /** Resolves when no connection is open and at least one came and went (for `--dump` without `--import`). */
  allGone(): Promise<void>
  close(): Promise<void>
}

/**
 * Starts a server feeding `session`.
 *
 * ```ts
 * const server = await listen(new Session(), { port: 0 })
 * attachDebugger(mach, { url: server.url })
 * ```
 */
export function listen(session: Session, opts: DbgServerOptions = {}): Promise<DbgServer> {
  const host = opts.host ?? '127.0.0.1'
  const wss = new WebSocketServer({ host, port: opts.port ?? 6831, perMessageDeflate: false,
    maxPayload: opts.maxPayload ?? 16 * 1024 * 1024 })
  let next = 0
  let seen = 0
  const open = new Set<WebSocket>()
  let waiters: Array<() => void> = []
  const settle = (): void => {
    if (open.size > 0 || seen === 0) return
    const w = waiters
    waiters = []
    for (const f of w) f()
  }
  wss.on('connection', (ws) => {
    const id = `c${++next}`
    seen++
    open.add(ws)
    session.open(id)
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'binary messages only')
        return
      }
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
      let msg
      try {
        msg = parseDbgMessage(decode(buf))
      } catch {
        ws.close(1007, 'not msgpack')
        return
      }
      // a message of an unknown type (a newer sender) is skipped
      if (msg) session.ingest(id, msg)
    })
    ws.on('error', () => undefined)
    ws.on('close', () => {
      open.delete(ws)
      session.close(id)
      settle()
    })
  })
  return new Promise((resolve, reject) => {
    wss.once('error', reject)
    wss.once('listening', () => {
      wss.off('error', reject)
      wss.on('error', () => undefined)
      const addr = wss.address() as AddressInfo
      resolve({
        url: `ws://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`,
        get clients() {
          return open.size
        },
        allGone: () => new Promise<void>((res) => {
          waiters.push(res)
          settle()
        }),
        close: () => new Promise<void>((res) => {
          for (const ws of open) ws.terminate()
          wss.close(() => res())
        }),
      })
    })
  })
}
