/**
 * The records handed to handlers, tracers and `transitions$`: `Tx` (a TransitionInfo) and `HandlerEvent` (an
 * Event). They exist only when someone looks (handlers, tracers, observers); index lists become names lazily.
 */
import type { Core } from './core.js'
import type { Event, MutationType, TransitionInfo } from './events.js'
import type { Machine } from './machine.js'
import type { TransitionMode } from './mutation.js'
import { transitionEnded } from './reasons.js'
import type { Resolution } from './resolution.js'
import type { Args } from './types.js'

const EMPTY: readonly never[] = Object.freeze([])

/** A list of `res` a record may hold: a memo entry's as it is (read-only), a machine's reused buffer copied. */
function keep(res: Resolution, list: readonly number[]): readonly number[] {
  return res.kind === 'shared' ? list : list.slice()
}

/**
 * Clock history behind the `timeBefore`/`timeAfter` of transition records, so a record costs the ticks its
 * transition wrote rather than a copy of the whole clock: a copy of the clock when the segment opened, then every
 * tick written since as (state, tick) pairs. A record keeps its segment and two positions in it; reading a time
 * replays the segment up to its position (once, then cached), however much later that happens.
 * Consecutive records share a segment until it holds as many pairs as the clock has states (at least 32): a new one
 * then starts with a fresh copy, so the copying stays a constant per written tick.
 */
export class ClockLog {
  private readonly start: readonly number[]
  /** Flat (state, tick) pairs in write order. */
  private readonly writes: number[] = []
  /** `Core.clockVersion` after the last write logged here: only then may a new record continue this segment. */
  version: number

  /** Pairs' numbers it holds before a new segment starts: as many pairs as the clock has states, at least 32. */
  private readonly limit: number

  constructor(clock: readonly number[], version: number) {
    this.start = clock.slice()
    this.limit = 2 * Math.max(clock.length, 32)
    this.version = version
  }

  get position(): number {
    return this.writes.length
  }

  get full(): boolean {
    return this.writes.length >= this.limit
  }

  /** Logs the current ticks of `states`. */
  record(states: readonly number[], clock: readonly number[]): void {
    for (let k = 0; k < states.length; k++) {
      const x = states[k] as number
      this.writes.push(x, clock[x] as number)
    }
  }

  /** The clock as it was at `position`. */
  at(position: number): number[] {
    const out = this.start.slice()
    for (let k = 0; k < position; k += 2) out[this.writes[k] as number] = this.writes[k + 1] as number
    return out
  }
}

export class Tx<N extends string = string> implements TransitionInfo<N> {
  readonly core: Core
  readonly type: MutationType
  readonly isAuto: boolean
  readonly isCheck: boolean
  accepted = false
  canceledBy: string | undefined = undefined
  /** State indexes. Targets, enters and exits may shrink during an auto transition's partial acceptance. */
  readonly calledIdx: readonly number[]
  readonly beforeIdx: readonly number[]
  targetIdx: readonly number[]
  enterIdx: readonly number[]
  exitIdx: readonly number[]
  /** Where this transition's clock history is, and its position there before it applied and when it ended. */
  readonly log: ClockLog
  private readonly beforePos: number
  private afterPos = -1
  private before: readonly number[] | null = null
  private after: readonly number[] | null = null
  private argsObj: Args | undefined
  private ctl: AbortController | null = null
  private ended = false

  constructor(core: Core, type: MutationType, called: readonly number[], args: Args | undefined, mode: TransitionMode) {
    this.core = core
    this.type = type
    this.isAuto = mode === 'auto'
    this.isCheck = mode === 'check'
    // Memo entries' lists are read-only, so a record keeps them; a machine's own lists (buffers, own active list,
    // parse scratch) are reused, so it copies those. Other called lists are never written after the call.
    const res = core.resolved
    this.calledIdx = res.kind === 'shared' ? res.called : called === core.scratch ? called.slice() : called
    this.beforeIdx = core.activeEntry !== null ? core.active : core.active.slice()
    this.targetIdx = keep(res, res.targets)
    this.enterIdx = keep(res, res.enters)
    this.exitIdx = keep(res, res.exits)
    this.log = core.clockLog()
    this.beforePos = this.log.position
    this.argsObj = args
  }

