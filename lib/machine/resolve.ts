/**
 * Relation resolution, as asyncmachine-go's default resolver: called + active states → target states, enters and
 * exits. A pure computation over the schema's index tables; it runs no user code.
 *
 * Sets are generation-stamped `Uint32Array`s shared by all machines of a schema (resolution never nests), so a
 * computation allocates nothing and its cost follows the touched states and relations, not the schema size. In
 * front of it sits the schema's memo (memo.ts): a situation met before is answered with the remembered resolution.
 */
import { ResolutionMemo } from './memo.js'
import { type MemoEntry, newBuffers, type Resolution, type ResolutionBuffers } from './resolution.js'
import type { Compiled } from './schema.js'
import { LogLevel, type MutationType } from './types.js'

/** Log lines the resolver produced; emitted by the caller once resolution is over. */
export type RelationLog = Array<[LogLevel, string]>

/** What the resolver reads of a machine (`Core` is one). */
export interface ActiveStates {
  /** The active states, in the order of the last transition's targets. */
  readonly active: readonly number[]
  /** The memo entry whose `targets` list is `active` itself, or null when `active` is the machine's own list. */
  readonly activeEntry: MemoEntry | null
  /** Ticks by state index: odd = active. */
  readonly clock: readonly number[]
}

/**
 * One mutation to resolve against a machine's active states. Transitions of every machine refill one shared request
 * (transition.ts: resolution runs no user code, so it never nests), so resolving allocates nothing and a machine
 * keeps only its buffers (`Core.buffers`).
 */
export interface ResolveRequest {
  type: MutationType
  /** Called states, in call order. */
  called: readonly number[]
  /** The machine's own auto round: accepted when at least one called state survives. */
  isAuto: boolean
  readonly machine: ActiveStates
  /**
   * Where a computed resolution is written: the machine's own buffers, made by its first computation (with memo
   * hits, maybe never). A dry run during a transition passes a request of its own, so the transition's stay intact.
   */
  buffers: ResolutionBuffers | null
  /** Collects the relation log lines; the memo is skipped then, as the lines come from the computation. */
  log: RelationLog | null
}

/** Empties a small array in place. Popping stays on V8's fast path; assigning `length` goes through the runtime. */
export function clear(list: number[]): void {
  while (list.length > 0) list.pop()
}

/** `list.includes(x)` without the builtin call: relation lists are a few entries long, most of them empty. */
function listed(list: Int32Array, x: number): boolean {
  for (let k = 0; k < list.length; k++) if (list[k] === x) return true
  return false
}

const isActive = (clock: readonly number[], i: number): boolean => ((clock[i] as number) & 1) === 1

export class Resolver {
  private readonly tables: Compiled
  private readonly list: Int32Array
  private readonly rev: Int32Array
  private readonly inList: Uint32Array
  private readonly inOut: Uint32Array
  private readonly called: Uint32Array
  private readonly blocked: Uint32Array
  private readonly toRemove: Uint32Array
  private gen = 0
  /** Set by `push`: some listed state applies its Add. */
  private applying = false
  /** Resolutions already computed for this schema (memo.ts). */
  readonly memo = new ResolutionMemo()

  constructor(tables: Compiled) {
    this.tables = tables
    this.list = new Int32Array(tables.n)
    this.rev = new Int32Array(tables.n)
    this.inList = new Uint32Array(tables.n)
    this.inOut = new Uint32Array(tables.n)
    this.called = new Uint32Array(tables.n)
    this.blocked = new Uint32Array(tables.n)
    this.toRemove = new Uint32Array(tables.n)
  }

  /**
   * Resolves one mutation: the request's buffers filled in (made first when it has none), or a memo entry.
   * Relations accept a remove always; an add/set when every called state survived; an auto add when at least one did
   * (partial acceptance).
   */
  resolve(req: ResolveRequest): Resolution {
    const memo = this.memo
    const { type, called, isAuto, machine } = req
    // With a relation log the computation must run to produce its lines.
    if (req.log !== null || !memo.use()) return this.computeInto(req, req.log)
    const before = machine.active
    // Active states that are an entry's targets: the entry's links answer without hashing.
    const from = machine.activeEntry
    if (from !== null) {
      const next = memo.follow(from, type, called, isAuto)
      if (next !== null) return next
    }
    const key = memo.key(type, called, before, isAuto)
    let found = memo.recall(key, type, called, before, isAuto)
    if (found === null) {
      const out = this.computeInto(req, null)
      found = memo.remember(key, type, called, before, isAuto, out)
      if (found === null) return out
    }
    if (from !== null) memo.link(from, type, called, isAuto, found)
    return found
  }

