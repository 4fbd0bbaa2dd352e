/**
 * Opening a client's transport by URL scheme: a TCP socket for `tcp://`, a WebSocket for `ws://`. Resolves with a
 * ready {@link Link}, or rejects with `RpcError` `ERR_RPC_NETWORK` / `TimeoutError` (the attempt then aborted).
 */
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { WebSocket } from 'ws'
import { TimeoutError } from '../machine/index.js'
import { DEFAULT_MAX_FRAME } from './codec.js'
import { RpcError } from './errors.js'
import { SocketLink, WsLink, type Link, type LinkOptions } from './link.js'
import { formatUrl, type RpcAddress } from './url.js'

/** Dials `addr` within `timeout` ms; `owner` names the client in a `TimeoutError`. */
export function dial(addr: RpcAddress, opts: LinkOptions, timeout: number, owner: string): Promise<Link> {
  const url = formatUrl(addr)
  return new Promise((resolve, reject) => {
    let abort: () => void = () => undefined
    const timer = setTimeout(() => {
      abort()
      reject(new TimeoutError(owner, `connecting to ${url}`, timeout))
    }, timeout)
    const failed = (err: Error): void => {
      clearTimeout(timer)
      reject(new RpcError('ERR_RPC_NETWORK', `cannot connect to ${url}: ${err.message}`, { cause: err }))
    }
    if (addr.scheme === 'tcp' || addr.scheme === 'tls') {
      const socket = addr.scheme === 'tcp' ? netConnect({ host: addr.host, port: addr.port })
        : tlsConnect({ ...opts.tls, host: addr.host, port: addr.port })
      abort = () => socket.destroy()
      socket.once('error', failed)
      socket.once(addr.scheme === 'tcp' ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer)
        socket.off('error', failed)
        resolve(new SocketLink(socket, opts))
      })
      return
    }
    const ws = new WebSocket(url, { ...(addr.scheme === 'wss' ? opts.tls : {}), maxPayload: opts.maxFrame ?? DEFAULT_MAX_FRAME,
      perMessageDeflate: false })
    abort = () => ws.terminate()
    ws.once('error', failed)
    ws.once('open', () => {
      clearTimeout(timer)
      ws.off('error', failed)
      resolve(new WsLink(ws, opts))
    })
  })
}
