/**
 * `connect(target, opts)`: dials a server (`tcp://`, `ws://` or a MessagePort), runs the handshake and returns the
 * mirror.
 */
import { randomBytes } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import {
  InvalidArgumentError, Machine, OutOfRangeError, TimeoutError,
  type LogFn, type LogLevel, type Schema, type StateNames,
} from '../machine/index.js'
import { ClientSchema, type ClientStateNames } from './client.schema.js'
import { RpcError, type RpcErrorCode } from './errors.js'
import { dial } from './dial.js'
import { PortLink, type Link, type LinkOptions } from './link.js'
import { Msg, PROTOCOL_VERSION, type Welcome } from './protocol.js'
import { errState, mirrorSnapshot, RemoteMachine } from './remote.js'
import { hashWire, mirrorSchema, schemaFromWire, schemaHash } from './schema-wire.js'
import { parseUrl } from './url.js'

/** Options of {@link connect}. */
export interface ConnectOptions<S extends Schema<string> = Schema<string>> extends LinkOptions {
  /** The server's shared secret. */
  token?: string
  /** The schema the client expects: its hash is checked by the server, and no schema is transferred. */
  schema?: S
  /** Deadline in ms for connecting + handshake and the default for every call (default 5000). */
  timeout?: number
  /**
   * Keep-alive period in ms (default 10 000; 0 = off): a `PING` after a quiet period, and the connection fails with
   * `ERR_RPC_NETWORK` when nothing arrives for twice the period.
   */
  keepAlive?: number
  /** Id of the client machine (default `rc-<random>`). */
  id?: string
  logLevel?: LogLevel
  logger?: LogFn
}

/**
 * Connects to a served machine and resolves with its mirror once synced. Rejects with `RpcError` (`ERR_RPC_AUTH`,
 * `ERR_RPC_SCHEMA`, `ERR_RPC_VERSION`, `ERR_RPC_NETWORK`, `ERR_RPC_CLOSED`) or `TimeoutError`.
 *
 * ```ts
 * const remote = await connect('tcp://127.0.0.1:7000', { token: 'secret', schema: mySchema })
 * const viaWs = await connect('ws://127.0.0.1:7001/rpc')
 * await remote.add('Start')
 * ```
 */
export async function connect<S extends Schema<string> = Schema<string>>(
  target: string | MessagePort, opts: ConnectOptions<S> = {},
): Promise<RemoteMachine<StateNames<S>>> {
  const where = 'connect()'
  const timeout = opts.timeout ?? 5000
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) {
    throw new OutOfRangeError(where, 'timeout', 'a finite number > 0', timeout)
  }
  const keepAlive = opts.keepAlive ?? 10_000
  if (typeof keepAlive !== 'number' || !(keepAlive >= 0) || !Number.isFinite(keepAlive)) {
    throw new OutOfRangeError(where, 'keepAlive', 'a finite number ≥ 0', keepAlive)
  }
  if (opts.token !== undefined && typeof opts.token !== 'string') {
    throw new InvalidArgumentError(where, 'token', 'a string', opts.token)
  }
  const isPort = typeof target === 'object' && target !== null && typeof (target as Partial<MessagePort>).postMessage === 'function'
  const addr = isPort ? null : parseUrl(target, where)
  const client = new Machine(ClientSchema, {
    id: opts.id ?? `rc-${randomBytes(6).toString('hex')}`,
    ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
  })
  const linkOpts: LinkOptions = {
    ...(opts.maxFrame !== undefined ? { maxFrame: opts.maxFrame } : {}),
    ...(opts.maxBuffered !== undefined ? { maxBuffered: opts.maxBuffered } : {}),
  }
  client.add(['Start', 'Connecting'])
  let link: Link | null = null
  const deadline = Date.now() + timeout
  try {
    link = isPort ? new PortLink(target as MessagePort, linkOpts) : await dial(addr!, linkOpts, timeout, client.id)
    client.add(['Connected', 'Handshaking'])
    const expected = opts.schema
    const welcome = await handshake(link, client, {
      token: opts.token ?? null,
      schemaHash: expected ? schemaHash(expected) : null,
    }, deadline - Date.now())
    const s = expected ?? (welcome.schema ? schemaFromWire(welcome.schema) : null)
    if (s === null) throw new RpcError('ERR_RPC_SCHEMA', 'the server sent no schema')
    if (welcome.schema && hashWire(welcome.schema) !== welcome.schemaHash) {
      throw new RpcError('ERR_RPC_SCHEMA', 'the transferred schema does not match its hash')
    }
    if (welcome.time.length !== s.names.length || welcome.queueTick < 1) {
      throw new RpcError('ERR_RPC_PROTOCOL', `WELCOME has ${welcome.time.length} ticks for ${s.names.length} states`)
    }
    const mirror = new Machine(mirrorSchema(s), { id: welcome.sourceId })
    mirror.import(mirrorSnapshot(mirror, s.names, welcome.time, welcome.queueTick, welcome.err ?? undefined))
    const remote = new RemoteMachine<StateNames<S>>({
      client, link, schema: s as unknown as Schema<StateNames<S>>, mirror: mirror as unknown as Machine<StateNames<S>>,
      sourceId: welcome.sourceId, time: welcome.time, queueTick: welcome.queueTick, timeout, keepAlive,
      err: welcome.err,
    })
    client.add('Ready')
    return remote
  } catch (err) {
    const e = err instanceof RpcError || err instanceof TimeoutError ? err
      : new RpcError('ERR_RPC_PROTOCOL', `${where}: ${String(err)}`, { cause: err })
    if (link) {
      if (e instanceof RpcError && e.code !== 'ERR_RPC_CLOSED' && !link.closed) link.fail(e)
      else link.bye('handshake failed')
      await link.done
    }
    client.add('Disconnected')
    client.addErrState(e instanceof TimeoutError ? 'ErrNetwork' : errState(e.code), e)
    throw e
  }
}

function handshake(link: Link, client: Machine<ClientStateNames>, hello: { token: string | null; schemaHash: string | null },
  timeout: number): Promise<Welcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(client.id, 'handshake', timeout)), Math.max(0, timeout))
    let refused: RpcError | null = null
    link.onMessage = (m) => {
      if (m.type === Msg.Welcome) {
        clearTimeout(timer)
        if (m.version !== PROTOCOL_VERSION) {
          reject(new RpcError('ERR_RPC_VERSION', `server speaks protocol version ${m.version}, not ${PROTOCOL_VERSION}`))
        } else resolve(m)
      } else if (m.type === Msg.Error) {
        refused = new RpcError(m.code as RpcErrorCode, `server refused the handshake: ${m.message}`)
      } else if (m.type === Msg.Ping) {
        link.send({ type: Msg.Pong, n: m.n })
      } else if (m.type !== Msg.Pong) {
        throw new RpcError('ERR_RPC_PROTOCOL', `message type ${m.type} before WELCOME`)
      }
    }
    link.onClose = (err) => {
      clearTimeout(timer)
      reject(refused ?? err ?? new RpcError('ERR_RPC_CLOSED', 'the server closed the connection during the handshake'))
    }
    link.send({ type: Msg.Hello, version: PROTOCOL_VERSION, clientId: client.id, token: hello.token,
      schemaHash: hello.schemaHash, wantSchema: hello.schemaHash === null })
  })
}
