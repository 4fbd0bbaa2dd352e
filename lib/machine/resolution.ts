/** The output of relation resolution (resolve.ts), and the unit the resolution memo keeps (memo.ts). */
import type { AutoCounts } from './auto.js'

/**
 * A resolution: per-machine output buffers that the resolver fills, or a memo entry shared by every machine of the
 * schema (memo.ts), which nobody may change.
 */
export class Resolution {
  /** Sorted target states. */
  targets: number[] = []
  /** Targets that activate, or re-enter (called multi states), in target order. */
  enters: number[] = []
  /** Active states that deactivate, sorted. */
  exits: number[] = []
  /** Relations accept the mutation. */
  accepted = false
  /**
   * Memo entries only: the auto states to offer once this resolution applied (null: none), known after the first
   * machine asked; undefined until then.
   */
  offer: number[] | null | undefined = undefined
  /** Memo entries only: the auto-candidate counts once it applied (auto.ts), known after the first machine did. */
  auto: AutoCounts | undefined = undefined
  /** Memo entries only: the called states it resolved (empty for a machine's own buffers). */
  called: readonly number[] = []
  /** Memo entries only: the memo generation that made it (-1: a machine's own buffers). */
  gen = -1

  /** A memo entry (shared by the machines of a schema, never changed), not a machine's own buffers. */
  get shared(): boolean {
    return this.gen >= 0
  }
  /**
   * Memo entries only: the resolutions of mutations made right after this one applied, so the next lookup needs no
   * hashing: by `called state * 8 + kind` for single-state mutations, and the auto round of `offer`.
   */
  next: Map<number, Resolution> | null = null
  autoNext: Resolution | null = null
}
