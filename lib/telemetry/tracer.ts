/**
 * The capture half of the debugger tracer: a `Tracer` that turns machine hooks into protocol records and hands them
 * to a sink (the link's outbox). One instance may be bound to many machines; it then also knows which transition
 * made a mutation on another machine (cross-machine causality, see {@link DbgTracer}).
 */
import type { Args, Machine, MutationInfo, Tracer, TransitionInfo } from '../machine/index.js'
import { mapArgsSafely } from './args.js'
import { DbgFlag, type DbgSchema, type DbgTx, type DbgWireState } from './protocol.js'

/** Maps a mutation's args to the strings sent to the debugger; undefined sends none. */
export type DbgArgsMapper = (args: Args) => Record<string, string> | undefined

/** What the tracer records; the link implements it. */
export interface DbgSink {
  /** A machine to describe: `schema()` gives its `SCHEMA` with the clock at the time of the call. */
  machine(id: string, schema: () => DbgSchema): void
  tx(tx: DbgTx): void
  dispose(id: string): void
}

/** Per traced machine: its index map and counters. */
interface Traced {
  readonly index: ReadonlyMap<string, number>
  txId: number
  /** Between its first `transitionInit` and its `queueEnd`: a mutation queued then waits. */
  running: boolean
  /** Sources of mutations queued but not yet run, by queue tick (prepended ones, tick 0, are in `prepended`). */
  readonly pending: Map<number, [string, number]>
  readonly prepended: Array<{ key: string; source: [string, number] }>
  /** The current transition's id, set at `transitionInit`. */
  current: number
  currentSource: [string, number] | null
  /** Held here (the machine's lifetime): the sink keeps only a weak reference to it. */
  readonly snapshot: () => DbgSchema
}

/** Bound of the pending-source bookkeeping per machine: beyond it the oldest entries are forgotten. */
const MAX_PENDING = 1024

const MUTATION_KEY = (type: string, called: readonly string[]): string => `${type}:${called.join(',')}`

/**
 * A tracer streaming schemas and transitions to a {@link DbgSink}. Bind one instance to every machine of a process
 * (what `attachDebugger` does for one URL) so it can link mutations to the transitions that made them: a mutation
 * queued on machine B while a handler of machine A's transition runs (between `handlerStart` and `handlerEnd`) gets
 * A's transition as its `source`. A mutation made later, from an async handler's continuation, has no source.
 *
 * ```ts
 * const t = new DbgTracer(sink, { argsMapper: argsMapper(['url']) })
 * mach.bindTracer(t)
 * ```
 */
export class DbgTracer implements Tracer {
  readonly #sink: DbgSink
  readonly #argsMapper: DbgArgsMapper | undefined
  readonly #children: boolean
  readonly #traced = new WeakMap<Machine<string>, Traced>()
  /** Handlers running now, innermost last: (machine id, tx id). */
  readonly #handlers: Array<[string, number]> = []
  #stopped = false

  constructor(sink: DbgSink, opts: { argsMapper?: DbgArgsMapper | undefined; children?: boolean } = {}) {
    this.#sink = sink
    this.#argsMapper = opts.argsMapper
    this.#children = opts.children ?? true
  }

