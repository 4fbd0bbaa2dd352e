/**
 * The output of relation resolution (resolve.ts) in its two kinds, told apart by `kind`:
 * - `ResolutionBuffers` (`'own'`): one machine's buffers, refilled by every resolution the machine computes;
 * - `MemoEntry` (`'shared'`): a resolution the schema's memo keeps (memo.ts), handed to every machine of the schema
 *   that meets the same situation. Its lists are readonly; what is learned about it later goes in its `cache`.
 */
/** Auto-candidate counts (auto.ts) at the active states an entry leads to, kept by the entry for every machine. */
export interface AutoCounts {
  readonly counts: readonly number[]
  readonly live: number
}

/** What both kinds say: the readable face of a resolution. */
interface ResolutionLists {
  /** Sorted target states: the active states once the resolution applies. */
  readonly targets: readonly number[]
  /** Targets that activate, or re-enter (called multi states), in target order. */
  readonly enters: readonly number[]
  /** Active states that deactivate, sorted. */
  readonly exits: readonly number[]
  /** Relations accept the mutation. */
  readonly accepted: boolean
}

/**
 * A machine's own resolution buffers: the resolver refills them in place, and when they apply, `targets` becomes the
 * machine's active list and the former active list becomes `targets` (Core.setActive), so a machine that computes
 * its resolutions allocates no lists.
 */
export class ResolutionBuffers implements ResolutionLists {
  readonly kind = 'own'
  targets: number[] = []
  enters: number[] = []
  exits: number[] = []
  accepted = false
}

/**
 * What is learned about a memo entry after it was made, once per entry (the first machine that needs it fills it
 * in; every machine of the schema reads it after that).
 */
export interface EntryCache {
  /** The auto states to offer once the entry applied (null: none); undefined until a machine asked. */
  offer: readonly number[] | null | undefined
  /** The auto-candidate counts once the entry applied (auto.ts); undefined until a machine counted them. */
  auto: AutoCounts | undefined
  /** The entries of single-state mutations made right after this one applied, by called state and type. */
  next: Map<number, MemoEntry> | null
  /** The entry of the auto round of `offer`, right after this one applied. */
  autoNext: MemoEntry | null
}

/**
 * A remembered resolution, shared by every machine of a schema: nobody changes its lists (a machine whose active
 * states are an entry's `targets` holds that very list, see Core.active).
 */
export class MemoEntry implements ResolutionLists {
  // The fields both kinds have come first, in the same order as in ResolutionBuffers.
  readonly kind = 'shared'
  readonly targets: readonly number[]
  readonly enters: readonly number[]
  readonly exits: readonly number[]
  readonly accepted: boolean
  /** The memo generation that made it: links are followed only within one generation. */
  readonly gen: number
  /** The mutation type and auto flag it resolved (memo.ts `meta`). */
  readonly meta: number
  /** The called states it resolved, in order. */
  readonly called: readonly number[]
  /** The active states it was resolved against, in order. */
  readonly before: readonly number[]
  readonly cache: EntryCache = { offer: undefined, auto: undefined, next: null, autoNext: null }

  /** A copy of `out`, the resolution of `called` (mutation `meta`) against `before`; the lists are copied too. */
  constructor(gen: number, meta: number, called: readonly number[], before: readonly number[], out: ResolutionLists) {
    this.targets = out.targets.slice()
    this.enters = out.enters.slice()
    this.exits = out.exits.slice()
    this.accepted = out.accepted
    this.gen = gen
    this.meta = meta
    this.called = called.slice()
    this.before = before.slice()
  }
}

/** A resolution of either kind; `kind` tells which. */
export type Resolution = ResolutionBuffers | MemoEntry
