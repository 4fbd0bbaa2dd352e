/**
 * Clock arithmetic shared by both ends: diffs as flat `(index, tick)` pairs and the checksum that guards them.
 */

/**
 * The checksum of a clock: `h = (h * 31 + (t mod 2^32)) mod 2^32` over every tick in index order, then the queue
 * tick, starting from `h = 0`. Any implementation with 32-bit unsigned arithmetic reproduces it.
 *
 * ```ts
 * checksum([1, 0, 2], 1) // ((((0*31+1)*31+0)*31+2)*31+1) = 29854
 * ```
 */
export function checksum(time: readonly number[], queueTick: number): number {
  let h = 0
  for (const t of time) h = (Math.imul(h, 31) + (t >>> 0)) >>> 0
  return (Math.imul(h, 31) + (queueTick >>> 0)) >>> 0
}

/** The pairs `[i, next[i], …]` for every index where `next` differs from `prev` (same lengths). */
export function diffPairs(prev: readonly number[], next: readonly number[]): number[] {
  const out: number[] = []
  for (let i = 0; i < next.length; i++) if (prev[i] !== next[i]) out.push(i, next[i] as number)
  return out
}

/**
 * Applies pairs to a copy of `time`; `null` when an index is out of range (a diff for another schema).
 */
export function applyPairs(time: readonly number[], pairs: readonly number[]): number[] | null {
  const out = time.slice()
  for (let k = 0; k < pairs.length; k += 2) {
    const i = pairs[k] as number
    if (i >= out.length) return null
    out[i] = pairs[k + 1] as number
  }
  return out
}
