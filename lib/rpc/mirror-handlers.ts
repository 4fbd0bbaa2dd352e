/**
 * Final handlers bound on a mirror (`remote.bind()`) and the mirror's state signals. Handlers run on clock updates
 * (a pushed `DIFF`, a `REPLY`, a full `CLOCK` or a reconnection's `WELCOME`). An update may stand for several source
 * transitions (a coalesced burst), so each changed state replays the shortest history its two ticks allow (see
 * {@link replay}): `FooEnd` of states that were active, then `FooState` of states activated in it, then `FooEnd` of
 * those activated and ended in it, then `AnyState` once — the core's order when the update is one transition.
 * Negotiation handlers cannot apply to a mirror (the source decides), so binding one throws. A handler that throws
 * or rejects is reported (`ErrHandler` on the client machine) and never breaks the mirror.
 */
import { HandlerError, HandlerNameError, InvalidArgumentError, type Args } from '../machine/index.js'
import { handlerMembers, safeString, thenOf } from '../machine/internals.js'
import { RpcError } from './errors.js'

/** The event a mirror's handler receives. */
export interface MirrorEvent<N extends string = string> {
  /** The handler's name: `FooState`, `FooEnd` or `AnyState`. */
  readonly name: string
  /** The state the handler is for; null for `AnyState`. */
  readonly state: N | null
  /**
   * The args of the mutation, where known: this client's own mutation (its reply), for the states it named.
   * Otherwise an empty object (the protocol does not carry the source's args to mirrors).
   */
  readonly args: Args
  /**
   * `FooState`: the mirror's state signal of Foo (aborted when Foo's tick changes remotely or the connection is
   * lost). Other handlers: aborted once this update's handlers have run.
   */
  readonly signal: AbortSignal
  /** Ticks before and after the update, in index order. */
  readonly timeBefore: readonly number[]
  readonly timeAfter: readonly number[]
  /** What brought the update: a pushed diff, the reply to this client's mutation, or a full clock. */
  readonly cause: UpdateCause
}

export type UpdateCause = 'push' | 'reply' | 'clock'

type Fn = (this: unknown, e: MirrorEvent) => unknown

interface Binding {
  readonly id: string
  readonly obj: object
  readonly state: Map<number, Fn>
  readonly end: Map<number, Fn>
  readonly any: Fn | null
}

const FINAL = /^(.+)(State|End)$/
const NEGOTIATION = /^(.+)(Enter|Exit)$/
const EMPTY_ARGS: Args = Object.freeze({})

/** A mirror's bindings and state signals. */
export class MirrorHandlers {
  #bindings: Binding[] = []
  #nextId = 1
  readonly #signals = new Map<number, AbortController>()
  /** Set while disconnected (or disposed): every state signal is this aborted one. */
  #lost: AbortController | null = null

  /** `multi[i]`: state `i` is multi (an active-to-active step is a re-entry, as in the core). */
  constructor(readonly owner: string, readonly names: readonly string[], readonly multi: readonly boolean[],
    readonly report: (err: HandlerError) => void) {}

  get size(): number {
    return this.#bindings.length
  }

