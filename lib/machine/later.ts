/**
 * `setTimeout` for any delay. Node fires a delay above 2³¹−1 ms after 1 ms, so longer ones are waited out in steps;
 * `Infinity` never fires. Delays up to the limit cost nothing extra: the handle is the plain timer. The one copy for
 * the waiters here and the layers above (through internals.ts).
 */

/** The longest delay `setTimeout` honours. */
export const MAX_DELAY = 0x7fffffff

/** A delay longer than `MAX_DELAY`, re-armed in steps. */
class LongTimer {
  handle: ReturnType<typeof setTimeout> | undefined = undefined
}

export type Later = ReturnType<typeof setTimeout> | LongTimer | undefined

/** Calls `fn` after `ms` (≥ 0; `Infinity`: never). Cancel with `cancelLater`. */
export function later(ms: number, fn: () => void): Later {
  if (ms <= MAX_DELAY) return setTimeout(fn, ms)
  if (ms === Infinity) return undefined
  const t = new LongTimer()
  const step = (left: number): void => {
    t.handle = left > MAX_DELAY ? setTimeout(() => step(left - MAX_DELAY), MAX_DELAY) : setTimeout(fn, left)
  }
  step(ms)
  return t
}

export function cancelLater(t: Later): void {
  if (t === undefined) return
  clearTimeout(t instanceof LongTimer ? t.handle : t)
}
