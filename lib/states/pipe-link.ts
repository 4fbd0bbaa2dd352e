/**
 * The mechanics shared by every pipe: one binding of final handlers on the source that records what changed, and a
 * microtask that replays it on the target. The source's transition never waits for the target, and the target's
 * handlers never run on the source's stack. A pipe unbinds itself when either machine is disposed.
 */
import {
  type Args, DisposedError, type Event, InvalidArgumentError, type Machine, type TransitionInfo, UnknownStateError,
} from '../machine/index.js'
import { isMachine, safeString, TurnBudget } from '../machine/internals.js'
import { PipeError } from './errors.js'

/** A live pipe between two machines. */
export interface Pipe extends Disposable {
  /** The id of the handler binding on the source. */
  readonly id: string
  readonly source: Machine<string>
  readonly target: Machine<string>
  /** False once removed: by `dispose()`, or because either machine was disposed. */
  readonly active: boolean
  /** Removes the pipe; idempotent. */
  dispose(): void
}

/** When `source` (de)activates (`'state'` / `'end'`), `op` the `target` state. */
export type Rule = readonly [source: string, on: 'state' | 'end', op: 'add' | 'remove', target: string]

interface Op {
  readonly op: 'add' | 'remove'
  readonly target: string
  readonly from: string
  /** The source state's index, and its tick right after the handler ran. */
  readonly idx: number
  readonly tick: number
}

interface Batch {
  readonly tx: TransitionInfo<string>
  readonly args: Args
  readonly ops: Op[]
}

let seq = 0
const ignore = (): void => undefined
/**
 * Replays over all pipes between two turns of the event loop. Pipes that feed each other (a multi state piped both
 * ways) would otherwise replay forever in microtasks; past the budget they go on in macrotasks, so timers and I/O
 * still run and `dispose()` of either pipe or machine can end the cycle.
 */
const turns = new TurnBudget(4096)

/** Error targets (`Exception`, `Err*`) are added with `addErrState`, so the target's `err` is set too. */
function isErrState(name: string): boolean {
  return name === 'Exception' || /^Err[A-Z0-9_]/.test(name)
}

class PipeImpl implements Pipe {
  readonly id: string
  #active = true
  readonly #ctl = new AbortController()
  /** The batch of the source transition being dispatched, until the drain runs. */
  #batch: Batch | null = null
  /** Batches waiting for the drain, in source order. */
  #pending: Batch[] = []
  #scheduled = false

