/**
 * Reconnection after a lost connection: attempts spaced by exponential backoff with jitter, each a full `open()`
 * (dial + handshake); the mirror adopts the new session and resyncs from its `WELCOME`. The mirror talks to this
 * loop through the narrow {@link ReconnectHost}.
 */
import { InvalidArgumentError, OutOfRangeError, type Machine } from '../machine/index.js'
import { errStateOf, type ClientStateNames } from './client.schema.js'
import { RpcError } from './errors.js'
import type { Opened } from './handshake.js'

/** Reconnection settings. */
export interface Backoff {
  /** Attempts after one loss before giving up (the client stays `Disconnected`). */
  retries: number
  /** Delay before the first attempt, in ms; doubled for each next one. */
  minDelay: number
  /** Upper bound of the delay, in ms. */
  maxDelay: number
}

/**
 * The delay before attempt `n` (0-based): `min(maxDelay, minDelay × 2ⁿ)`, of which a random half is jitter.
 *
 * ```ts
 * backoffDelay(3, { retries: 10, minDelay: 50, maxDelay: 5000 }) // between 200 and 400
 * ```
 */
export function backoffDelay(n: number, b: Backoff, random: () => number = Math.random): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new OutOfRangeError('backoffDelay()', 'n', 'an integer ≥ 0', n)
  if (typeof b !== 'object' || b === null) throw new InvalidArgumentError('backoffDelay()', 'b', 'a Backoff', b)
  if (typeof random !== 'function') throw new InvalidArgumentError('backoffDelay()', 'random', 'a function', random)
  const base = Math.min(b.maxDelay, b.minDelay * 2 ** n)
  return base / 2 + (random() * base) / 2
}

/** What the loop needs from the mirror. */
export interface ReconnectHost {
  readonly client: Machine<ClientStateNames>
  /** True once `close()` was called: stop. */
  closing(): boolean
  redial(): Promise<Opened>
  /** Takes the new session over; throws when its `WELCOME` does not fit the mirror. */
  adopt(o: Opened): void
  /** The last attempt failed: no session will come. */
  gaveUp(): void
}

/** Starts reconnecting; the returned function stops it and resolves once no attempt is in flight. */
export function startReconnect(host: ReconnectHost, b: Backoff): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | null = null
  let inFlight: Promise<void> = Promise.resolve()
  let stopped = false
  const { client } = host
  const failed = (n: number, err: unknown): void => {
    if (stopped || host.closing()) return
    const e = err instanceof RpcError ? err : new RpcError('ERR_RPC_NETWORK', String(err), { cause: err })
    client.log(`reconnect attempt ${n + 1} failed: ${e.message}`)
    client.add('Disconnected')
    client.addErrState(errStateOf((err as { code?: unknown }).code), err)
    schedule(n + 1)
  }
  const attempt = async (n: number): Promise<void> => {
    let o: Opened
    try {
      o = await host.redial()
    } catch (err) {
      return failed(n, err)
    }
    if (stopped || host.closing()) {
      o.link.bye('client closing')
      await o.link.done
      return
    }
    try {
      host.adopt(o)
    } catch (err) {
      o.link.fail(err instanceof RpcError ? err : new RpcError('ERR_RPC_PROTOCOL', String(err)))
      return failed(n, err)
    }
  }
  const schedule = (n: number): void => {
    if (n >= b.retries) {
      client.log(`reconnect: giving up after ${n} attempts`)
      client.remove('Reconnecting')
      host.gaveUp()
      return
    }
    timer = setTimeout(() => {
      timer = null
      inFlight = attempt(n)
    }, backoffDelay(n, b))
  }
  schedule(0)
  return async () => {
    stopped = true
    if (timer !== null) clearTimeout(timer)
    await inFlight
  }
}
