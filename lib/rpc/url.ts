/**
 * RPC addresses: `tcp://host:port`, `ws://host:port/path` and their TLS forms `tls://host:port`,
 * `wss://host:port/path` (port 0 = any free port, when serving).
 */
import { InvalidArgumentError } from '../machine/index.js'

/** A parsed address. `path` is `/…` for WebSocket, empty for TCP. */
export interface RpcAddress {
  scheme: 'tcp' | 'ws' | 'tls' | 'wss'
  host: string
  port: number
  path: string
}

/**
 * Parses `tcp://host:port` or `ws://host:port[/path]`; throws `InvalidArgumentError` for anything else.
 *
 * ```ts
 * parseUrl('tcp://127.0.0.1:0', 'serve()')   // { scheme: 'tcp', host: '127.0.0.1', port: 0, path: '' }
 * parseUrl('ws://localhost:80/rpc', 'x')    // { scheme: 'ws', host: 'localhost', port: 80, path: '/rpc' }
 * ```
 */
export function parseUrl(url: unknown, where: string): RpcAddress {
  const bad = (): never => {
    throw new InvalidArgumentError(where, 'url', "a 'tcp://host:port', 'tls://host:port', 'ws://host:port/path' or 'wss://host:port/path' address", url)
  }
  if (typeof url !== 'string') return bad()
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return bad()
  }
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
  if (host === '' || u.search !== '' || u.hash !== '' || u.username !== '') return bad()
  if (u.protocol === 'tcp:' || u.protocol === 'tls:') {
    if (u.port === '' || (u.pathname !== '' && u.pathname !== '/')) return bad()
    return { scheme: u.protocol === 'tcp:' ? 'tcp' : 'tls', host, port: Number(u.port), path: '' }
  }
  if (u.protocol === 'ws:' || u.protocol === 'wss:') {
    // the WHATWG URL drops the default port (80, 443)
    const scheme = u.protocol === 'ws:' ? 'ws' : 'wss'
    const port = u.port === '' ? (scheme === 'ws' ? 80 : 443) : Number(u.port)
    return { scheme, host, port, path: u.pathname === '' ? '/' : u.pathname }
  }
  return bad()
}

/** Formats a bound address as a URL. */
export function formatUrl(a: RpcAddress): string {
  return `${a.scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${a.path}`
}
