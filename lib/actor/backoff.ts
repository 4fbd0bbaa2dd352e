/**
 * Restart pacing: exponential backoff with jitter (reset after a quiet period), and the OTP restart intensity
 * window (at most `maxRestarts` within `period`).
 */
import { checkBackoffOptions, checkInt, checkMs } from './supervision-check.js'

export interface BackoffOptions {
  /** First delay, ms. Default 100. */
  min?: number
  /** Largest delay, ms. Default 10 000. */
  max?: number
  /** Random extra delay as a fraction of the delay (0–1). Default 0.2. */
  jitter?: number
  /** A child that ran this long (ms) without failing starts again from `min`. Default 10 000. */
  resetAfter?: number
  /** Randomness for the jitter (tests pass a fixed one). Default `Math.random`. */
  random?: () => number
}

export class Backoff {
  private attempts = 0
  private lastFailure = -Infinity
  private readonly min: number
  private readonly max: number
  private readonly jitter: number
  private readonly resetAfter: number
  private readonly random: () => number

  constructor(opts: BackoffOptions = {}, where = 'new Backoff()') {
    checkBackoffOptions(where, 'options', opts)
    this.min = opts.min ?? 100
    this.max = opts.max ?? 10_000
    this.jitter = opts.jitter ?? 0.2
    this.resetAfter = opts.resetAfter ?? 10_000
    this.random = opts.random ?? Math.random
  }

  /** The delay before the next restart, given the failure time `now`. */
  next(now: number): number {
    if (now - this.lastFailure >= this.resetAfter) this.attempts = 0
    this.lastFailure = now
    const base = Math.min(this.max, this.min * 2 ** this.attempts++)
    return Math.round(base * (1 + this.jitter * this.draw()))
  }

  /** `random()` within 0..1; a user function that throws or strays gives 0 (no jitter), never a broken delay. */
  private draw(): number {
    if (this.jitter === 0) return 0
    try {
      const r = this.random()
      return typeof r === 'number' && r >= 0 && r <= 1 ? r : 0
    } catch {
      return 0
    }
  }
}

/** OTP intensity: records restarts, and says when there were more than `maxRestarts` within `period` ms. */
export class RestartWindow {
  private readonly times: number[] = []

  constructor(
    readonly maxRestarts: number,
    readonly period: number,
  ) {
    checkInt('new RestartWindow()', 'maxRestarts', maxRestarts, 0, false)
    checkMs('new RestartWindow()', 'period', period, { positive: true, infinite: true, optional: false })
  }

  /** Records a restart at `now`; false when this one exceeds the intensity. */
  record(now: number): boolean {
    while (this.times.length > 0 && now - (this.times[0] as number) >= this.period) this.times.shift()
    this.times.push(now)
    return this.times.length <= this.maxRestarts
  }

  get recent(): number {
    return this.times.length
  }
}
