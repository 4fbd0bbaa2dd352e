/**
 * Auto-state candidates, counted per machine as states activate and deactivate, so that deciding whether an auto
 * round is needed costs what a transition touched rather than the number of auto states.
 *
 * The full round (asyncmachine-go) offers every inactive auto state that no active state removes. The resolver
 * drops those that miss a counted require (schema.ts `autoTables`), with no other effect unless they have `add`
 * relations: their adds still join the resolver's list. Hence:
 * - a *live* state (offered, no counted require missing) is the only kind that can be activated; with none, the full
 *   round would be rejected by relations, so it is skipped;
 * - otherwise the live states and the offered ones with adds are offered, which resolves exactly as the full round.
 */
import type { AutoCounts } from './resolution.js'
import type { Compiled } from './schema.js'

/** Counts are shared through memo entries only for schemas with at most this many auto states (memory per entry). */
export const SHARED_AUTO_MAX = 32

export class AutoCandidates {
  private readonly tables: Compiled
  private readonly clock: readonly number[]
  /**
   * Per auto-state position p: active removers at [2p], missing counted requires at [2p + 1]. Either this machine's
   * own array (`owned`) or counts a memo entry keeps (`AutoCounts`, read-only): `writable()` copies those first.
   */
  private counts: readonly number[]
  /** `counts` when this machine owns it; null while it is shared. */
  private owned: number[] | null
  /** Live auto states. */
  private live = 0

  constructor(tables: Compiled, clock: readonly number[]) {
    this.tables = tables
    this.clock = clock
    this.counts = this.owned = new Array<number>(2 * tables.autoStates.length).fill(0)
    this.reset()
  }

  /**
   * The states to offer in the auto round, in index order; null when there is no live state. Scans the auto states,
   * but only when a round is going to run.
   */
  offer(): number[] | null {
    if (this.live === 0) return null
    const { autoStates, add } = this.tables
    const out: number[] = []
    for (let p = 0; p < autoStates.length; p++) {
      const a = autoStates[p] as number
      if (this.isOffered(p) && (this.counts[2 * p + 1] === 0 || (add[a] as Int32Array).length > 0)) out.push(a)
    }
    return out
  }

  /**
   * The counts as they are now, to be kept by a memo entry: every machine that applies the entry ends in the same
   * active states, hence the same counts (they are a function of the active states, see `reset`). From now on they
   * are shared: this machine copies them before its next change.
   */
  share(): AutoCounts {
    this.owned = null
    return { counts: this.counts, live: this.live }
  }

  /** Takes the counts a memo entry kept (instead of telling every change); copied on the next change. */
  adopt(kept: AutoCounts): void {
    this.counts = kept.counts
    this.owned = null
    this.live = kept.live
  }

  /** State `s` was activated; the clock already shows it. */
  activated(s: number): void {
    this.changed(s, true)
  }

  /** State `s` was deactivated; the clock already shows it. */
  deactivated(s: number): void {
    this.changed(s, false)
  }

  /** State `s` was activated (`on`) or deactivated. */
  private changed(s: number, on: boolean): void {
    const counts = this.writable()
    const touch = this.tables.autoTouch[s] as Int32Array
    for (let j = 0; j < touch.length; j++) {
      const t = touch[j] as number
      // t > 0: s removes auto state t - 1 (one more blocker when on); t < 0: auto state -t - 1 counts s as a
      // require (one less missing when on).
      const p = t > 0 ? t - 1 : -t - 1
      const at = t > 0 ? 2 * p : 2 * p + 1
      const was = this.isLive(p)
      counts[at] = (counts[at] as number) + ((t > 0) === on ? 1 : -1)
      this.live += Number(this.isLive(p)) - Number(was)
    }
    const own = this.tables.autoPos[s] as number
    // An auto state's own activity: it was inactive before when it is on now.
    if (own >= 0 && this.noObstacles(own)) this.live += on ? -1 : 1
  }

  /** Recounts everything from the clock (at creation and after `import()`). */
  reset(): void {
    const counts = this.writable()
    const { autoStates, autoTouch, autoMissing } = this.tables
    for (let p = 0; p < autoStates.length; p++) {
      counts[2 * p] = 0
      counts[2 * p + 1] = autoMissing[p] as number
    }
    for (let s = 0; s < this.clock.length; s++) {
      if (((this.clock[s] as number) & 1) === 0) continue
      const touch = autoTouch[s] as Int32Array
      for (let j = 0; j < touch.length; j++) {
        const t = touch[j] as number
        const at = t > 0 ? 2 * (t - 1) : 2 * (-t - 1) + 1
        counts[at] = (counts[at] as number) + (t > 0 ? 1 : -1)
      }
    }
    this.live = 0
    for (let p = 0; p < autoStates.length; p++) if (this.isLive(p)) this.live++
  }

  /** The counts to change: this machine's own array, copied from the shared counts first when needed. */
  private writable(): number[] {
    if (this.owned === null) this.counts = this.owned = this.counts.slice()
    return this.owned
  }

  /** Inactive and not removed by an active state: the full round would offer it. */
  private isOffered(p: number): boolean {
    return this.counts[2 * p] === 0 && ((this.clock[this.tables.autoStates[p] as number] as number) & 1) === 0
  }

  private noObstacles(p: number): boolean {
    return this.counts[2 * p] === 0 && this.counts[2 * p + 1] === 0
  }

  private isLive(p: number): boolean {
    return this.noObstacles(p) && ((this.clock[this.tables.autoStates[p] as number] as number) & 1) === 0
  }
}