  /** Starts tracing a machine already created: registers its schema. Idempotent. */
  track(mach: Machine<string>): void {
    if (this.#stopped || this.#traced.has(mach)) return
    const index = new Map(mach.names.map((n, i) => [n, i]))
    const snapshot = (): DbgSchema => schemaOf(mach, index)
    this.#traced.set(mach, { index, txId: 0, running: false, pending: new Map(), prepended: [], current: 0,
      currentSource: null, snapshot })
    this.#sink.machine(mach.id, snapshot)
    mach.bindTracer(this)
  }

  machineInit(mach: Machine<string>): void {
    this.#guard(() => this.track(mach))
  }

  newSubmachine(_parent: Machine<string>, child: Machine<string>): void {
    if (this.#children) this.#guard(() => this.track(child))
  }

  mutationQueued(mach: Machine<string>, mut: MutationInfo): void {
    try {
      const t = this.#live(mach)
      if (!t || mut.isAuto) return
      const source = this.#handlers.at(-1) ?? null
      if (mut.queueTick === 0) {
        if (source) push(t.prepended, { key: MUTATION_KEY(mut.type, mut.calledStates), source })
      } else if (source) {
        // only made-by-a-handler mutations are remembered: the common case costs no map entry
        t.pending.set(mut.queueTick, source)
        if (t.pending.size > MAX_PENDING) t.pending.delete(t.pending.keys().next().value as number)
      }
      if (!t.running || mut.queueTick === 0) return
      // Made while the machine runs its queue: it waits. The record has no clock; its own TX comes when it runs.
      this.#sink.tx({
        type: 3, machineId: mach.id, txId: ++t.txId, mutation: mut.type, called: indexes(t.index, mut.calledStates),
        result: 'queued', flags: 0, clock: [], queueTick: mut.queueTick, queueLen: mach.queueLen, steps: null,
        canceledBy: null, args: this.#mapArgs(mut.args), source, at: Date.now(),
      })
    } catch {
      // never into the machine: the record is lost
    }
  }

  transitionInit(tx: TransitionInfo): void {
    try {
      const t = this.#live(tx.machine)
      if (!t) return
      t.running = true
      t.current = ++t.txId
      t.currentSource = tx.isAuto || tx.isCheck ? null : this.#sourceOf(t, tx)
    } catch {
      // a hostile getter: no source
    }
  }

  handlerStart(tx: TransitionInfo): void {
    const t = this.#live(tx.machine)
    if (t) this.#handlers.push([tx.machine.id, t.current])
  }

  handlerEnd(tx: TransitionInfo): void {
    const t = this.#live(tx.machine)
    const top = this.#handlers.at(-1)
    // only its own entry: a tracer bound from inside a handler saw no handlerStart for it
    if (t && top && top[0] === tx.machine.id && top[1] === t.current) this.#handlers.pop()
  }

  transitionEnd(tx: TransitionInfo): void {
    try {
      const t = this.#live(tx.machine)
      if (!t) return
      const m = tx.machine
      this.#sink.tx({
        type: 3, machineId: m.id, txId: t.current, mutation: tx.type, called: indexes(t.index, tx.calledStates),
        result: tx.accepted || tx.isCheck ? 'executed' : 'canceled',
        flags: (tx.isAuto ? DbgFlag.auto : 0) | (tx.isCheck ? DbgFlag.check : 0),
        // the full clock; the link turns it into pairs against what it last sent for this machine
        clock: tx.timeAfter.slice(), queueTick: m.queueTick, queueLen: m.queueLen,
        steps: [indexes(t.index, tx.targetStates), indexes(t.index, tx.enters), indexes(t.index, tx.exits)],
        canceledBy: tx.canceledBy ?? null, args: this.#mapArgs(tx.args), source: t.currentSource, at: Date.now(),
      })
    } catch {
      // never into the machine: the record is lost
    }
  }

  queueEnd(mach: Machine<string>): void {
    const t = this.#live(mach)
    if (t) t.running = false
  }

  machineDispose(id: string): void {
    if (!this.#stopped) this.#guard(() => this.#sink.dispose(id))
  }

  /** True after `stop()`. */
  get stopped(): boolean {
    return this.#stopped
  }

  /**
   * Stops recording. The tracer leaves each machine at that machine's next hook (it keeps no list of machines, so an
   * idle machine keeps it bound, at no cost, until it moves).
   */
  stop(): void {
    this.#stopped = true
    this.#handlers.length = 0
  }

  /** The machine's record, or undefined when it is not traced; after `stop()`, leaves the machine. */
  #live(mach: Machine<string>): Traced | undefined {
    if (!this.#stopped) return this.#traced.get(mach)
    try {
      mach.detachTracer(this)
    } catch {
      // a disposed machine may refuse; it calls no more hooks anyway
    }
    return undefined
  }

  /** The source recorded when this transition's mutation was queued (matched by queue tick, or prepended order). */
  #sourceOf(t: Traced, tx: TransitionInfo): [string, number] | null {
    const head = t.prepended[0]
    if (head && head.key === MUTATION_KEY(tx.type, tx.calledStates)) {
      t.prepended.shift()
      return head.source
    }
    const qt = tx.machine.queueTick
    const s = t.pending.get(qt)
    if (s === undefined) return null
    t.pending.delete(qt)
    return s
  }

  #mapArgs(args: Args | undefined): Record<string, string> | null {
    if (!this.#argsMapper || !args) return null
    return mapArgsSafely(this.#argsMapper, args, 'argsMapper') ?? null
  }

  /** Never throws into the machine: a failure of the tracer itself drops the record. */
  #guard(fn: () => void): void {
    try {
      fn()
    } catch {
      // the record is lost; the machine goes on
    }
  }
}

function push<T>(list: T[], v: T): void {
  list.push(v)
  if (list.length > MAX_PENDING) list.shift()
}

function indexes(index: ReadonlyMap<string, number>, names: readonly string[]): number[] {
  const out: number[] = []
  for (const n of names) {
    const i = index.get(n)
    if (i !== undefined) out.push(i)
  }
  return out
}

/** A machine's `SCHEMA` record, with its clock now. */
export function schemaOf(mach: Machine<string>, index: ReadonlyMap<string, number>): DbgSchema {
  const s = mach.schema
  const ix = (list: readonly string[] | undefined): number[] => indexes(index, list ?? [])
  const states = s.names.map((name): DbgWireState => {
    const d = s.states[name] ?? {}
    return [name, (d.auto ? 1 : 0) | (d.multi ? 2 : 0), ix(d.require), ix(d.add), ix(d.remove), ix(d.after),
      [...(d.tags ?? [])]]
  })
  return { type: 2, machineId: mach.id, parentId: mach.parentId ?? null, tags: [...mach.tags], states,
    time: mach.disposed ? states.map(() => 0) : mach.time(), queueTick: mach.queueTick }
}