  private computeInto(req: ResolveRequest, log: RelationLog | null): ResolutionBuffers {
    const { machine } = req
    const out = (req.buffers ??= newBuffers())
    out.accepted = this.compute(req.type, req.called, machine.active, machine.clock, req.isAuto, out, log)
    return out
  }

  /** The resolution itself (asyncmachine-go's steps 0-9). Depends on `clock` only through which states are active. */
  private compute(
    type: MutationType,
    called: readonly number[],
    before: readonly number[],
    clock: readonly number[],
    isAuto: boolean,
    out: ResolutionBuffers,
    log: RelationLog | null,
  ): boolean {
    const gen = this.nextGen()
    const { list, inList, rev, inOut } = this
    const isRemove = type === 'remove'
    for (let i = 0; i < called.length; i++) this.called[called[i] as number] = gen

    // Step 0: the initial list. `applying` notes whether a listed state would apply its Add (see expandAdd).
    this.applying = false
    let len = 0
    if (type === 'add') {
      len = this.push(list, len, gen, called, 'all', clock)
      len = this.push(list, len, gen, before, 'all', clock)
    } else if (isRemove) {
      len = this.push(list, len, gen, before, 'uncalled', clock)
    } else {
      len = this.push(list, len, gen, called, 'all', clock)
    }

    // Steps 1-4: follow Add to a fixed point, then drop states whose Require is missing (to a fixed point).
    const { hasRequire, required } = this.tables
    if (this.applying) len = this.expandAdd(list, len, inList, gen, type, clock, null)
    if (hasRequire) len = this.filterRequire(list, len, inList, gen, log, isAuto)

    // Steps 5-6: walk the list reversed; a state is blocked by any not-yet-blocked state of the list removing it.
    // Called states come first in the list, so they are looked at last: called beats active, earlier beats later.
    let rlen = 0
    let blockedRequired = false
    let applying = false
    for (let i = len - 1; i >= 0; i--) {
      const x = list[i] as number
      if (this.isBlocked(x, gen, log, clock)) {
        this.blocked[x] = gen
        if (hasRequire && required[x] === 1) blockedRequired = true
      } else {
        rev[rlen++] = x
        inOut[x] = gen
        if (!applying && this.applies(x, clock)) applying = true
      }
    }

    // Steps 7-8: what survivors remove; Add again over the survivors, never re-adding a removed state. Only a
    // survivor that applies its Add can change anything here.
    const survivors = rlen
    if (applying) {
      for (let k = 0; k < rlen; k++) {
        const rm = this.tables.remove[rev[k] as number] as Int32Array
        for (let j = 0; j < rm.length; j++) this.toRemove[rm[j] as number] = gen
      }
      rlen = this.expandAdd(rev, rlen, inOut, gen, type, clock, this.toRemove)
    }

    // Step 9: back to list order; Require again, which deactivates states whose requirement went away. Survivors
    // passed steps 3-4, so only a blocked state that something requires, or a state added in 7-8, can fail here.
    if (hasRequire && (blockedRequired || rlen > survivors)) {
      rlen = this.filterRequire(rev, rlen, inOut, gen, log, isAuto)
    }
    const targets = out.targets
    clear(targets)
    for (let k = rlen - 1; k >= 0; k--) targets.push(rev[k] as number)
    this.sort(targets)

    const { enters, exits } = out
    clear(enters)
    clear(exits)
    const multi = this.tables.multi
    for (let i = 0; i < targets.length; i++) {
      const x = targets[i] as number
      if (!isActive(clock, x) || (this.called[x] === gen && multi[x] === 1)) enters.push(x)
    }
    for (let i = 0; i < before.length; i++) {
      const x = before[i] as number
      if (inOut[x] !== gen) exits.push(x)
    }
    this.sort(exits)

    if (isRemove) return true
    let survived = 0
    for (let i = 0; i < called.length; i++) if (inOut[called[i] as number] === gen) survived++
    return isAuto ? survived > 0 : survived === called.length
  }

  /** Sorts states in place: require topology (required first, unconstrained first of all), then `after`. */
  sort(states: number[]): void {
    const { topo, sorts, hasAfter } = this.tables
    if (!sorts || states.length < 2) return
    // Stable insertion sorts: lists are short and usually almost sorted already.
    for (let i = 1; i < states.length; i++) {
      const x = states[i] as number
      const p = topo[x] as number
      let j = i - 1
      while (j >= 0 && (topo[states[j] as number] as number) > p) states[j + 1] = states[j--] as number
      states[j + 1] = x
    }
    if (hasAfter) this.sortAfter(states)
  }

