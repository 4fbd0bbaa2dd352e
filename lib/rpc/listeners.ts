/**
 * Listeners: what accepts connections for a server, by URL scheme — a `net.Server` for `tcp://`, a `ws`
 * `WebSocketServer` for `ws://`. Each hands every new connection to `onLink` as a {@link Link}.
 */
import { createServer } from 'node:net'
import { WebSocketServer } from 'ws'
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
  if (addr.scheme === 'tcp') {
    const net = createServer((socket) => onLink(new SocketLink(socket, opts)))
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
  const wss = new WebSocketServer({
    host: addr.host, port: addr.port, path: addr.path, maxPayload: opts.maxFrame ?? 1024 * 1024,
    perMessageDeflate: false,
  })
  wss.on('connection', (ws) => onLink(new WsLink(ws, opts)))
  return new Promise((resolve, reject) => {
    wss.once('error', (err) => {
      wss.close()
      reject(cannot(err))
    })
    wss.once('listening', () => {
      const a = wss.address()
      wss.on('error', onError)
      resolve({
        url: typeof a === 'object' && a !== null ? formatUrl({ ...addr, host: a.address, port: a.port }) : url,
        close: () => new Promise<void>((r) => wss.close(() => r())),
      })
    })
  })
}