  constructor(readonly kind: string, readonly source: Machine<string>, readonly target: Machine<string>,
    rules: readonly Rule[]) {
    const handlers: Record<string, (e: Event) => void> = {}
    for (const on of ['state', 'end'] as const) {
      const byState = new Map<string, Rule[]>()
      for (const r of rules) if (r[1] === on) byState.set(r[0], [...(byState.get(r[0]) ?? []), r])
      for (const [state, list] of byState) {
        const idx = source.names.indexOf(state)
        handlers[state + (on === 'state' ? 'State' : 'End')] = (e) => this.#record(e, state, idx, list)
      }
    }
    this.id = source.bind(handlers, { id: `pipe:${kind}#${++seq}` })
    // whenDisposed with our signal (unlike onDispose) can be unregistered, so a removed pipe leaves nothing behind.
    for (const m of target === source ? [source] : [source, target]) {
      m.whenDisposed({ signal: this.#ctl.signal }).then(() => this.dispose(), ignore)
    }
  }

  get active(): boolean {
    return this.#active
  }

  dispose(): void {
    if (!this.#active) return
    this.#active = false
    this.#batch = null
    this.#pending = []
    this.#ctl.abort()
    if (!this.source.disposed) this.source.unbind(this.id)
  }

  [Symbol.dispose](): void {
    this.dispose()
  }

  #record(e: Event, state: string, idx: number, rules: readonly Rule[]): void {
    if (!this.#active) return // removed from one of this transition's own handlers
    let batch = this.#batch
    if (batch?.tx !== e.transition) {
      this.#batch = batch = { tx: e.transition, args: e.args, ops: [] }
      this.#pending.push(batch)
      if (!this.#scheduled) {
        this.#scheduled = true
        turns.schedule(this.#drain)
      }
    }
    const tick = this.source.tick(state)
    for (const [from, , op, target] of rules) batch.ops.push({ op, target, from, idx, tick })
  }

  /**
   * Replays one source transition on the target: removals first, then additions, with a copy of its args. Runs in
   * a microtask, so nothing may escape it: unreadable args or a throwing replay become a `PipeError` on the target.
   */
  /** Replays the pending batches in order: one scheduled drain per pipe keeps them in order across macrotasks. */
  readonly #drain = (): void => {
    this.#scheduled = false
    this.#batch = null
    const list = this.#pending
    this.#pending = []
    for (const batch of list) this.#flush(batch)
  }

  #flush(batch: Batch): void {
    if (!this.#active || this.target.disposed) return
    turns.spend()
    try {
      const { args, failed, error } = copyArgs(batch.args)
      this.#replay(batch, args)
      if (failed) {
        this.#fail(new PipeError(this.id, `the source's args could not be read, states were piped without them: ${
          safeString(error)}`, { cause: error }))
      }
    } catch (err) {
      this.#fail(new PipeError(this.id, `replaying a transition of ${this.source.id} on ${this.target.id} threw: ${
        safeString(err)}`, { cause: err }))
    }
  }

  #replay(batch: Batch, args: Args): void {
    // A State/End handler after ours threw and the source rolled the state back: that change never happened.
    const after = batch.tx.timeAfter
    const ops = batch.ops.filter((o) => after[o.idx] === o.tick)
    const removes = [...new Set(ops.filter((o) => o.op === 'remove').map((o) => o.target))]
    const adds = ops.filter((o) => o.op === 'add')
    const plain = [...new Set(adds.filter((o) => !isErrState(o.target)).map((o) => o.target))]
    const t = this.target
    // Each mutation gets its own copy of the (already plain) args, as handlers may change theirs.
    if (removes.length > 0) t.remove(removes, { ...args })
    for (const o of adds) {
      if (!isErrState(o.target)) continue
      const err = args['err'] ?? new PipeError(this.id, `machine ${this.source.id}: ${o.from} piped to ${o.target}`)
      t.addErrState(o.target, err, { ...args })
    }
    if (plain.length > 0) t.add(plain, { ...args })
  }

  /** Reports a failed replay on the target, or on stderr when even that fails. */
  #fail(err: PipeError): void {
    try {
      if (!this.target.disposed) {
        this.target.addErr(err, { pipe: this.id })
        return
      }
    } catch {
      // fall through to stderr
    }
    console.error(`polymachine ${err.message}`)
  }
}

/** A plain copy of a transition's args, read once; `{}`, `failed` and the error when reading them throws. */
function copyArgs(args: Args): { args: Args; failed: boolean; error?: unknown } {
  try {
    return { args: { ...args }, failed: false }
  } catch (error) {
    return { args: {}, failed: true, error }
  }
}

/**
 * Checks that both machines are alive and have the states the rules name.
 * @throws DisposedError when either machine is disposed; UnknownStateError for a state a machine lacks.
 */
export function checkRules(where: string, source: Machine<string>, target: Machine<string>, rules: readonly Rule[]): void {
  checkMachines(where, source, target)
  for (const m of [source, target]) if (m.disposed) throw new DisposedError(m.id, where)
  const missing = (m: Machine<string>, side: string, names: string[]): void => {
    const bad = names.find((n) => typeof n !== 'string')
    if (bad !== undefined) throw new InvalidArgumentError(where, `${side} state`, 'a state name', bad)
    const unknown = [...new Set(names.filter((n) => !m.has(n)))]
    if (unknown.length > 0) throw new UnknownStateError(m.id, unknown, where)
  }
  missing(source, 'source', rules.map((r) => r[0]))
  missing(target, 'target', rules.map((r) => r[3]))
}

/** @throws InvalidArgumentError unless both are machines. */
export function checkMachines(where: string, source: unknown, target: unknown): void {
  if (!isMachine(source)) throw new InvalidArgumentError(where, 'source', 'a Machine', source)
  if (!isMachine(target)) throw new InvalidArgumentError(where, 'target', 'a Machine', target)
}

/** @throws InvalidArgumentError unless `v` is a string (or undefined, when optional). */
export function checkName(where: string, name: string, v: unknown, optional = false): void {
  if (typeof v === 'string' || (optional && v === undefined)) return
  throw new InvalidArgumentError(where, name, optional ? 'a state name or undefined' : 'a state name', v)
}

/**
 * Checks the machines and state names, then binds a pipe.
 * @throws DisposedError when either machine is disposed; UnknownStateError for a state a machine lacks.
 */
export function link(kind: string, source: Machine<string>, target: Machine<string>, rules: readonly Rule[]): Pipe {
  checkRules(`pipe.${kind}()`, source, target, rules)
  return new PipeImpl(kind, source, target, rules)
}
