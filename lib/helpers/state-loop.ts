/**
 * A loop guard (asyncmachine-go `StateLoop`): notices a state that activates too often in too little time — a
 * handler re-adding its own state, two states bouncing off each other — and stops it with an error.
 */
import type { Subscription } from 'rxjs'
import { DisposedError, InvalidArgumentError, type Machine, OutOfRangeError } from '../machine/index.js'
import { StateLoopError } from './errors.js'
import { checkMachine, checkNumber, checkStates, readArg } from './guard.js'

export interface StateLoopOptions<N extends string = string> {
  /** Activations allowed within `window`; one more breaks the loop. Default 500. */
  maxIterations?: number
  /** The sliding window, in milliseconds (`Infinity`: a cap on all activations). Default 1000. */
  window?: number
  /** The error state to add (with `addErrState`); default `Exception` (with `addErr`). */
  errState?: N
}

/**
 * Watches one state's activations (multi re-entries included). When more than `maxIterations` happen within
 * `window` ms, it adds the error once (`StateLoopError`) and stops watching. Released on `dispose()` or when the
 * machine is disposed.
 */
export class StateLoop implements Disposable {
  readonly machine: Machine<string>
  readonly state: string
  /** Activations seen since the guard started. */
  iterations = 0
  /** Set when the loop was broken. */
  error: StateLoopError | undefined = undefined
  readonly #times: Float64Array
  readonly #window: number
  #sub: Subscription | undefined

  /** Use {@link stateLoop}. */
  constructor(mach: Machine<string>, state: string, max: number, window: number, errState: string | undefined) {
    this.machine = mach
    this.state = state
    this.#times = new Float64Array(max)
    this.#window = window
    let first = true
    this.#sub = mach.ticks$(state).subscribe((tick) => {
      // ticks$ starts with the current tick; only changes to an odd tick are activations.
      if (first) first = false
      else if (tick % 2 === 1) this.#activated(errState)
    })
  }

  /** True while the loop may go on: not broken, the guard not disposed, the machine alive. */
  ok(): boolean {
    return this.error === undefined && this.#sub !== undefined && !this.#sub.closed && !this.machine.disposed
  }

  /** Stops watching; idempotent. */
  dispose(): void {
    this.#sub?.unsubscribe()
    this.#sub = undefined
  }

  [Symbol.dispose](): void {
    this.dispose()
  }

  #activated(errState: string | undefined): void {
    const times = this.#times
    const now = Date.now()
    const k = this.iterations++
    const slot = k % times.length
    // times[slot] holds activation k - max: more than max activations within the window means it is too recent.
    if (k >= times.length && now - (times[slot] as number) < this.#window) {
      const m = this.machine
      this.error = new StateLoopError(m.id, this.state, times.length, this.#window)
      this.dispose()
      if (errState === undefined) m.addErr(this.error, { state: this.state })
      else m.addErrState(errState, this.error, { state: this.state })
      return
    }
    times[slot] = now
  }
}

/**
 * Guards `state` against looping too fast.
 *
 * ```ts
 * const loop = stateLoop(mach, 'Poll', { maxIterations: 100, window: 1_000 })
 * mach.bind({ PollState: (e) => { if (loop.ok()) e.machine.add('Poll') } })
 * ```
 * @throws UnknownStateError, DisposedError; OutOfRangeError (a RangeError) for `maxIterations` < 1 or a `window`
 * that is not > 0; InvalidArgumentError for other bad arguments.
 */
export function stateLoop<N extends string>(mach: Machine<N>, state: N, opts: StateLoopOptions<N> = {}): StateLoop {
  const what = 'stateLoop()'
  checkMachine(what, mach)
  const m = mach as Machine<string>
  const where = `machine ${m.id}: ${what}`
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'options', 'an object', opts)
  checkStates(m, state, what)
  if (typeof state !== 'string') throw new InvalidArgumentError(where, 'state', 'a state name', state)
  // Each option read once.
  const { errState, maxIterations, window: win } = readArg(where, 'options', opts, () => ({ ...opts }))
  if (errState !== undefined) {
    checkStates(m, errState, what)
    if (typeof errState !== 'string') throw new InvalidArgumentError(where, 'options.errState', 'a state name', errState)
  }
  const max = checkNumber(where, 'options.maxIterations', maxIterations ?? 500, { integer: true, min: 1 })
  const window = checkNumber(where, 'options.window', win ?? 1_000)
  if (window === 0) throw new OutOfRangeError(where, 'options.window', 'a number > 0', 0)
  if (m.disposed) throw new DisposedError(m.id, what)
  return new StateLoop(m, state, max, window, errState)
}
