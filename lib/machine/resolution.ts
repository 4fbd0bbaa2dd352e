/** The output of relation resolution (resolve.ts), and the unit the resolution memo keeps (memo.ts). */

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
}
