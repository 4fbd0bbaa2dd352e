/**
 * A seeded pseudo-random source (mulberry32) for the options that take `random` (RED mailboxes, backoff jitter).
 */
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'

/**
 * A source of numbers in [0, 1) that gives the same sequence for the same seed: tests, examples and simulations get
 * the same drops and delays on every run.
 *
 * ```ts
 * system.spawn(s, h, { id: 'sms', mailbox: { overflow: 'red', capacity: 50, random: seededRandom(42) } })
 * ```
 * @throws InvalidArgumentError / OutOfRangeError unless `seed` is a finite number
 */
export function seededRandom(seed: number): () => number {
  if (typeof seed !== 'number') throw new InvalidArgumentError('seededRandom()', 'seed', 'a finite number', seed)
  if (!Number.isFinite(seed)) throw new OutOfRangeError('seededRandom()', 'seed', 'a finite number', seed)
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