  /** asyncmachine-go's insertion step: move a state left while its left neighbour must come after it. */
  private sortAfter(states: number[]): void {
    const after = this.tables.after
    for (let i = 1; i < states.length; i++) {
      for (let j = i; j > 0 && listed(after[states[j - 1] as number] as Int32Array, states[j] as number); j--) {
        const t = states[j] as number
        states[j] = states[j - 1] as number
        states[j - 1] = t
      }
    }
  }

  /** Appends `from` to the list, each state once: all of them, or only those not called. */
  private push(list: Int32Array, len: number, gen: number, from: readonly number[], which: 'all' | 'uncalled',
    clock: readonly number[]): number {
    const mark = this.inList
    const skipCalled = which === 'uncalled'
    for (let i = 0; i < from.length; i++) {
      const x = from[i] as number
      if (mark[x] === gen || (skipCalled && this.called[x] === gen)) continue
      mark[x] = gen
      list[len++] = x
      if (!this.applying && this.applies(x, clock)) this.applying = true
    }
    return len
  }

  /** Whether `x` applies its Add when listed: it has adds and is inactive or multi (see expandAdd). */
  private applies(x: number, clock: readonly number[]): boolean {
    const when = this.tables.adds[x] as number
    return when !== 0 && (when === 2 || !isActive(clock, x))
  }

  /**
   * Appends the Add targets of every listed state (including appended ones: a fixed point). Active non-multi states
   * do not re-apply their Add; a remove mutation never adds back what it removes.
   */
  private expandAdd(
    list: Int32Array,
    len: number,
    mark: Uint32Array,
    gen: number,
    type: MutationType,
    clock: readonly number[],
    skip: Uint32Array | null,
  ): number {
    const { add, multi } = this.tables
    const isRemove = type === 'remove'
    for (let i = 0; i < len; i++) {
      const x = list[i] as number
      if (isActive(clock, x) && multi[x] !== 1) continue
      const adds = add[x] as Int32Array
      for (let j = 0; j < adds.length; j++) {
        const y = adds[j] as number
        if (mark[y] === gen || (isRemove && this.called[y] === gen) || (skip !== null && skip[y] === gen)) continue
        mark[y] = gen
        list[len++] = y
      }
    }
    return len
  }

  /** Drops (in place, order kept) every state with a Require missing from the list, until nothing changes. */
  private filterRequire(
    list: Int32Array,
    len: number,
    mark: Uint32Array,
    gen: number,
    log: RelationLog | null,
    isAuto: boolean,
  ): number {
    const require = this.tables.require
    for (let changed = true; changed; ) {
      changed = false
      let w = 0
      for (let r = 0; r < len; r++) {
        const x = list[r] as number
        const req = require[x] as Int32Array
        let ok = true
        for (let j = 0; j < req.length && ok; j++) ok = mark[req[j] as number] === gen
        if (ok) {
          list[w++] = x
          continue
        }
        mark[x] = 0
        changed = true
        if (log) this.logReject(log, x, req, mark, gen, isAuto)
      }
      len = w
    }
    return len
  }

  private isBlocked(x: number, gen: number, log: RelationLog | null, clock: readonly number[]): boolean {
    const by = this.tables.removedBy[x] as Int32Array
    let blocked = false
    for (let j = 0; j < by.length && !blocked; j++) {
      const b = by[j] as number
      if (this.inList[b] === gen && this.blocked[b] !== gen) blocked = true
    }
    if (blocked && log) {
      const names = this.tables.names
      const blockers = Array.from(by).filter((b) => this.inList[b] === gen && this.blocked[b] !== gen)
      const level = isActive(clock, x) ? LogLevel.Ops : LogLevel.Decisions
      log.push([level, `[rel:remove] ${names[x]} by ${blockers.map((b) => names[b]).join(' ')}`])
    }
    return blocked
  }

  private logReject(log: RelationLog, x: number, req: Int32Array, mark: Uint32Array, gen: number, auto: boolean): void {
    const names = this.tables.names
    const missing = Array.from(req).filter((q) => mark[q] !== gen)
    const line = `${names[x]}(${missing.map((q) => `-${names[q]}`).join(' ')})`
    log.push(auto ? [LogLevel.Decisions, `[reject:auto] ${line}`] : [LogLevel.Ops, `[reject] ${line}`])
  }

  private nextGen(): number {
    if (this.gen === 0xffffffff) {
      for (const m of [this.inList, this.inOut, this.called, this.blocked, this.toRemove]) m.fill(0)
      this.gen = 0
    }
    return ++this.gen
  }
}
