/**
 * Listeners: what accepts connections for a server, by URL scheme — a `net.Server` for `tcp://` (a `tls.Server` for
 * `tls://`), a `ws` `WebSocketServer` for `ws://` (on an `https` server for `wss://`). Each hands every new
 * connection to `onLink` as a {@link Link}.
 */
import { createServer as httpsServer } from 'node:https'
import { createServer, type Server } from 'node:net'
import { createServer as tlsServer } from 'node:tls'
import { InvalidArgumentError } from '../machine/index.js'
import { WebSocketServer } from 'ws'
import { DEFAULT_MAX_FRAME } from './codec.js'
import { RpcError } from './errors.js'
import { SocketLink, WsLink, type Link, type LinkOptions } from './link.js'
import { formatUrl, parseUrl } from './url.js'

/** A bound listener. */
export interface Listener {
  /** The bound address, port filled in. */
  readonly url: string
  /** Stops accepting; resolves once closed (open connections are the server's to close). */
  close(): Promise<void>
}

/**
 * Binds `url` and calls `onLink` for each connection; `onError` receives errors after binding. Rejects with
 * `RpcError` `ERR_RPC_NETWORK` when it cannot bind.
 */
export function listen(url: string, opts: LinkOptions, onLink: (l: Link) => void, onError: (e: unknown) => void,
): Promise<Listener> {
  const addr = parseUrl(url, 'serve()')
  const cannot = (err: Error): RpcError =>
    new RpcError('ERR_RPC_NETWORK', `serve(): cannot listen on ${url}: ${err.message}`, { cause: err })
  const secure = addr.scheme === 'tls' || addr.scheme === 'wss'
  if (secure && (typeof opts.tls !== 'object' || opts.tls === null)) {
    return Promise.reject(new InvalidArgumentError('serve()', 'tls', `TLS options (key, cert) for a ${addr.scheme}:// url`,
      opts.tls))
  }
  if (addr.scheme === 'tcp' || addr.scheme === 'tls') {
    const net: Server = addr.scheme === 'tcp' ? createServer((socket) => onLink(new SocketLink(socket, opts)))
      : tlsServer(opts.tls!, (socket) => onLink(new SocketLink(socket, opts)))
    if (addr.scheme === 'tls') net.on('tlsClientError', () => undefined) // a bad handshake fails that connection only
    return new Promise((resolve, reject) => {
      net.once('error', (err) => reject(cannot(err)))
      net.listen(addr.port, addr.host, () => {
        const a = net.address()
        net.on('error', onError)
        resolve({
          url: typeof a === 'object' && a !== null ? formatUrl({ ...addr, host: a.address, port: a.port }) : url,
          close: () => new Promise<void>((r) => net.close(() => r())),
        })
      })
    })
  }
  const https = addr.scheme === 'wss' ? httpsServer(opts.tls!) : null
  https?.on('tlsClientError', () => undefined)
  const wss = new WebSocketServer({
    ...(https ? { server: https } : { host: addr.host, port: addr.port }), path: addr.path,
    maxPayload: opts.maxFrame ?? DEFAULT_MAX_FRAME, perMessageDeflate: false,
  })
  wss.on('connection', (ws) => onLink(new WsLink(ws, opts)))
  const emitter = https ?? wss
  return new Promise((resolve, reject) => {
    emitter.once('error', (err: Error) => {
      wss.close()
      https?.close()
      reject(cannot(err))
    })
    emitter.once('listening', () => {
      const a = https ? https.address() : wss.address()
      emitter.on('error', onError)
      resolve({
        url: typeof a === 'object' && a !== null ? formatUrl({ ...addr, host: a.address, port: a.port }) : url,
        close: () => new Promise<void>((r) => wss.close(() => (https ? https.close(() => r()) : r()))),
      })
    })
    https?.listen(addr.port, addr.host)
  })
}