  /** Classifies `obj`'s methods; throws `HandlerNameError` for negotiation handlers and names of no state. */
  bind(obj: object, id?: string): string {
    const where = `remote ${this.owner}: bind()`
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
      throw new InvalidArgumentError(where, 'handlers', 'a handler object', obj)
    }
    if (id !== undefined && typeof id !== 'string') throw new InvalidArgumentError(where, 'opts.id', 'a string', id)
    const index = new Map(this.names.map((n, i) => [n, i]))
    const b: Binding = { id: id ?? `b${this.#nextId++}`, obj, state: new Map(), end: new Map(), any: null }
    let any: Fn | null = null
    let members: string[]
    try {
      members = handlerMembers(obj)
    } catch (err) {
      throw new InvalidArgumentError(where, 'handlers', `an object whose members can be listed (${safeString(err)})`, obj)
    }
    for (const name of members) {
      if (!/^[A-Z]/.test(name)) continue
      const final = FINAL.exec(name)
      const stateIx = final ? index.get(final[1] as string) : undefined
      if (name === 'AnyEnter' || NEGOTIATION.test(name) && index.has((NEGOTIATION.exec(name) as RegExpExecArray)[1] as string)
        || isPair(name, index)) {
        throw new HandlerNameError(this.owner, name, 'is a negotiation handler: a mirror runs final handlers only ' +
          '(FooState, FooEnd, AnyState); negotiation happens on the source machine')
      }
      if (name === 'AnyState') any = method(obj, name, this.owner)
      else if (final && stateIx !== undefined) {
        (final[2] === 'State' ? b.state : b.end).set(stateIx, method(obj, name, this.owner))
      } else if (final || NEGOTIATION.test(name) || name.startsWith('Any')) {
        throw new HandlerNameError(this.owner, name, 'names no state of this schema')
      }
    }
    this.#bindings = [...this.#bindings, { ...b, any }]
    return b.id
  }

  unbind(id: string): boolean {
    const before = this.#bindings.length
    this.#bindings = this.#bindings.filter((b) => b.id !== id)
    return this.#bindings.length !== before
  }

  /** The signal of state `i`: aborted the next time its tick changes, or when the connection is lost. */
  stateSignal(i: number): AbortSignal {
    if (this.#lost) return this.#lost.signal
    let ac = this.#signals.get(i)
    if (!ac) this.#signals.set(i, (ac = new AbortController()))
    return ac.signal
  }

  /** The connection is lost (or the mirror closed): every state signal aborts with `reason`. */
  lost(reason: RpcError): void {
    if (this.#lost) return
    this.#lost = new AbortController()
    this.#lost.abort(reason)
    for (const ac of this.#signals.values()) ac.abort(reason)
    this.#signals.clear()
  }

  /** A new session: signals track ticks again. */
  connected(): void {
    this.#lost = null
  }

  /** The mirror is closed: signals aborted, bindings dropped. */
  dispose(reason: RpcError): void {
    this.lost(reason)
    this.#bindings = []
  }

  /** Aborts the signals of the states whose tick changed, then runs the handlers of the update. */
  update(before: readonly number[], after: readonly number[], cause: UpdateCause, argsOf: (i: number) => Args | undefined,
  ): void {
    if (this.#bindings.length === 0 && this.#signals.size === 0) return // nothing to tell: no cost per update
    const changed: number[] = []
    for (let i = 0; i < after.length; i++) if (before[i] !== after[i]) changed.push(i)
    if (changed.length === 0) return
    for (const i of changed) {
      const ac = this.#signals.get(i)
      if (!ac) continue
      this.#signals.delete(i)
      ac.abort(new RpcError('ERR_RPC_CLOSED', `remote ${this.owner}: ${this.names[i]} changed (tick ${after[i]})`))
    }
    const bindings = this.#bindings
    if (bindings.length === 0) return
    const done = new AbortController()
    const event = (name: string, i: number | null, signal: AbortSignal): MirrorEvent => ({
      name, state: i === null ? null : this.names[i] as string, args: (i === null ? undefined : argsOf(i)) ?? EMPTY_ARGS,
      signal, timeBefore: before, timeAfter: after, cause,
    })
    const steps = changed.map((i) => replay(before[i] as number, after[i] as number, this.multi[i] === true))
    const ends = (late: boolean): void => {
      changed.forEach((i, k) => {
        if ((late ? steps[k]!.endLast : steps[k]!.endFirst)) {
          for (const b of bindings) this.#run(b, b.end.get(i), event(`${this.names[i]}End`, i, done.signal))
        }
      })
    }
    ends(false)
    changed.forEach((i, k) => {
      const step = steps[k]!
      if (!step.state) return
      // a state that also ended in this update gets a signal already aborted: its work is stale
      const signal = step.endLast ? ended(this.owner, this.names[i]) : this.stateSignal(i)
      for (const b of bindings) {
        const fn = b.state.get(i)
        if (fn) this.#run(b, fn, event(`${this.names[i]}State`, i, signal))
      }
    })
    ends(true)
    for (const b of bindings) this.#run(b, b.any ?? undefined, event('AnyState', null, done.signal))
    done.abort(new RpcError('ERR_RPC_CLOSED', `remote ${this.owner}: the update's handlers ran`))
  }

  #run(b: Binding, fn: Fn | undefined, e: MirrorEvent): void {
    if (!fn) return
    const fail = (err: unknown): void => {
      this.report(new HandlerError(this.owner, e.name, `threw: ${safeString(err)}`, { cause: err }))
    }
    const rejected = (err: unknown): void => {
      if (e.state !== null && e.name.endsWith('State') && e.signal.aborted) return // stale work, as in the core
      fail(err)
    }
    let ret: unknown
    try {
      ret = fn.call(b.obj, e)
    } catch (err) {
      return fail(err)
    }
    const t = thenOf(ret)
    if (t.error !== undefined) return fail(t.error)
    if (!t.then) return
    try {
      t.then(() => undefined, rejected)
    } catch (err) {
      fail(err)
    }
  }
}

/** Which handlers one state's tick change from `b` to `a` (`a > b`) runs, in the order End, State, End. */
export interface Replay {
  /** `FooEnd` before the `FooState` handlers: the state was active and ended. */
  readonly endFirst: boolean
  /** `FooState`: the state was activated (or a multi state re-entered) at least once. */
  readonly state: boolean
  /** `FooEnd` after the `FooState` handlers: activated in this update and inactive after it. */
  readonly endLast: boolean
}

/**
 * The shortest history between two ticks of one state, once per kind: `0 → 1` State; `1 → 2` End; `0 → 2` State,
 * End (on and off in one burst); `1 → 3` End, State (off and on again) — for a multi state a re-entry, State only,
 * as the core runs it; `1 → 4` End, State, End (multi: State, End).
 *
 * ```ts
 * replay(0, 2, false) // { endFirst: false, state: true, endLast: true }
 * ```
 */
export function replay(b: number, a: number, multi: boolean): Replay {
  const wasOn = (b & 1) === 1
  const isOn = (a & 1) === 1
  const state = isOn || a - b >= 2
  const endFirst = wasOn && !(multi && state)
  return { endFirst, state, endLast: state && !isOn }
}

/** The signal given to `FooState` when Foo also ended in the same update: already aborted. */
function ended(owner: string, name: string | undefined): AbortSignal {
  return AbortSignal.abort(new RpcError('ERR_RPC_CLOSED', `remote ${owner}: ${name} ended in the same update`))
}

function method(obj: object, name: string, owner: string): Fn {
  for (let p: object | null = obj; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const d = Object.getOwnPropertyDescriptor(p, name)
    if (!d) continue
    if (typeof d.value === 'function') return d.value as Fn
    throw new HandlerNameError(owner, name, `must be a method, but is ${d.get || d.set ? 'an accessor' : typeof d.value}`)
  }
  throw new HandlerNameError(owner, name, 'must be a method')
}

/** `FooBar` / `FooFoo`: two state names back to back. */
function isPair(name: string, index: ReadonlyMap<string, number>): boolean {
  for (let k = 1; k < name.length; k++) {
    if (index.has(name.slice(0, k)) && index.has(name.slice(k))) return true
  }
  return false
}