  get machine(): Machine<N> {
    return this.core.machine as Machine<N>
  }

  /** The transition resolved again (partial acceptance of an auto round): its targets, enters and exits change. */
  resolvedAgain(res: Resolution): void {
    this.targetIdx = keep(res, res.targets)
    this.enterIdx = keep(res, res.enters)
    this.exitIdx = keep(res, res.exits)
    this.after = null
  }

  get args(): Args {
    return (this.argsObj ??= {})
  }

  get calledStates(): readonly N[] {
    return this.names(this.calledIdx)
  }

  get statesBefore(): readonly N[] {
    return this.names(this.beforeIdx)
  }

  get targetStates(): readonly N[] {
    return this.names(this.targetIdx)
  }

  get enters(): readonly N[] {
    return this.names(this.enterIdx)
  }

  get exits(): readonly N[] {
    return this.names(this.exitIdx)
  }

  get timeBefore(): readonly number[] {
    return (this.before ??= this.log.at(this.beforePos))
  }

  /**
   * The clock after the transition, as asyncmachine-go: while negotiating a provisional one (`timeBefore` plus the
   * ticks the enters and exits would take; `timeBefore` for a check), the applied clock in final handlers, and the
   * clock when it ended (after any roll-back; unchanged when canceled) once it is over.
   */
  get timeAfter(): readonly number[] {
    if (this.afterPos < 0) return this.isCheck ? this.timeBefore : (this.after ??= this.provisional())
    return (this.after ??= this.log.at(this.afterPos))
  }

  private provisional(): number[] {
    const t = this.timeBefore.slice()
    // an active (multi) state re-entering takes +2, as in apply()
    for (const x of this.enterIdx) t[x] = (t[x] as number) + (((t[x] as number) & 1) === 1 ? 2 : 1)
    for (const x of this.exitIdx) t[x] = (t[x] as number) + 1
    return t
  }

  /** The clocks were applied (before the final handlers): `timeAfter` shows them from now on. */
  applied(): void {
    this.afterPos = this.log.position
    this.after = null
  }

  /** Aborted when the transition ends. */
  get signal(): AbortSignal {
    if (this.ended) return AbortSignal.abort(this.endReason())
    return (this.ctl ??= new AbortController()).signal
  }

  /** Called once, when the transition is over. */
  finish(): void {
    const pos = this.log.position
    if (pos !== this.afterPos) {
      // Not applied (canceled, a check: the provisional time is dropped), or a roll-back wrote ticks since.
      this.afterPos = pos
      this.after = null
    }
    this.ended = true
    this.ctl?.abort(this.endReason())
  }

  toString(): string {
    return `[${this.type}${this.isAuto ? ':auto' : ''}] ${this.calledStates.join(' ')}`
  }

  private endReason(): DOMException {
    return transitionEnded(this.core.id, this.toString())
  }

  private names(list: readonly number[]): readonly N[] {
    if (list.length === 0) return EMPTY
    const names = this.core.tables.names
    return list.map((i) => names[i]) as N[]
  }
}

export class HandlerEvent<N extends string = string> implements Event<N> {
  readonly name: string
  readonly transition: Tx<N>
  /** For `FooState`: Foo's index and its tick at dispatch, so `signal` is the signal of that instance. */
  private readonly state: number
  private readonly tick: number

  constructor(name: string, tx: Tx<N>, state = -1, tick = 0) {
    this.name = name
    this.transition = tx
    this.state = state
    this.tick = tick
  }

  get machine(): Machine<N> {
    return this.transition.machine
  }

  get args(): Args {
    return this.transition.args
  }

  get signal(): AbortSignal {
    return this.state < 0 ? this.transition.signal : this.transition.core.instanceSignal(this.state, this.tick)
  }
}
