/**
 * Waiting without select loops: `when`, `whenNot`, `whenTime`, `whenTicks`, `whenArgs`, `whenErr`, `whenQueue`,
 * `whenQueueEnds`, `whenDisposed`, plus state signals. Waiters are indexed by state and checked only when one of
 * their states ticked; a settled waiter leaves no listener, timer or registry entry behind.
 */
import type { Core } from './core.js'
import { safeString } from './describe.js'
import { DisposedError, InvalidArgumentError, OutOfRangeError, TimeoutError } from './errors.js'
import { cancelLater, later, type Later } from './later.js'
import { stateChanged } from './reasons.js'
import type { Args } from './types.js'

/** Options of every waiter. */
export interface WaitOptions {
  /** Rejects the wait with `signal.reason` when aborted (at once). */
  signal?: AbortSignal
  /** Rejects the wait with `TimeoutError` after this many milliseconds. */
  timeout?: number
}

/** Something that follows state changes (waiters, rxjs streams). */
export interface StateWatcher {
  /** State `i` ticked in the transition that just ended. */
  changed(i: number): void
  /** The machine was disposed. */
  disposed(): void
}

/**
 * Calls `emit(read())` now and after every transition that ticked state `i` when the value differs from the last
 * one; `done` when the machine is disposed. Returns the function that stops following. Behind `state$`, `ticks$`
 * and the internal `onActivity`.
 */
export function followState<T>(core: Core, i: number, read: () => T, emit: (v: T) => void, done: () => void): () => void {
  let last = read()
  const watcher: StateWatcher = {
    changed: () => {
      const v = read()
      if (v === last) return
      last = v
      // A throwing follower must not stop the transition's other watchers and waiters from being told.
      try {
        emit(v)
      } catch (err) {
        core.report(`a state follower threw: ${safeString(err)}`)
      }
    },
    disposed: () => {
      try {
        done()
      } catch (err) {
        core.report(`a state follower threw on dispose: ${safeString(err)}`)
      }
    },
  }
  core.ensureWaiters().watch([i], watcher)
  emit(last)
  return () => core.waiters?.unwatch([i], watcher)
}

type Kind = 'state' | 'args' | 'queue' | 'queueEnd' | 'disposal'
const RESOLVED: Promise<void> = Promise.resolve()
const NO_ARGS: Args = Object.freeze({})

class Pending implements StateWatcher {
  resolve!: () => void
  reject!: (err: unknown) => void
  readonly promise: Promise<void>
  timer: Later = undefined
  onAbort: (() => void) | undefined = undefined
  /** `whenArgs`: the args to match. `whenQueue`: the queue tick to reach. */
  want: Args | undefined = undefined
  tick = 0

  constructor(
    readonly owner: Waiters,
    readonly kind: Kind,
    readonly what: string,
    readonly states: readonly number[],
    readonly test: () => boolean,
    readonly signal: AbortSignal | undefined,
  ) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  changed(): void {
    if (this.test()) this.settle(null)
  }

  disposed(): void {
    if (this.kind === 'disposal') this.settle(null)
    else this.settle(new DisposedError(this.owner.core.id, `${this.what} can no longer happen`))
  }

  settle(err: unknown): void {
    this.owner.remove(this)
    cancelLater(this.timer)
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort)
    if (err === null) this.resolve()
    else this.reject(err)
  }
}

export class Waiters {
  readonly core: Core
  // Each registry is made on first use: most machines only ever use one or two of them.
  private byState: Map<number, Set<StateWatcher>> | null = null
  private byArgs: Map<number, Set<Pending>> | null = null
  private queue: Set<Pending> | null = null
  private queueEnd: Set<Pending> | null = null
  private disposal: Set<Pending> | null = null
  private signals: Map<number, AbortController> | null = null

  constructor(core: Core) {
    this.core = core
  }

  /** Registered watchers, waiters and signals (each counted once): 0 once everything settled (leak checks). */
  get size(): number {
    const watchers = new Set<StateWatcher>()
    for (const set of this.byState?.values() ?? []) for (const w of set) watchers.add(w)
    let n = watchers.size + (this.queue?.size ?? 0) + (this.queueEnd?.size ?? 0) + (this.disposal?.size ?? 0) +
      (this.signals?.size ?? 0)
    for (const set of this.byArgs?.values() ?? []) n += set.size
    return n
  }

  watch(states: readonly number[], w: StateWatcher): void {
    const byState = (this.byState ??= new Map())
    for (const i of states) {
      let set = byState.get(i)
      if (!set) byState.set(i, (set = new Set()))
      set.add(w)
    }
  }

  unwatch(states: readonly number[], w: StateWatcher): void {
    const byState = this.byState
    if (!byState) return
    for (const i of states) {
      const set = byState.get(i)
      if (set?.delete(w) && set.size === 0) byState.delete(i)
    }
  }

  remove(p: Pending): void {
    if (p.kind === 'state') this.unwatch(p.states, p)
    else if (p.kind === 'args') {
      const i = p.states[0] as number
      const set = this.byArgs?.get(i)
      if (set?.delete(p) && set.size === 0) this.byArgs?.delete(i)
    } else if (p.kind === 'queue') this.queue?.delete(p)
    else if (p.kind === 'queueEnd') this.queueEnd?.delete(p)
    else this.disposal?.delete(p)
  }

