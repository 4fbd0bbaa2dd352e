/**
 * Opening a client session: dial the transport, send `HELLO`, wait for `WELCOME`. Used by `connect()` and by every
 * reconnection. Messages that arrive right behind the `WELCOME` (in the same TCP read, say) are kept in `early`
 * for the mirror to replay, so none is lost or mistaken for a protocol error.
 */
import type { MessagePort } from 'node:worker_threads'
import { TimeoutError, type Machine } from '../machine/index.js'
import type { ClientStateNames } from './client.schema.js'
import { dial } from './dial.js'
import { RpcError, type RpcErrorCode } from './errors.js'
import { PortLink, type Link, type LinkOptions } from './link.js'
import { Msg, PROTOCOL_VERSION, type Message, type Welcome } from './protocol.js'
import type { RpcAddress } from './url.js'

/** An open, handshaken session. */
export interface Opened {
  link: Link
  welcome: Welcome
  /** Messages received after `WELCOME`, before the mirror took over the link. */
  early: Message[]
}

/** What `HELLO` says. */
export interface HelloFields {
  token: string | null
  /** The hash of the schema the client already has (no transfer), or null to ask for the schema. */
  schemaHash: string | null
  /** The machine wanted from a mux (null: the server's only one). */
  machine?: string | null
}

/**
 * Dials `target` and runs the handshake within `timeout` ms. On failure the link is closed (and released) before
 * the returned promise rejects with `RpcError` or `TimeoutError`.
 */
export async function open(target: RpcAddress | MessagePort, opts: LinkOptions, client: Machine<ClientStateNames>,
  hello: HelloFields, timeout: number): Promise<Opened> {
  const deadline = Date.now() + timeout
  client.add(['Start', 'Connecting'])
  const link = 'postMessage' in target ? new PortLink(target, opts) : await dial(target, opts, timeout, client.id)
  client.add(['Connected', 'Handshaking'])
  try {
    return await handshake(link, client, hello, deadline - Date.now())
  } catch (err) {
    const e = err instanceof RpcError || err instanceof TimeoutError ? err
      : new RpcError('ERR_RPC_PROTOCOL', `handshake: ${String(err)}`, { cause: err })
    if (e instanceof RpcError && e.code !== 'ERR_RPC_CLOSED' && !link.closed) link.fail(e)
    else link.bye('handshake failed')
    await link.done
    throw e
  }
}

/** Throws `RpcError` `ERR_RPC_PROTOCOL` when a `WELCOME`'s clock does not fit a schema of `states` states. */
export function checkWelcome(w: Welcome, states: number): void {
  if (w.time.length !== states || w.queueTick < 1) {
    throw new RpcError('ERR_RPC_PROTOCOL', `WELCOME has ${w.time.length} ticks and queue tick ${w.queueTick} for ${states} states`)
  }
}

function handshake(link: Link, client: Machine<ClientStateNames>, hello: HelloFields, timeout: number): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(client.id, 'handshake', timeout)), Math.max(0, timeout))
    let refused: RpcError | null = null
    let opened: Opened | null = null
    link.onMessage = (m) => {
      if (opened) {
        opened.early.push(m)
      } else if (m.type === Msg.Welcome) {
        clearTimeout(timer)
        if (m.version !== PROTOCOL_VERSION) {
          reject(new RpcError('ERR_RPC_VERSION', `server speaks protocol version ${m.version}, not ${PROTOCOL_VERSION}`))
          return
        }
        opened = { link, welcome: m, early: [] }
        resolve(opened)
      } else if (m.type === Msg.Error) {
        refused = new RpcError(m.code as RpcErrorCode, `server refused the handshake: ${m.message}`)
      } else if (m.type === Msg.Ping) {
        link.send({ type: Msg.Pong, n: m.n })
      } else if (m.type === Msg.Bye) {
        refused ??= new RpcError('ERR_RPC_CLOSED', `the server closed the connection during the handshake: ${m.reason}`)
        link.bye('bye')
      } else if (m.type !== Msg.Pong) {
        throw new RpcError('ERR_RPC_PROTOCOL', `message type ${m.type} before WELCOME`)
      }
    }
    link.onClose = (err) => {
      clearTimeout(timer)
      // after WELCOME: the mirror sees `link.closed` when it takes the link over
      reject(refused ?? err ?? new RpcError('ERR_RPC_CLOSED', 'the server closed the connection during the handshake'))
    }
    link.send({ type: Msg.Hello, version: PROTOCOL_VERSION, clientId: client.id, token: hello.token,
      schemaHash: hello.schemaHash, wantSchema: hello.schemaHash === null, machine: hello.machine ?? null })
  })
}
