/**
 * Handlers of {@link DisposedSchema}, and two helpers that use it when a machine has it: `registerDisposal` and
 * `dispose`.
 */
import { DisposedError, type Event, InvalidArgumentError, type Machine, type WaitOptions } from '../machine/index.js'
import { isMachine, thenOf } from '../machine/internals.js'

/** A disposal function: `signal` aborts when `Disposing` ends early (e.g. the machine was disposed meanwhile). */
export type DisposalFn = (machineId: string, signal: AbortSignal) => void | PromiseLike<void>

/** Args of `RegisterDisposal`. */
export interface DisposedArgs {
  disposal: DisposalFn
}

export interface DisposedHandlersOptions {
  /** Receives what a disposal function threw. Default: `console.error`. (`Disposing` blocks `Exception`.) */
  onError?: (err: unknown, machineId: string) => void
}

/**
 * Handlers of {@link DisposedSchema}; bind one instance per machine.
 * - `RegisterDisposalEnter` rejects a `RegisterDisposal` without a function in `args.disposal` (and adds
 *   `Exception` with a `TypeError`, except in `canAdd` checks);
 * - `DisposingState` runs the registered functions one by one, off the transition, awaiting promises, then adds
 *   `Disposed`; it stops when `Disposing` ends early, leaving the functions not yet run registered;
 * - `DisposedState` disposes the machine.
 *
 * ```ts
 * const mach = new Machine(DisposedSchema, { handlers: new DisposedHandlers() })
 * mach.add('RegisterDisposal', { disposal: async () => db.close() } satisfies DisposedArgs)
 * mach.add('Disposing')
 * await mach.whenDisposed()
 * ```
 */
export class DisposedHandlers {
  readonly #fns: DisposalFn[] = []
  readonly #onError: (err: unknown, machineId: string) => void

  /** @throws InvalidArgumentError for options that are not an object, or an `onError` that is not a function. */
  constructor(opts: DisposedHandlersOptions = {}) {
    if (typeof opts !== 'object' || opts === null) {
      throw new InvalidArgumentError('new DisposedHandlers()', 'options', 'an object', opts)
    }
    if (opts.onError !== undefined && typeof opts.onError !== 'function') {
      throw new InvalidArgumentError('new DisposedHandlers()', 'options.onError', 'a function', opts.onError)
    }
    this.#onError = opts.onError ?? ((err, id) => console.error(`polymachine [${id}] disposal function threw:`, err))
  }

  /** Disposal functions registered and not run yet. */
  get pending(): number {
    return this.#fns.length
  }

  RegisterDisposalEnter(e: Event): boolean {
    const fn = e.args['disposal']
    if (typeof fn === 'function') return true
    // A dry run only asks; a real mutation with a bad argument is a bug worth an Exception.
    if (!e.transition.isCheck) {
      e.machine.addErr(new InvalidArgumentError(`machine ${e.machine.id}: RegisterDisposal`, 'args.disposal',
        'a function', fn))
    }
    return false
  }

  RegisterDisposalState(e: Event): void {
    this.#fns.push(e.args['disposal'] as DisposalFn)
  }

  async DisposingState(e: Event): Promise<void> {
    const mach = e.machine
    const signal = e.signal
    // Leave the transition first: disposal functions may take long and mutate the machine.
    await undefined
    while (this.#fns.length > 0) {
      if (signal.aborted) return
      const fn = this.#fns.shift() as DisposalFn
      try {
        await fn(mach.id, signal)
      } catch (err) {
        this.#onError(err, mach.id)
      }
    }
    if (!signal.aborted) mach.add('Disposed')
  }

  DisposedState(e: Event): void {
    e.machine.dispose()
  }
}

/**
 * Runs `fn` when `mach` is disposed: through `RegisterDisposal` when the schema has it (bind
 * {@link DisposedHandlers}), else through `onDispose` (then `fn` gets a signal that never aborts).
 *
 * ```ts
 * registerDisposal(mach, () => clearInterval(timer))
 * ```
 * @throws DisposedError when `mach` is disposed.
 */
export function registerDisposal(mach: Machine<string>, fn: DisposalFn): void {
  if (!isMachine(mach)) throw new InvalidArgumentError('registerDisposal()', 'mach', 'a Machine', mach)
  if (typeof fn !== 'function') throw new InvalidArgumentError(`machine ${mach.id}: registerDisposal()`, 'fn', 'a function', fn)
  if (mach.disposed) throw new DisposedError(mach.id, 'registerDisposal()')
  if (mach.has('RegisterDisposal')) {
    mach.add('RegisterDisposal', { disposal: fn } satisfies DisposedArgs)
    return
  }
  mach.onDispose(() => {
    const ret = fn(mach.id, new AbortController().signal)
    // The result is the user's: its `then` read once, guarded (a throwing getter is reported like a rejection).
    const { then, error } = thenOf(ret)
    const report = (err: unknown): void => console.error(`polymachine [${mach.id}] disposal function rejected:`, err)
    if (error !== undefined) report(error)
    else then?.(() => undefined, report)
  })
}

/**
 * Disposes `mach` the way its schema prefers: adds `Disposing` when it has {@link DisposedSchema} (its handlers
 * dispose it once the disposal functions ran), else calls `dispose()`. Resolves when the machine is disposed.
 *
 * ```ts
 * await dispose(mach, { timeout: 5_000 })
 * ```
 */
export function dispose(mach: Machine<string>, opts?: WaitOptions): Promise<void> {
  if (!isMachine(mach)) throw new InvalidArgumentError('dispose()', 'mach', 'a Machine', mach)
  const done = mach.whenDisposed(opts)
  if (mach.disposed) return done
  if (mach.has('Disposing') && mach.has('Disposed')) {
    if (mach.not('Disposing')) mach.add('Disposing')
  } else mach.dispose()
  return done
}
