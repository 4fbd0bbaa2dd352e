/**
 * `connect(target, opts)`: dials a server (`tcp://`, `ws://` or a MessagePort), runs the handshake and returns the
 * mirror.
 */
import { randomBytes } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import {
  InvalidArgumentError, isSchema, Machine, TimeoutError,
  type LogFn, type LogLevel, type Schema, type StateNames,
} from '../machine/index.js'
import { ClientSchema, errStateOf } from './client.schema.js'
import { RpcError } from './errors.js'
import { checkWelcome, open, type Opened } from './handshake.js'
import type { LinkOptions } from './link.js'
import { mirrorSnapshot } from './mirror-clock.js'
import { RemoteMachine } from './remote.js'
import type { Backoff } from './reconnect.js'
import { hashWire, mirrorSchema, schemaFromWire, schemaHash } from './schema-wire.js'
import { linkOptionsOf, machineOptionsOf, numberOpt, readAll, stringOpt } from './options.js'
import { parseUrl } from './url.js'
import type { RemoteTraceContext } from './trace-context.js'

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
  /**
   * Reconnect after the connection is lost (not after `close()`; not for a MessagePort): `true` for the defaults
   * (10 retries, 50 ms doubling up to 5 s, with jitter) or the numbers. The mirror resyncs from the new `WELCOME`.
   */
  reconnect?: boolean | Partial<Backoff>
  /** The id of the machine to mirror, when the address is a mux serving several (`serveMux`). */
  machine?: string
  /**
   * Called on every remote mutation (and dry run): the caller's W3C trace context to send with it, so server-side
   * spans nest under the caller's (polymachine/otel's `otelTraceContext(trace)` makes one). A hook that throws or
   * returns something malformed sends none: the mutation goes on.
   */
  traceContext?: () => RemoteTraceContext | undefined
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
  target: string | MessagePort, options?: ConnectOptions<S>,
): Promise<RemoteMachine<StateNames<S>>> {
  const where = 'connect()'
  const opts = readAll(options, where, CONNECT_KEYS)
  const timeout = numberOpt(opts.timeout, 5000, where, 'timeout', { min: 1 })
  const keepAlive = numberOpt(opts.keepAlive, 10_000, where, 'keepAlive')
  const token = stringOpt(opts.token, where, 'token')
  const machine = stringOpt(opts.machine, where, 'machine')
  const expected = opts.schema
  const traceContext = opts.traceContext
  if (traceContext !== undefined && typeof traceContext !== 'function') {
    throw new InvalidArgumentError(where, 'traceContext', 'a function', traceContext)
  }
  if (expected !== undefined && !isSchema(expected)) throw new InvalidArgumentError(where, 'schema', 'a schema made by schema()', expected)
  const isPort = typeof target === 'object' && target !== null && typeof (target as Partial<MessagePort>).postMessage === 'function'
  const addr = isPort ? null : parseUrl(target, where)
  const linkOpts = linkOptionsOf(opts, where)
  const reconnect = backoffOf(opts.reconnect, isPort)
  const client = new Machine(ClientSchema, machineOptionsOf(opts, where, `rc-${randomBytes(6).toString('hex')}`))
  const hello = { token: token ?? null, schemaHash: expected ? schemaHash(expected) : null, machine: machine ?? null }
  let opened: Opened | null = null
  try {
    opened = await open(isPort ? target as MessagePort : addr!, linkOpts, client, hello, timeout)
    const { welcome } = opened
    const s = expected ?? (welcome.schema ? schemaFromWire(welcome.schema) : null)
    if (s === null) throw new RpcError('ERR_RPC_SCHEMA', 'the server sent no schema')
    if (welcome.schema && hashWire(welcome.schema) !== welcome.schemaHash) {
      throw new RpcError('ERR_RPC_SCHEMA', 'the transferred schema does not match its hash')
    }
    checkWelcome(welcome, s.names.length)
    const mirror = new Machine(mirrorSchema(s), { id: welcome.sourceId })
    mirror.import(mirrorSnapshot(mirror, s.names, welcome.time, welcome.queueTick, welcome.err ?? undefined))
    // reconnections ask for the same schema by hash
    const again = { token: hello.token, schemaHash: schemaHash(s), machine: hello.machine }
    const remote = new RemoteMachine<StateNames<S>>({
      client, opened, schema: s as unknown as Schema<StateNames<S>>, mirror: mirror as unknown as Machine<StateNames<S>>,
      timeout, keepAlive, reconnect, traceContext: traceContext ?? null,
      redial: reconnect ? () => open(addr!, linkOpts, client, again, timeout) : null,
    })
    client.add('Ready')
    return remote
  } catch (err) {
    const e = err instanceof RpcError || err instanceof TimeoutError ? err
      : new RpcError('ERR_RPC_PROTOCOL', `${where}: ${String(err)}`, { cause: err })
    if (opened && !opened.link.closed) {
      opened.link.fail(e instanceof RpcError ? e : new RpcError('ERR_RPC_PROTOCOL', e.message))
      await opened.link.done
    }
    client.add('Disconnected')
    client.addErrState(errStateOf(e.code), e)
    throw e
  }
}

/** Reconnection settings: `reconnect: true` or explicit numbers; null when off (or for a MessagePort). */
function backoffOf(r: ConnectOptions['reconnect'], isPort: boolean): Backoff | null {
  if (r === undefined || r === false || isPort) return null
  if (r !== true && (typeof r !== 'object' || r === null)) {
    throw new InvalidArgumentError('connect()', 'reconnect', 'true, false or { retries, minDelay, maxDelay }', r)
  }
  const o = readAll(r === true ? {} : r, 'connect(): reconnect', ['retries', 'minDelay', 'maxDelay'])
  const pick = (v: unknown, dflt: number, name: string, integer = false): number =>
    numberOpt(v, dflt, 'connect()', `reconnect.${name}`, { integer })
  return { retries: pick(o.retries, 10, 'retries', true), minDelay: pick(o.minDelay, 50, 'minDelay'),
    maxDelay: pick(o.maxDelay, 5000, 'maxDelay') }
}

/** Every option `connect()` reads. */
const CONNECT_KEYS = ['token', 'schema', 'timeout', 'keepAlive', 'reconnect', 'machine', 'id', 'logLevel', 'logger',
  'maxFrame', 'maxBuffered', 'tls', 'traceContext'] as const satisfies readonly (keyof ConnectOptions)[]

