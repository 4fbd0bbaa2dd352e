/**
 * Waiting for several waiters at once (asyncmachine-go `WaitForAll`, `WaitForAny`, `WaitForErrAll`,
 * `WaitForErrAny`), with a timeout and an abort signal; the Err variants also fail when a machine gets `Exception`.
 */
import { DisposedError, InvalidArgumentError, type Machine } from '../machine/index.js'
import { isMachine, thenOf } from '../machine/internals.js'
import { InExceptionError } from './errors.js'
import { guarded, type Guard, type HelperOptions, ignore, readArg } from './guard.js'

/**
 * A waiter: a promise (e.g. `mach.when('Ready')`), or a function that starts one with the signal it is given.
 * Prefer functions: the helper then releases the waiters it no longer needs as soon as it settles.
 */
export type Waiter = PromiseLike<unknown> | ((opts: { signal: AbortSignal }) => PromiseLike<unknown>)

type Machines = Machine<string> | readonly Machine<string>[]

/**
 * Resolves when every waiter resolved. Rejects with the first waiter's rejection, `TimeoutError`, or the signal's
 * reason. Releases the function waiters still pending once it settles.
 *
 * ```ts
 * await waitForAll([(o) => db.when('Ready', o), (o) => cache.when('Ready', o)], { timeout: 5_000 })
 * ```
 * @throws RangeError for a negative or NaN timeout; TypeError for something that is not a waiter.
 */
export function waitForAll(waiters: readonly Waiter[], opts?: HelperOptions): Promise<void> {
  return waitFor('waitForAll()', 'all', [], waiters, opts).then(ignore)
}

/**
 * Resolves with the index of the first waiter that resolved. Rejects with the first rejection (a waiter of a
 * disposed machine rejects with `DisposedError`), `TimeoutError`, or the signal's reason.
 *
 * ```ts
 * const i = await waitForAny([(o) => job.when('Done', o), (o) => job.when('Failed', o)])
 * ```
 * @throws RangeError for a negative or NaN timeout; TypeError for no waiters or something that is not a waiter.
 */
export function waitForAny(waiters: readonly Waiter[], opts?: HelperOptions): Promise<number> {
  return waitFor('waitForAny()', 'any', [], waiters, opts)
}

/**
 * {@link waitForAll}, and rejects with a machine's error as soon as one of `machines` has `Exception` active
 * (already, or later), or with `DisposedError` when one is disposed.
 *
 * ```ts
 * await waitForErrAll(worker, [(o) => worker.when('Ready', o)], { timeout: 1_000 })
 * ```
 * @throws RangeError for a negative or NaN timeout; TypeError for something that is not a waiter or a machine.
 */
export function waitForErrAll(machines: Machines, waiters: readonly Waiter[], opts?: HelperOptions): Promise<void> {
  return waitFor('waitForErrAll()', 'all', list('waitForErrAll()', machines), waiters, opts).then(ignore)
}

/**
 * {@link waitForAny}, and rejects with a machine's error as soon as one of `machines` has `Exception` active.
 *
 * ```ts
 * const i = await waitForErrAny([a, b], [(o) => a.when('Ready', o), (o) => b.when('Ready', o)])
 * ```
 * @throws RangeError for a negative or NaN timeout; TypeError for no waiters, or not a waiter / machine.
 */
export function waitForErrAny(machines: Machines, waiters: readonly Waiter[], opts?: HelperOptions): Promise<number> {
  return waitFor('waitForErrAny()', 'any', list('waitForErrAny()', machines), waiters, opts)
}

function list(what: string, machines: Machines): readonly Machine<string>[] {
  const ms = readArg(what, 'machines', machines, (): unknown[] | null =>
    isMachine(machines) ? [machines] : Array.isArray(machines) ? [...(machines as unknown[])] : null)
  if (!ms) throw new InvalidArgumentError(what, 'machines', 'a Machine or an array of them', machines)
  const bad = ms.findIndex((m) => !isMachine(m))
  if (bad >= 0) throw new InvalidArgumentError(what, `machines[${bad}]`, 'a Machine', (ms as unknown[])[bad])
  return [...(ms as Machine<string>[])]
}

/** The error of a machine in `Exception`: its `err` when that is an Error, else an `InExceptionError` wrapping it. */
export function errorOf(mach: Machine<string>): Error {
  const err = mach.err
  if (err instanceof Error) return err
  return new InExceptionError(mach.id, err)
}

/** A waiter's `then`, read once and guarded (a throwing getter is the waiter's failure, not ours). */
type Then = NonNullable<ReturnType<typeof thenOf>['then']>

function waitFor(what: string, mode: 'all' | 'any', machines: readonly Machine<string>[], waiters: readonly Waiter[],
  opts: HelperOptions | undefined): Promise<number> {
  const list = readArg(what, 'waiters', waiters, () => (Array.isArray(waiters) ? [...(waiters as unknown[])] : null))
  if (!list) throw new InvalidArgumentError(what, 'waiters', 'an array of promises or functions', waiters)
  // Promises are checked (and their `then` read) once, here; functions are called when the wait starts.
  const thens = list.map((w, i): Then | null => {
    if (typeof w === 'function') return null
    const { then } = thenOf(w)
    if (!then) throw new InvalidArgumentError(what, `waiters[${i}]`, 'a promise or a function that returns one', w)
    return then
  })
  if (mode === 'any' && list.length === 0) {
    throw new InvalidArgumentError(what, 'waiters', 'a non-empty array (needs at least one waiter)', waiters)
  }
  return guarded<number>(what, machines.map((m) => m.id), opts, (g) => {
    if (watchErrors(what, machines, g)) return
    let left = list.length
    if (left === 0) return g.resolve(-1)
    const done = (i: number) => (): void => {
      if (mode === 'any' || --left === 0) g.resolve(mode === 'any' ? i : -1)
    }
    // A waiter function that throws or returns no promise, or a `then` that throws: thrown synchronously (guarded()
    // releases the waiters already started first).
    for (let i = 0; i < list.length && !g.signal.aborted; i++) {
      let then = thens[i]
      if (!then) {
        const p = (list[i] as (o: { signal: AbortSignal }) => unknown)({ signal: g.signal })
        const t = thenOf(p)
        if (t.error !== undefined) throw t.error
        if (!t.then) throw new InvalidArgumentError(what, `waiters[${i}]`, 'a function that returns a promise', p)
        then = t.then
      }
      then(done(i), g.reject)
    }
  })
}

/** Err variants: settles at once when a machine is disposed or in Exception, else watches each; true if settled. */
function watchErrors(what: string, machines: readonly Machine<string>[], g: Guard<number>): boolean {
  for (const m of machines) {
    if (m.disposed) {
      g.reject(new DisposedError(m.id, what))
      return true
    }
    if (m.is('Exception')) {
      g.reject(errorOf(m))
      return true
    }
  }
  for (const m of machines) m.whenErr({ signal: g.signal }).then(() => g.reject(errorOf(m)), g.reject)
  return false
}
