/**
 * RPC addresses: `tcp://host:port` (port 0 = any free port).
 */
import { InvalidArgumentError } from '../machine/index.js'

/** A parsed `tcp://` address. */
export interface TcpAddress {
  host: string
  port: number
}

/**
 * Parses `tcp://host:port`; throws `InvalidArgumentError` for anything else.
 *
 * ```ts
 * parseTcpUrl('tcp://127.0.0.1:0', 'serve()') // { host: '127.0.0.1', port: 0 }
 * ```
 */
export function parseTcpUrl(url: unknown, where: string): TcpAddress {
  const bad = (): never => {
    throw new InvalidArgumentError(where, 'url', "a 'tcp://host:port' address", url)
  }
  if (typeof url !== 'string') return bad()
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return bad()
  }
  if (u.protocol !== 'tcp:' || u.hostname === '' || u.port === '') return bad()
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
  return { host, port: Number(u.port) }
}

/** Formats a bound address as a `tcp://` URL. */
export function formatTcpUrl(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`
}
