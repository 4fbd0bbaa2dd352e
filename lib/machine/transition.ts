/**
 * One transition: resolve relations, negotiate (Exit, Enter, self, state-state, AnyEnter), apply ticks, run final
 * handlers (End, State, AnyState), roll back what a throwing final handler did not complete, and schedule the auto
 * round. Handler throws become `Exception`; nothing a handler does escapes as a crash.
 */
import { SHARED_AUTO_MAX } from './auto.js'
import type { Core } from './core.js'
import type { MutationType } from './events.js'
import { addsException, call, THREW } from './handler-call.js'
import type { Binding, HandlerFn } from './handlers.js'
import { scheduleAuto, type TransitionMode } from './mutation.js'
import type { Resolution } from './resolution.js'
import type { ActiveStates, RelationLog, ResolveRequest } from './resolve.js'
import { Tx } from './tx.js'
import { needsRecord } from './tx-needed.js'
import { type Args, LogLevel, Result } from './types.js'

/** Runs one mutation as a transition and returns its result (never a queue tick). */
export function transition(core: Core, type: MutationType, called: readonly number[], args: Args | undefined,
  mode: TransitionMode): Result {
  const { log } = core
  const isAuto = mode === 'auto'
  const logOps = log.on(LogLevel.Ops)
  if (logOps || log.on(LogLevel.Decisions)) logStart(core, type, called, args, mode)
  const relLog: RelationLog | null = logOps ? [] : null
  const res = resolve(core, type, called, isAuto, relLog)
  const accepted = res.accepted
  if (relLog) for (const [level, line] of relLog) log.emit(level, line)
  const tx = core.wantsTx && needsRecord(core, res, type)
    ? new Tx(core, type, called, args, mode) : null
  if (tx && core.tracers.length > 0) core.trace('transitionInit', tx)
  if (!accepted) {
    if (logOps) {
      const rejected = called.filter((i) => !res.targets.includes(i))
      log.emit(LogLevel.Ops, `[cancel:reject] ${core.names(rejected).join(' ')}`)
    }
    return finish(core, tx, 'relations')
  }
  if (logOps) logImplied(core, type, called)
  if (tx && core.tracers.length > 0) core.trace('transitionStart', tx)

  if (core.bindings.length > 0 && tx) {
    const canceledBy = negotiate(core, tx, type, isAuto)
    if (canceledBy !== null) {
      if (logOps) log.emit(LogLevel.Ops, `[cancel] (${core.names(core.resolved.targets).join(' ')}) by ${canceledBy}`)
      return finish(core, tx, canceledBy)
    }
  }
  if (mode === 'check') return finish(core, tx, null)

  // Partial acceptance of an auto transition may have resolved again.
  const applied = core.resolved
  const activeBefore = core.active.length
  let failedAt: string | null = null
  try {
    apply(core, tx, isAuto)
    if (tx !== null || core.waiters?.hasArgsWaiters()) failedAt = finals(core, tx, args)
    if (failedAt === null && !isAuto && core.tables.autoStates.length > 0 &&
      applied.enters.length + applied.exits.length > 0 && !isHealth(core, type, called)) autoRound(core)
    finish(core, tx, failedAt)
  } finally {
    // Even when something failed internally (a throwing logger) after the clocks moved: the waiters of the states
    // that ticked are told, so none waits for a change that already happened.
    core.waiters?.transitionEnded(applied.enters, applied.exits)
  }
  if (failedAt !== null) return Result.Canceled
  return !isAuto || core.active.length > activeBefore ? Result.Executed : Result.Canceled
}

/** Resolves against the machine's active states; the result becomes `core.resolved`. */
function resolve(core: Core, type: MutationType, called: readonly number[], isAuto: boolean,
  log: RelationLog | null): Resolution {
  const req = REQUEST
  req.type = type
  req.called = called
  req.isAuto = isAuto
  req.machine = core
  req.buffers = core.buffers
  req.log = log
  const res = core.resolver.resolve(req)
  core.buffers = req.buffers // made by the resolver on this machine's first computed resolution
  req.machine = NO_MACHINE // holds no machine between transitions
  req.buffers = null
  req.log = null
  core.resolved = res
  return res
}

/** An empty machine for the shared request between transitions. */
const NO_MACHINE: ActiveStates = { active: [], activeEntry: null, clock: [] }
/**
 * One request for every machine's transitions: resolution runs no user code, so it never nests, and a machine keeps
 * only its buffers (a request object per machine cost ~100 B of heap per idle machine).
 */
