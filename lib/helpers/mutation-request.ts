/**
 * Retrying mutations (asyncmachine-go `MutRequest`): repeat a mutation while it is canceled, with a delay, an
 * optional backoff and a cap on the delay.
 */
import { type Args, DisposedError, InvalidArgumentError, type Machine, Result, type States } from '../machine/index.js'
import { checkMachine, checkNumber, checkStates, guarded, type HelperOptions, ignore } from './guard.js'

export type MutationKind = 'add' | 'remove' | 'set'

/** The retry settings of a {@link MutationRequest}. */
export interface MutationRequestConfig {
  readonly retries: number
  readonly delay: number
  readonly factor: number
  readonly maxDelay: number
}

const DEFAULTS: MutationRequestConfig = { retries: 10, delay: 100, factor: 1, maxDelay: 5_000 }

/**
 * A mutation to retry while it returns `Canceled`. Immutable: every setter returns a new request, so one can serve
 * as a template. Defaults: 10 retries, 100 ms apart, no backoff, delays capped at 5 s.
 */
export class MutationRequest<N extends string> {
  readonly #mach: Machine<N>
  readonly #type: MutationKind
  readonly #states: States<N>
  readonly #args: Args | undefined
  readonly #cfg: MutationRequestConfig

  /** Use {@link mutationRequest}. */
  constructor(mach: Machine<N>, type: MutationKind, states: States<N>, args: Args | undefined,
    cfg: MutationRequestConfig = DEFAULTS) {
    this.#mach = mach
    this.#type = type
    this.#states = states
    this.#args = args
    this.#cfg = cfg
  }

  /** Retries after the first attempt (an integer ≥ 0). */
  retries(n: number): MutationRequest<N> {
    return this.#with({ retries: checkNumber('retries()', 'n', n, { integer: true }) })
  }

  /** Milliseconds before the first retry. */
  delay(ms: number): MutationRequest<N> {
    return this.#with({ delay: checkNumber('delay()', 'ms', ms) })
  }

  /** Multiplies the delay by `factor` (≥ 1) after each retry, up to `maxDelay` ms (default 5 s). */
  backoff(factor: number, maxDelay: number = this.#cfg.maxDelay): MutationRequest<N> {
    return this.#with({ factor: checkNumber('backoff()', 'factor', factor, { min: 1 }),
      maxDelay: checkNumber('backoff()', 'maxDelay', maxDelay) })
  }

  /** The current settings. */
  get config(): Readonly<MutationRequestConfig> {
    return this.#cfg
  }

  /**
   * Runs the mutation now, then retries while it is `Canceled`. Resolves with the first other result (`Executed`, or
   * a queue tick: queued counts as success), or `Canceled` once the retries are spent. Rejects with
   * `DisposedError` when the machine is (or gets) disposed, `TimeoutError` after `timeout` ms in all, or the
   * signal's reason.
   */
  run(opts?: HelperOptions): Promise<Result> {
    const mach = this.#mach as Machine<string>
    const what = `mutationRequest(${this.#type} ${[this.#states].flat().join(' ')})`
    const cfg = this.#cfg
    return guarded<Result>(what, [mach.id], opts, (g) => {
      let attempt = 0
      let delay = cfg.delay
      let timer: ReturnType<typeof setTimeout> | undefined
      const attemptOnce = (): void => {
        if (mach.disposed) return g.reject(new DisposedError(mach.id, what))
        let r: Result
        try {
          r = mach[this.#type](this.#states, this.#args)
        } catch (err) {
          // From a timer, nothing may escape: the request fails with what the mutation threw.
          return g.reject(err)
        }
        if (r !== Result.Canceled) return g.resolve(r)
        if (mach.disposed) return g.reject(new DisposedError(mach.id, what))
        if (attempt++ >= cfg.retries) return g.resolve(Result.Canceled)
        if (attempt === 1) {
          // Waiting from here on: stop the timer when settled, and notice disposal without waiting for it.
          g.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
          mach.whenDisposed({ signal: g.signal }).then(() => g.reject(new DisposedError(mach.id, what)), ignore)
        }
        timer = setTimeout(attemptOnce, delay)
        delay = Math.min(delay * cfg.factor, cfg.maxDelay)
      }
      attemptOnce()
    })
  }

  #with(patch: Partial<MutationRequestConfig>): MutationRequest<N> {
    return new MutationRequest(this.#mach, this.#type, this.#states, this.#args, { ...this.#cfg, ...patch })
  }
}

/**
 * A retrying mutation: `add`, `remove` or `set` of `states` with `args`, run by `.run()`.
 *
 * ```ts
 * const r = await mutationRequest(mach, 'add', 'Connected').retries(5).delay(50).backoff(2, 1_000).run()
 * if (r === Result.Canceled) console.log('gave up')
 * ```
 * @throws UnknownStateError for states the machine lacks; InvalidArgumentError (a TypeError) for another kind of
 * mutation, args that are not an object, or something that is not a machine.
 */
export function mutationRequest<N extends string>(mach: Machine<N>, type: MutationKind, states: States<N>,
  args?: Args): MutationRequest<N> {
  checkMachine('mutationRequest()', mach)
  const where = `machine ${mach.id}: mutationRequest()`
  if (type !== 'add' && type !== 'remove' && type !== 'set') {
    throw new InvalidArgumentError(where, 'type', "'add', 'remove' or 'set'", type)
  }
  checkStates(mach as Machine<string>, states, 'mutationRequest()')
  if (args !== undefined && (typeof args !== 'object' || args === null)) {
    throw new InvalidArgumentError(where, 'args', 'an object or undefined', args)
  }
  return new MutationRequest(mach, type, states, args)
}