  /** The signal aborted the next time state `i` ticks; the same one until then. */
  stateSignal(i: number): AbortSignal {
    const signals = (this.signals ??= new Map())
    let ctl = signals.get(i)
    if (!ctl) signals.set(i, (ctl = new AbortController()))
    return ctl.signal
  }

  /** States whose tick just changed: abort their signals. */
  ticked(states: readonly number[]): void {
    const signals = this.signals
    if (signals === null || signals.size === 0) return
    for (const i of states) {
      const ctl = signals.get(i)
      if (!ctl) continue
      signals.delete(i)
      ctl.abort(stateChanged(this.core.id, this.core.tables.names[i] as string))
    }
  }

  /** After a transition applied: notify the watchers of every state that ticked. */
  transitionEnded(enters: readonly number[], exits: readonly number[]): void {
    const byState = this.byState
    if (byState === null || byState.size === 0) return
    for (const i of enters) byState.get(i)?.forEach((w) => w.changed(i))
    for (const i of exits) byState.get(i)?.forEach((w) => w.changed(i))
  }

  hasArgsWaiters(): boolean {
    return this.byArgs !== null && this.byArgs.size > 0
  }

  /** `FooState` was dispatched with `args` (undefined when the mutation had none). */
  stateDispatched(i: number, args: Args | undefined): void {
    const set = this.byArgs?.get(i)
    if (!set) return
    for (const p of set) if (matchArgs(args ?? NO_ARGS, p.want as Args)) p.settle(null)
  }

  queueTickReached(tick: number): void {
    if (this.queue) for (const p of this.queue) if (tick >= p.tick) p.settle(null)
  }

  queueEnded(): void {
    if (this.queueEnd) for (const p of this.queueEnd) p.settle(null)
  }

  /** Disposal: abort every signal, reject every waiter, complete every stream; resolve `whenDisposed` last. */
  dispose(): void {
    const signals = this.signals ?? new Map<number, AbortController>()
    this.signals = null
    for (const [i, ctl] of signals) ctl.abort(new DisposedError(this.core.id, `state ${this.core.tables.names[i]}`))
    const byState = this.byState ?? new Map<number, Set<StateWatcher>>()
    this.byState = null
    for (const set of [...byState.values()]) for (const w of [...set]) w.disposed()
    for (const set of [...(this.byArgs?.values() ?? [])]) for (const p of [...set]) p.disposed()
    for (const p of [...(this.queue ?? []), ...(this.queueEnd ?? [])]) p.disposed()
  }

  disposalDone(): void {
    for (const p of [...(this.disposal ?? [])]) p.settle(null)
  }

  /** Starts a waiter, or settles it at once: an aborted signal wins, then disposal, then an already-true condition. */
  start(kind: Kind, what: string, states: readonly number[], test: () => boolean, opts: WaitOptions | undefined,
    extra?: { tick?: number; args?: Args }): Promise<void> {
    const core = this.core
    const { signal, timeout } = checkOptions(core.id, what, opts)
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (kind !== 'disposal' && core.disposed) return Promise.reject(new DisposedError(core.id, what))
    if (test()) return RESOLVED
    const p = new Pending(this, kind, what, states, test, signal)
    if (kind === 'state') this.watch(states, p)
    else if (kind === 'args') {
      const i = states[0] as number
      const byArgs = (this.byArgs ??= new Map())
      let set = byArgs.get(i)
      if (!set) byArgs.set(i, (set = new Set()))
      set.add(p)
      p.want = extra?.args ?? {}
    } else if (kind === 'queue') {
      p.tick = extra?.tick ?? 0
      ;(this.queue ??= new Set()).add(p)
    } else if (kind === 'queueEnd') (this.queueEnd ??= new Set()).add(p)
    else (this.disposal ??= new Set()).add(p)
    if (signal) {
      p.onAbort = () => p.settle(signal.reason)
      signal.addEventListener('abort', p.onAbort, { once: true })
    }
    if (timeout !== undefined) p.timer = later(timeout, () => p.settle(new TimeoutError(core.id, what, timeout)))
    return p.promise
  }
}

/** Whether `args` has every key of `want` with an `===` value; false when reading `args` throws (hostile args). */
function matchArgs(args: Args, want: Args): boolean {
  try {
    for (const key of Object.keys(want)) if (!(key in args) || args[key] !== want[key]) return false
    return true
  } catch {
    return false
  }
}

type Opts = { signal: AbortSignal | undefined; timeout: number | undefined }

/** Reads each option once (a getter cannot change it between check and use; one that throws is a bad option). */
function checkOptions(id: string, what: string, opts: WaitOptions | undefined): Opts {
  if (opts === undefined) return NO_OPTS
  const where = `machine ${id}: ${what}`
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'options', 'an object', opts)
  let timeout: unknown
  let signal: unknown
  try {
    timeout = opts.timeout
    signal = opts.signal
  } catch (err) {
    throw new InvalidArgumentError(where, 'options', `readable (reading it threw: ${safeString(err)})`, opts)
  }
  // Any bad timeout is a RangeError (as it always was), a non-number too.
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
    throw new OutOfRangeError(where, 'timeout', 'a number ≥ 0', timeout)
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(where, 'signal', 'an AbortSignal', signal)
  }
  return { signal: signal as AbortSignal | undefined, timeout: timeout as number | undefined }
}

const NO_OPTS: Opts = Object.freeze({ signal: undefined, timeout: undefined })
