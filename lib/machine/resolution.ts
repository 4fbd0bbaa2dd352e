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
 * its resolutions allocates no lists. Made by `newBuffers()`.
 */
export interface ResolutionBuffers extends ResolutionLists {
  readonly kind: 'own'
  targets: number[]
  enters: number[]
  exits: number[]
  accepted: boolean
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
  /** The last link followed or made (its key and entry): a run of one mutation (a message state) skips the Map. */
  lastKey: number
  last: MemoEntry | null
  /** The entry of the auto round of `offer`, right after this one applied. */
  autoNext: MemoEntry | null
}

/**
 * A remembered resolution, shared by every machine of a schema: nobody changes its lists (a machine whose active
 * states are an entry's `targets` holds that very list, see Core.active). Made by `newMemoEntry()`.
 */
export interface MemoEntry extends ResolutionLists {
  readonly kind: 'shared'
  /** The memo generation that made it: links are followed only within one generation. */
  readonly gen: number
  /** The mutation type and auto flag it resolved (memo.ts `meta`). */
  readonly meta: number
  /** The called states it resolved, in order. */
  readonly called: readonly number[]
  /** The active states it was resolved against, in order. */
  readonly before: readonly number[]
  readonly cache: EntryCache
}

/** A resolution of either kind; `kind` tells which. */
export type Resolution = ResolutionBuffers | MemoEntry

/**
 * The one run-time shape of both kinds: a transition reads resolutions of both, and one hidden class keeps those
 * reads monomorphic. The interfaces above say which fields each kind has and which may change; only the two
 * factories below make records.
 */
class ResolutionRecord<K extends Resolution['kind']> {
  constructor(
    readonly kind: K,
    public targets: number[],
    public enters: number[],
    public exits: number[],
    public accepted: boolean,
    readonly gen: number,
    readonly meta: number,
    readonly called: readonly number[],
    readonly before: readonly number[],
    readonly cache: K extends 'shared' ? EntryCache : null,
  ) {}
}

const NONE: readonly number[] = Object.freeze([])

/** New, empty buffers for one machine. */
export function newBuffers(): ResolutionBuffers {
  return new ResolutionRecord('own', [], [], [], false, -1, 0, NONE, NONE, null)
}

/** A memo entry: a copy of `out`, the resolution of `called` (mutation `meta`) against `before`, lists copied too. */
export function newMemoEntry(gen: number, meta: number, called: readonly number[], before: readonly number[],
  out: ResolutionLists): MemoEntry {
  const cache: EntryCache = { offer: undefined, auto: undefined, next: null, lastKey: -1, last: null, autoNext: null }
  return new ResolutionRecord('shared', out.targets.slice(), out.enters.slice(), out.exits.slice(), out.accepted, gen,
    meta, called.slice(), before.slice(), cache)
}
