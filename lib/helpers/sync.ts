/**
 * Mutations that wait: `addSync` / `removeSync` (wait for a queued mutation's turn, report whether it took effect)
 * and `addAsync` (start something, wait for the state that says it is done).
 */
import { type Args, isQueued, type Machine, Result, type States } from '../machine/index.js'
import { checkMachine, checkStates, disposedError, type HelperOptions, readOptions } from './guard.js'

/**
 * Adds `states`; when the mutation is queued (called from a handler), waits for its queue tick. Resolves true when
 * all `states` are active afterwards, false when the mutation was canceled or did not activate them.
 *
 * ```ts
 * if (await addSync(mach, 'Ready')) console.log('ready')
 * ```
 * @throws UnknownStateError, RangeError (bad timeout). Rejects with DisposedError, TimeoutError, `signal.reason`.
 */
export function addSync<N extends string>(mach: Machine<N>, states: States<N>, args?: Args,
  opts?: HelperOptions): Promise<boolean> {
  return mutateSync('add', mach, states, args, opts)
}

/**
 * Removes `states`; when queued, waits for its queue tick. Resolves true when none of `states` is active afterwards.
 *
 * ```ts
 * await removeSync(mach, ['Ready', 'Start'])
 * ```
 * @throws UnknownStateError, RangeError (bad timeout). Rejects with DisposedError, TimeoutError, `signal.reason`.
 */
export function removeSync<N extends string>(mach: Machine<N>, states: States<N>, args?: Args,
  opts?: HelperOptions): Promise<boolean> {
  return mutateSync('remove', mach, states, args, opts)
}

function mutateSync(type: 'add' | 'remove', mach: Machine<string>, states: States<string>, args: Args | undefined,
  opts: HelperOptions | undefined): Promise<boolean> {
  const what = `${type}Sync()`
  checkMachine(what, mach)
  const read = readOptions(`machine ${mach.id}: ${what}`, opts) // read once: passed on as read, never re-read
  const { signal } = read
  checkStates(mach, states, what)
  if (signal?.aborted) return Promise.reject(signal.reason)
  const gone = disposedError(mach, what)
  if (gone) return Promise.reject(gone)
  const r = type === 'add' ? mach.add(states, args) : mach.remove(states, args)
  const took = (): boolean => (type === 'add' ? mach.is(states) : mach.not(states))
  if (r === Result.Canceled) return Promise.resolve(false)
  if (!isQueued(r)) return Promise.resolve(took())
  return mach.whenQueue(r, read).then(took)
}

/**
 * Adds `addState` and waits for the next activation of `doneState` (the next odd tick from now, so an active or
 * multi `doneState` must activate again). Resolves `Result.Executed` then, or `Result.Canceled` at once when the add
 * was canceled.
 *
 * ```ts
 * await addAsync(mach, 'Fetch', 'Fetched', { url }, { timeout: 10_000 })
 * ```
 * @throws UnknownStateError, RangeError (bad timeout). Rejects with DisposedError, TimeoutError, `signal.reason`.
 */
export function addAsync<N extends string>(mach: Machine<N>, addState: States<N>, doneState: N, args?: Args,
  opts?: HelperOptions): Promise<Result> {
  const what = 'addAsync()'
  checkMachine(what, mach)
  const read = readOptions(`machine ${mach.id}: ${what}`, opts)
  const { signal } = read
  checkStates(mach as Machine<string>, addState, what)
  checkStates(mach as Machine<string>, doneState, what)
  if (signal?.aborted) return Promise.reject(signal.reason)
  const gone = disposedError(mach as Machine<string>, what)
  if (gone) return Promise.reject(gone)
  // Fix the target tick before adding: doneState may activate within the add itself.
  const tick = mach.tick(doneState)
  const next = tick % 2 === 1 ? tick + 2 : tick + 1
  if (mach.add(addState, args) === Result.Canceled) return Promise.resolve(Result.Canceled)
  return mach.whenTime([doneState], [next], read).then(() => Result.Executed)
}
