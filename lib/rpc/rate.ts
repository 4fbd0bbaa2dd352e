/**
 * Per-client rate limit: a token bucket refilled at `perSecond` tokens a second up to `burst`; every message a client
 * sends after its handshake takes one token.
 */
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'

/** `serve()`'s `rateLimit` option. */
export interface RateLimit {
  /** Messages a second a client may send, on average. */
  perSecond: number
  /** Messages it may send at once (default: `perSecond`, at least 1). */
  burst?: number
}

/** One client's bucket. */
export class TokenBucket {
  #tokens: number
  #at = performance.now()

  constructor(readonly perSecond: number, readonly burst: number) {
    this.#tokens = burst
  }

  /** Takes a token; false when none is left (the message is over the limit). */
  take(): boolean {
    const now = performance.now()
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond)
    this.#at = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}

/** Reads the option once; null when off. */
export function rateLimitOf(v: unknown): { perSecond: number; burst: number } | null {
  if (v === undefined) return null
  if (typeof v !== 'object' || v === null) throw new InvalidArgumentError('serve()', 'rateLimit', 'an object { perSecond, burst? }', v)
  const { perSecond, burst } = v as { perSecond?: unknown; burst?: unknown }
  if (typeof perSecond !== 'number' || !(perSecond > 0) || !Number.isFinite(perSecond)) {
    throw new OutOfRangeError('serve()', 'rateLimit.perSecond', 'a finite number > 0', perSecond)
  }
  if (burst !== undefined && (typeof burst !== 'number' || !(burst >= 1) || !Number.isFinite(burst))) {
    throw new OutOfRangeError('serve()', 'rateLimit.burst', 'a finite number ≥ 1', burst)
  }
  return { perSecond, burst: burst ?? Math.max(1, perSecond) }
}
