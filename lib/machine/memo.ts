/**
 * A memo of resolutions, shared by every machine of a schema. Resolution is a pure function of the mutation type,
 * the called states (in order), the active states (in order) and whether the mutation is an auto round, so an app
 * whose machines keep cycling through the same few situations resolves each one once; later resolutions are a
 * lookup, and the remembered lists are used as they are (a `MemoEntry`'s lists are readonly, see resolution.ts).
 *
 * Entries are verified in full on lookup (the key is only a hash), so a collision costs a recomputation, never a
 * wrong answer. The memo watches its hit rate: a workload that rarely repeats (random mutations over a large schema)
 * turns it off for a while, so it cannot cost more than a few per cent where it does not help.
 */
import { type MemoEntry, newMemoEntry, type ResolutionBuffers } from './resolution.js'
import type { MutationType } from './types.js'

/** Entries kept per schema before the memo starts afresh. */
export const MEMO_CAPACITY = 1024
/** Lookups per measurement window; a window needs a quarter of them to hit for the memo to stay on. */
export const MEMO_WINDOW = 1024
/**
 * Resolutions computed without the memo after a window with too few hits; doubled after each further such window
 * (up to MEMO_BYPASS_MAX), back to this after a window with enough hits. A workload that never repeats thus pays for
 * its trial windows less and less often.
 */
export const MEMO_BYPASS = 16 * MEMO_WINDOW
export const MEMO_BYPASS_MAX = 1024 * MEMO_WINDOW

/** The mutation type and the auto flag as one small number (entries and hashes compare it). */
function meta(type: MutationType, isAuto: boolean): number {
  return (type === 'add' ? 0 : type === 'remove' ? 2 : 4) + (isAuto ? 1 : 0)
}

/** The key of a link to the entry of a single-state, non-auto mutation (see `MemoEntry.cache.next`). */
function linkKey(state: number, type: MutationType): number {
  return state * 8 + (type === 'add' ? 0 : type === 'remove' ? 2 : 4)
}

/** The memo's limits (the MEMO_* constants by default); smaller ones let tests reach every path quickly. */
export interface MemoLimits {
  readonly capacity: number
  readonly window: number
  readonly bypass: number
  readonly bypassMax: number
}

const DEFAULT_LIMITS: MemoLimits = {
  capacity: MEMO_CAPACITY, window: MEMO_WINDOW, bypass: MEMO_BYPASS, bypassMax: MEMO_BYPASS_MAX,
}

export interface MemoStats {
  readonly entries: number
  readonly hits: number
  readonly misses: number
  /** Resolutions that skipped the memo while it was off. */
  readonly bypassed: number
}

export class ResolutionMemo {
  private readonly table = new Map<number, MemoEntry>()
  /** Moves on whenever the table is cleared. */
  private gen = 0
  private windowLookups = 0
  private windowHits = 0
  /** Resolutions left to compute without the memo; 0 while it is on. */
  private off = 0
  private limits = DEFAULT_LIMITS
  /** Length of the next off period. */
  private bypass = MEMO_BYPASS
  private hits = 0
  private misses = 0
  private bypassed = 0

  /** False: every resolution is computed (for comparisons in tests and benchmarks). */
  enabled = true

  /** Sets other limits (tests); starts afresh. */
  setLimits(limits: Partial<MemoLimits>): void {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
    this.bypass = this.limits.bypass
    this.off = 0
    this.windowLookups = 0
    this.windowHits = 0
    this.restart()
  }

  /** Whether the next resolution should use the memo; counts it down while the memo is off. */
  use(): boolean {
    if (!this.enabled) return false
    if (this.off === 0) return true
    this.off--
    this.bypassed++
    return false
  }

  /** A hash of everything a resolution depends on; a small integer, so the table stays on V8's fast path. */
  key(type: MutationType, called: readonly number[], before: readonly number[], isAuto: boolean): number {
    let h = 0x811c9dc5 ^ meta(type, isAuto)
    for (let i = 0; i < called.length; i++) h = Math.imul(h ^ (called[i] as number), 0x01000193)
    h = Math.imul(h ^ 0xffff, 0x01000193)
    for (let i = 0; i < before.length; i++) h = Math.imul(h ^ (before[i] as number), 0x01000193)
    return h & 0x3fffffff
  }

  /**
   * The entry linked from `from` (whose targets are the active states) for this mutation, or null. A link was made
   * for exactly this mutation after exactly `from`, so nothing needs comparing.
   */
  follow(from: MemoEntry, type: MutationType, called: readonly number[], isAuto: boolean): MemoEntry | null {
    if (from.gen !== this.gen) return null
    const { cache } = from
    let next: MemoEntry | null | undefined = null
    if (called.length === 1 && !isAuto) {
      const k = linkKey(called[0] as number, type)
      if (k === cache.lastKey) next = cache.last
      else if (cache.next !== null) {
        next = cache.next.get(k)
        if (next !== undefined) {
          cache.lastKey = k
          cache.last = next
        }
      }
    } else if (isAuto && called === cache.offer) next = cache.autoNext
    if (next === null || next === undefined) return null
    this.count(true)
    return next
  }

  /** Links `to` as the entry of this mutation right after `from` applied (see follow). */
  link(from: MemoEntry, type: MutationType, called: readonly number[], isAuto: boolean, to: MemoEntry): void {
    if (from.gen !== this.gen || to.gen !== this.gen) return
    const { cache } = from
    if (called.length === 1 && !isAuto) {
      const k = linkKey(called[0] as number, type)
      ;(cache.next ??= new Map()).set(k, to)
      cache.lastKey = k
      cache.last = to
    }
    else if (isAuto && called === cache.offer) cache.autoNext = to
  }

  /** The remembered resolution of exactly this mutation in exactly this situation, or null. */
  recall(key: number, type: MutationType, called: readonly number[], before: readonly number[],
    isAuto: boolean): MemoEntry | null {
    const e = this.table.get(key)
    const hit = e !== undefined && e.meta === meta(type, isAuto) && same(e.called, called) && same(e.before, before)
    this.count(hit)
    return hit ? e : null
  }

  /** Keeps a copy of a computed resolution and returns it; null while the memo is off. */
  remember(key: number, type: MutationType, called: readonly number[], before: readonly number[], isAuto: boolean,
    out: ResolutionBuffers): MemoEntry | null {
    if (this.off > 0) return null // the window that just closed turned the memo off
    if (this.table.size >= this.limits.capacity) this.restart()
    const entry = newMemoEntry(this.gen, meta(type, isAuto), called, before, out)
    this.table.set(key, entry)
    return entry
  }

  /**
   * Forgets every entry. Entries still held by machines (as their active states) keep working as plain lists, but
   * their links are neither followed nor extended: a new generation never keeps an old one alive.
   */
  private restart(): void {
    this.table.clear()
    this.gen++
  }

  stats(): MemoStats {
    return { entries: this.table.size, hits: this.hits, misses: this.misses, bypassed: this.bypassed }
  }

  private count(hit: boolean): void {
    if (hit) {
      this.hits++
      this.windowHits++
    } else this.misses++
    const { window, bypass, bypassMax } = this.limits
    if (++this.windowLookups < window) return
    if (this.windowHits < window / 4) {
      this.off = this.bypass
      this.bypass = Math.min(2 * this.bypass, bypassMax)
      this.restart() // what it held did not repeat; a later window starts from what repeats then
    } else this.bypass = bypass
    this.windowLookups = 0
    this.windowHits = 0
  }
}

function same(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