const REQUEST: { -readonly [K in keyof ResolveRequest]: ResolveRequest[K] } = {
  type: 'add', called: [], isAuto: false, machine: NO_MACHINE, buffers: null, log: null,
}

// --- Negotiation ---------------------------------------------------------------------------------------------

/** Runs the negotiation handlers; returns the name of the one that canceled, or null when all accepted. */
function negotiate(core: Core, tx: Tx, type: MutationType, isAuto: boolean): string | null {
  const { bindings, handlerNames, tables, pairFrom } = core
  const res = core.resolved
  // An auto transition accepts partially: a canceling handler about one of its auto states drops only that state.
  // Allocated on the first drop only: the common path creates nothing here.
  let dropped: number[] | null = null

  for (const x of res.exits) {
    for (const b of bindings) {
      const fn = b.exit?.[x]
      if (fn && !negotiation(core, tx, b, fn, handlerNames.exit[x] as string)) return handlerNames.exit[x] as string
    }
  }
  for (const x of res.enters) {
    for (const b of bindings) {
      const fn = b.enter?.[x]
      if (!fn || isIn(dropped, x) || negotiation(core, tx, b, fn, handlerNames.enter[x] as string)) continue
      if (!droppable(tx, isAuto, x)) return handlerNames.enter[x] as string
      ;(dropped ??= []).push(x)
    }
  }
  if (type !== 'remove' && core.hasSelf) {
    for (const x of res.targets) {
      if (!core.isActive(x)) continue
      for (const b of bindings) {
        const fn = b.self?.[x]
        if (!fn || isIn(dropped, x) || negotiation(core, tx, b, fn, handlerNames.self[x] as string)) continue
        if (!droppable(tx, isAuto, x)) return handlerNames.self[x] as string
        ;(dropped ??= []).push(x)
      }
    }
  }
  if (pairFrom) {
    for (const from of core.active) {
      if (!pairFrom.has(from)) continue
      for (const to of res.targets) {
        if (from === to || isIn(dropped, to)) continue
        for (const b of bindings) {
          const h = b.pairs?.get(from * tables.n + to)
          if (!h || isIn(dropped, to) || negotiation(core, tx, b, h.fn, h.name)) continue
          if (!droppable(tx, isAuto, to)) return h.name
          ;(dropped ??= []).push(to)
        }
      }
    }
  }
  if (isAuto && dropped?.length === tx.calledIdx.length && !offeredFewer(core, tx)) return 'auto'
  for (const b of bindings) {
    if (b.anyEnter && !negotiation(core, tx, b, b.anyEnter, 'AnyEnter')) return 'AnyEnter'
  }
  if (dropped) return reresolve(core, tx, dropped)
  return null
}

function isIn(list: readonly number[] | null, x: number): boolean {
  return list !== null && list.includes(x)
}

/** A refused state of an auto transition that was one of its called states: dropped instead of canceling. */
function droppable(tx: Tx, isAuto: boolean, state: number): boolean {
  return isAuto && tx.calledIdx.includes(state)
}

/**
 * Whether this auto transition left out unblocked auto states whose require is missing (see autoRound). The full
 * round would have offered them too, so refusing every candidate here still ran AnyEnter before the rejection.
 */
function offeredFewer(core: Core, tx: Tx): boolean {
  return (unblockedAutoStates(core)?.length ?? 0) > tx.calledIdx.length
}

