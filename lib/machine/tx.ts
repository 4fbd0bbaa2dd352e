/**
 * The records handed to handlers, tracers and `transitions$`: `Tx` (a TransitionInfo) and `HandlerEvent` (an
 * Event). They exist only when someone looks (handlers, tracers, observers); index lists become names lazily.
 */
import type { Core } from './core.js'
import type { Machine } from './machine.js'
import type { Args, Event, MutationType, TransitionInfo } from './types.js'

const EMPTY: readonly never[] = Object.freeze([])

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
  targetIdx: number[]
  enterIdx: number[]
  exitIdx: number[]
  readonly timeBefore: readonly number[]
  private after: readonly number[] | null = null
  private argsObj: Args | undefined
  private ctl: AbortController | null = null
  private ended = false

  constructor(core: Core, type: MutationType, called: readonly number[], args: Args | undefined, auto: boolean,
    check: boolean) {
    this.core = core
    this.type = type
    this.isAuto = auto
    this.isCheck = check
    this.calledIdx = called.slice()
    this.beforeIdx = core.active.slice()
    this.targetIdx = core.res.targets.slice()
    this.enterIdx = core.res.enters.slice()
    this.exitIdx = core.res.exits.slice()
    this.timeBefore = core.clock.slice()
    this.argsObj = args
  }

  get machine(): Machine<N> {
    return this.core.mach as Machine<N>
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

  get timeAfter(): readonly number[] {
    return this.after ?? this.timeBefore
  }

  /** Aborted when the transition ends. */
  get signal(): AbortSignal {
    if (this.ended) return AbortSignal.abort(this.endReason())
    return (this.ctl ??= new AbortController()).signal
  }

  /** Called once, when the transition is over. */
  finish(): void {
    this.after = this.core.clock.slice()
    this.ended = true
    this.ctl?.abort(this.endReason())
  }

  toString(): string {
    return `[${this.type}${this.isAuto ? ':auto' : ''}] ${this.calledStates.join(' ')}`
  }

  private endReason(): DOMException {
    return new DOMException(`machine ${this.core.id}: transition ${this.toString()} ended`, 'AbortError')
  }

  private names(list: readonly number[]): readonly N[] {
    if (list.length === 0) return EMPTY
    const names = this.core.c.names
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