/** After partial acceptance: resolve again without the dropped auto states (and what only they implied). */
function reresolve(core: Core, tx: Tx, dropped: number[]): string | null {
  const called = tx.calledIdx.filter((i) => !dropped.includes(i))
  if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[auto:partial] -${core.names(dropped).join(' -')}`)
  const res = resolve(core, 'add', called, true, null)
  tx.resolvedAgain(res)
  return res.accepted ? null : 'auto'
}

/**
 * Calls one negotiation handler; false when it cancels (returns false, throws, or returns a Promise). In a transition
 * that adds Exception, a throw does not cancel (see `handlerThrew`): the error is recorded and Exception still comes.
 */
function negotiation(core: Core, tx: Tx, b: Binding, fn: HandlerFn, name: string): boolean {
  const ret = call(core, tx, b, fn, name, -1, 'negotiation')
  if (ret === THREW) return addsException(core, tx)
  return ret !== false
}

// --- Apply and finals ----------------------------------------------------------------------------------------

/** Ticks the clocks, makes the targets the active states, aborts state signals. */
function apply(core: Core, tx: Tx | null, isAuto: boolean): void {
  const { clock } = core
  const res = core.resolved
  const entry = res.kind === 'shared' ? res : null
  // After a memo entry, the auto candidates are the entry's (a function of the active states it leads to).
  const kept = entry?.cache.auto
  const auto = kept === undefined ? core.auto : null
  for (const x of res.enters) {
    const t = clock[x] as number
    // A multi state re-entering stays active (+2); only a real activation changes auto candidates.
    clock[x] = t + ((t & 1) === 1 ? 2 : 1)
    if (auto && (t & 1) === 0) auto.activated(x)
  }
  for (const x of res.exits) {
    clock[x] = (clock[x] as number) + 1
    auto?.deactivated(x)
  }
  if (kept !== undefined) core.auto?.adopt(kept)
  else if (auto && entry && core.tables.autoStates.length <= SHARED_AUTO_MAX) entry.cache.auto = auto.share()
  // Without a record, the ticks still go into the open history segment, so the next record continues it.
  core.clockWritten(tx !== null ? tx.log : core.openClockLog(), res.enters, res.exits)
  tx?.applied()
  core.setActive(res)
  if (core.waiters) {
    core.waiters.ticked(res.enters)
    core.waiters.ticked(res.exits)
  }
  if (core.log.on(LogLevel.Changes) && res.enters.length + res.exits.length > 0) {
    const plus = res.enters.map((i) => `+${core.tables.names[i]}`)
    const minus = res.exits.map((i) => `-${core.tables.names[i]}`)
    let line = `${isAuto ? '[auto_]' : '[state]'} ${[...plus, ...minus].join(' ')}`
    if (core.log.on(LogLevel.Everything)) line += stateLineDetails(core)
    core.log.emit(LogLevel.Changes, line)
  }
}

/** At LogLevel.Everything the `[state]` line also lists the active states that did not change, as asyncmachine-go. */
function stateLineDetails(core: Core): string {
  const { enters, exits } = core.resolved
  const kept = core.active.filter((i) => !enters.includes(i) && !exits.includes(i))
  return kept.length > 0 ? ` ${core.names(kept).join(' ')}` : ''
}

/** End handlers, State handlers (and `whenArgs`), AnyState. Returns the name of a handler that threw, or null. */
function finals(core: Core, tx: Tx | null, args: Args | undefined): string | null {
  const { bindings, handlerNames } = core
  const res = core.resolved
  for (let k = 0; k < res.exits.length; k++) {
    const x = res.exits[k] as number
    for (const b of bindings) {
      const fn = b.end?.[x]
      if (fn && tx && call(core, tx, b, fn, handlerNames.end[x] as string, x, 'final') === THREW && !addsException(core, tx)) {
        rollback(core, tx, 'end', k)
        return handlerNames.end[x] as string
      }
    }
  }
  for (let k = 0; k < res.enters.length; k++) {
    const x = res.enters[k] as number
    for (const b of bindings) {
      const fn = b.state?.[x]
      if (fn && tx && call(core, tx, b, fn, handlerNames.state[x] as string, x, 'state') === THREW && !addsException(core, tx)) {
        rollback(core, tx, 'state', k)
        return handlerNames.state[x] as string
      }
    }
    // (only when someone waits for args: reading `tx.args` makes an object when the mutation had none)
    if (core.waiters?.hasArgsWaiters()) core.waiters.stateDispatched(x, tx ? tx.args : args)
  }
  for (const b of bindings) {
    if (b.anyState && tx && call(core, tx, b, b.anyState, 'AnyState', -1, 'final') === THREW &&
      !addsException(core, tx)) return 'AnyState'
  }
  return null
}

/**
 * A final handler threw: every state whose final handler did not complete returns to where it was. When a State
 * handler threw (at enter `from`), that state and the later enters deactivate; when an End handler threw (at exit
 * `from`), it and the later exits re-activate and no enter stays.
 */
function rollback(core: Core, tx: Tx, failedIn: 'state' | 'end', from: number): void {
  const { clock } = core
  const res = core.resolved
  const inEnd = failedIn === 'end'
  const reactivate = inEnd ? res.exits.slice(from) : []
  const deactivate = inEnd ? res.enters.slice() : res.enters.slice(from)
  for (const x of deactivate) {
    clock[x] = (clock[x] as number) + 1
    core.auto?.deactivated(x)
  }
  for (const x of reactivate) {
    clock[x] = (clock[x] as number) + 1
    core.auto?.activated(x)
  }
  core.clockWritten(tx.log, deactivate, reactivate)
  const active = core.active.filter((x) => !deactivate.includes(x)).concat(reactivate)
  if (reactivate.length > 0) core.resolver.sort(active)
  core.setActive(active)
  core.waiters?.ticked(deactivate)
  core.waiters?.ticked(reactivate)
  if (core.log.on(LogLevel.Changes)) {
    const names = core.tables.names
    const line = [...reactivate.map((i) => `+${names[i]}`), ...deactivate.map((i) => `-${names[i]}`)]
    core.log.emit(LogLevel.Changes, `[recover] ${line.join(' ')}`)
  }
}

function finish(core: Core, tx: Tx | null, canceledBy: string | null): Result {
  if (tx) {
    tx.accepted = canceledBy === null && !tx.isCheck
    tx.canceledBy = canceledBy ?? undefined
    tx.finish()
    if (core.tracers.length > 0) core.trace('transitionEnd', tx)
    if (!tx.isCheck) core.observers?.transition(tx)
  }
  return canceledBy === null ? Result.Executed : Result.Canceled
}

// --- Auto states and logs --------------------------------------------------------------------------------------

/**
 * Prepends one add of the auto candidates (auto.ts), unless relations would reject it. With Ops logging on, every
 * inactive auto state that no active state removes is offered instead (the full asyncmachine-go round), so the log
 * shows why each one was skipped; the states reached are the same.
 */
function autoRound(core: Core): void {
  const logOps = core.log.on(LogLevel.Ops)
  const called = logOps ? unblockedAutoStates(core) : offer(core)
  if (!called) return
  if (logOps) core.log.emit(LogLevel.Ops, `[auto] ${core.names(called).join(' ')}`)
  scheduleAuto(core, called)
}

/**
 * The auto candidates. After a memo entry applied, the active states are the entry's targets, so what one machine
 * found is what every machine finds: the entry keeps it.
 */
function offer(core: Core): readonly number[] | null {
  const res = core.resolved
  if (res.kind === 'own') return core.auto?.offer() ?? null
  const { cache } = res
  if (cache.offer === undefined) cache.offer = core.auto?.offer() ?? null
  return cache.offer
}

/** Every inactive auto state that no active state removes; null when none. */
function unblockedAutoStates(core: Core): number[] | null {
  const { tables } = core
  let called: number[] | null = null
  for (const a of tables.autoStates) {
    if (core.isActive(a)) continue
    const by = tables.removedBy[a] as Int32Array
    let blocked = false
    for (let j = 0; j < by.length && !blocked; j++) blocked = core.isActive(by[j] as number)
    if (!blocked) (called ??= []).push(a)
  }
  return called
}

/** An add of only Heartbeat or Healthcheck triggers no auto states. */
function isHealth(core: Core, type: MutationType, called: readonly number[]): boolean {
  if (called.length !== 1 || type !== 'add') return false
  const health = core.tables.health
  return called[0] === health[0] || called[0] === health[1]
}

function logStart(core: Core, type: MutationType, called: readonly number[], args: Args | undefined,
  mode: TransitionMode): void {
  const names = core.names(called).join(' ')
  if (mode === 'auto') core.log.emit(LogLevel.Decisions, `[${type}:auto] ${names}`)
  // a check logs at the level of what it may log next ([reject], [cancel:reject]), so it never reads as a mutation
  else if (mode === 'check') core.log.emit(LogLevel.Ops, `[can:${type}] ${names}${core.log.formatArgs(args)}`)
  else core.log.emit(LogLevel.Ops, `[${type}] ${names}${core.log.formatArgs(args)}`)
}

function logImplied(core: Core, type: MutationType, called: readonly number[]): void {
  const implied = core.resolved.targets.filter((i) =>
    type === 'remove' ? !core.isActive(i) : !called.includes(i) && (type === 'set' || !core.isActive(i)))
  if (implied.length > 0) core.log.emit(LogLevel.Ops, `[implied] ${core.names(implied).join(' ')}`)
}
