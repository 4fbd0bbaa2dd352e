/**
 * The mutation queue. A mutation made while the machine is processing (from a handler) is appended and returns its
 * queue tick; one made while idle runs its own transition and then drains the queue before returning. Auto and
 * exception mutations are prepended and take no tick.
 */
import type { Core } from './core.js'
import { safeString } from './describe.js'
import { InvalidArgumentError } from './errors.js'
import type { MutationType } from './events.js'
import { suspend } from './loops.js'
import { Mutation } from './mutation.js'
import { transition } from './transition.js'
import { type Args, LogLevel, Result } from './types.js'
import { argsInvalid, badArgs, withCause } from './validate.js'

function argless(args: Args | undefined): boolean {
  if (args === undefined) return true
  try {
    for (const _ in args) return false
    return Object.getOwnPropertySymbols(args).length === 0
  } catch {
    return false // a proxy whose traps throw: never a duplicate of anything
  }
}

/**
 * Runs or queues a mutation. `called` may be the core's scratch array: it is copied when the mutation is queued.
 */
export function mutate(core: Core, type: MutationType, called: number[], args: Args | undefined): Result {
  if (core.disposed) return Result.Canceled
  const exc = core.tables.exception
  if (core.queueLen >= core.queueLimit) {
    // An error is never lost to a full queue: one Exception add gets in while Exception is inactive.
    const letIn =
      type === 'add' && called.includes(exc) && !core.isActive(exc) && !core.queue.some((m, i) =>
        i >= core.queueHead && m !== undefined && m.type === 'add' && m.called.includes(exc))
    if (!letIn) {
      if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[queue:full] ${type} ${core.names(called).join(' ')}`)
      return Result.Canceled
    }
  }
  if (core.processing) return append(core, type, called, args)

  core.processing = true
  let result: Result = Result.Canceled
  try {
    core.queueTick++
    if (core.tracers.length > 0) {
      core.trace('mutationQueued', core.machine, new Mutation(core, type, called.slice(), args, false, core.queueTick))
    }
    result = transition(core, type, called, args, 'mutation')
    core.waiters?.queueTickReached(core.queueTick)
    drain(core)
  } finally {
    if (!core.suspended) endRun(core)
  }
  return result
}

/**
 * `addErrState(state, err, args)`: stores `err` as `mach.err` and adds `[state, 'Exception']` with `args.err = err`.
 * A missing error becomes an InvalidArgumentError naming the call, so nothing is lost.
 */
export function addError(core: Core, state: unknown, err: unknown, args: Args | undefined): Result {
  if (argsInvalid(args)) throw badArgs(`machine ${core.id}: addErrState()`, args)
  const called = core.parse(state, 'addErrState()')
  if (!called.includes(core.tables.exception)) called.push(core.tables.exception)
  if (core.disposed) return Result.Canceled
  const error = err ?? new InvalidArgumentError(`machine ${core.id}: addErr()`, 'err', 'an error', err)
  let copy: Args
  try {
    copy = { ...args, err: error }
  } catch (e) {
    // A throwing getter or proxy trap in args: the caller's mistake, reported before anything changed.
    throw withCause(new InvalidArgumentError(`machine ${core.id}: addErrState()`, 'args',
      `readable (copying it threw: ${safeString(e)})`, args), e)
  }
  core.err = error
  if (core.log.on(LogLevel.Changes)) core.log.emit(LogLevel.Changes, `[error] ${safeString(error)}`)
  return mutate(core, 'add', called, copy)
}

function append(core: Core, type: MutationType, called: number[], args: Args | undefined): Result {
  // Guard: removing inactive states from a handler, with nothing queued, is a no-op (asyncmachine-go).
  if (type === 'remove' && core.queueLen === 0 && !called.some((i) => core.isActive(i))) return Result.Executed
  if (argless(args) && !called.some((i) => core.tables.multi[i] === 1)) {
    const dup = findDuplicate(core, type, called)
    if (dup) {
      if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[queue:skipped] Duplicate detected for ${dup}`)
      return dup.queueTick
    }
  }
  core.pending++
  const m = new Mutation(core, type, called.slice(), args, false, core.queueTick + core.pending)
  core.queue.push(m)
  if (core.log.on(LogLevel.Ops)) {
    core.log.emit(LogLevel.Ops, `[queue:${type}] ${m.calledStates.join(' ')}${core.log.formatArgs(args)}`)
  }
  if (core.tracers.length > 0) core.trace('mutationQueued', core.machine, m)
  return m.queueTick
}

/** Queued mutations dropped before they ran (`dropQueued`): they keep their place and queue tick, and do not run. */
const dropped = new WeakSet<Mutation>()
/** Dropped entries not dequeued yet, in any machine: while 0, the run never looks one up. */
let dropsPending = 0

/**
 * Drops the queued mutation that returned `queueTick` (≥ 2) before it runs: it is skipped when its turn comes, and
 * still takes its tick, so later queue ticks (and `whenQueue` waiters) do not move. False when no entry not yet
 * dequeued has that tick (it ran, or was never queued). For the RPC server's `CANCEL` (through internals.ts).
 */
export function dropQueued(core: Core, queueTick: number): boolean {
  const q = core.queue
  for (let k = core.queueHead; k < q.length; k++) {
    const m = q[k]
    if (m === undefined || m.queueTick !== queueTick || queueTick === 0) continue
    if (dropped.has(m)) return false
    dropped.add(m)
    dropsPending++
    if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[queue:dropped] ${m.toString()}`)
    return true
  }
  return false
}

/** A queued argless mutation of the same type and the very same states (any order), not yet dequeued. */
function findDuplicate(core: Core, type: MutationType, called: readonly number[]): Mutation | undefined {
  const q = core.queue
  for (let k = core.queueHead; k < q.length; k++) {
    const m = q[k] as Mutation
    if (m.type !== type || m.queueTick === 0 || !argless(m.args) || m.called.length !== called.length) continue
    if (dropsPending > 0 && dropped.has(m)) continue
    if (called.every((i) => m.called.includes(i))) return m
  }
  return undefined
}

/**
 * Runs the queue until it is empty, or until `drainBudget` transitions ran: then the run is suspended and goes on in
 * a macrotask (loops.ts).
 */
function drain(core: Core): void {
  const q = core.queue
  let left = core.drainBudget
  while (!core.disposed) {
    const auto = core.autoNext
    if (auto === null && core.queueHead >= q.length) break
    if (left-- <= 0) {
      suspend(core, resume)
      return
    }
    if (auto !== null) {
      core.autoNext = null
      transition(core, 'add', auto, undefined, 'auto')
      continue
    }
    const m = q[core.queueHead] as Mutation
    q[core.queueHead++] = undefined
    if (m.queueTick > 0) {
      core.pending--
      core.queueTick++
    }
    if (dropsPending > 0 && dropped.has(m)) dropsPending--
    else transition(core, m.type, m.called, m.args, 'mutation')
    if (m.queueTick > 0) core.waiters?.queueTickReached(core.queueTick)
  }
  // Popping the emptied slots stays on V8's fast path; writing `length` is a runtime call.
  while (q.length > 0) q.pop()
  core.queueHead = 0
}

/** The next slice of a suspended run (a macrotask). A dispose meanwhile ended the run already. */
function resume(core: Core): void {
  core.suspended = false
  if (core.disposed) return
  try {
    if (!core.disposeRequested) drain(core)
  } catch (err) {
    // No caller to throw to: report it, never crash the process from a macrotask.
    core.report(`the queue run failed: ${safeString(err)}`)
  } finally {
    if (!core.suspended) endRun(core)
  }
}

function endRun(core: Core): void {
  core.processing = false
  core.autoNext = null
  core.yields = 0
  if (core.queueLen > 0) {
    // Reachable when a transition threw internally, or on a dispose requested during a suspended run. The dropped
    // mutations count as dequeued, so no whenQueue() waits for a tick that never comes.
    core.queue.length = 0
    core.queueHead = 0
    core.queueTick += core.pending
    core.pending = 0
    core.waiters?.queueTickReached(core.queueTick)
  }
  if (core.tracers.length > 0) core.trace('queueEnd', core.machine)
  core.waiters?.queueEnded()
  if (core.disposeRequested) core.dispose()
}

/**
 * A dry run (`canAdd`/`canRemove`): relations and negotiation handlers, no change. While the machine is processing
 * (from a handler) only relations are checked, against the current states: handlers never nest.
 */
export function check(core: Core, type: MutationType, called: number[], args: Args | undefined): Result {
  if (core.disposed) return Result.Canceled
  if (core.processing) {
    const res = core.resolver.resolve({ type, called, isAuto: false, machine: core, buffers: null, log: null })
    return res.accepted ? Result.Executed : Result.Canceled
  }
  core.processing = true
  try {
    const result = transition(core, type, called, args, 'check')
    drain(core)
    return result
  } finally {
    if (!core.suspended) endRun(core)
  }
}
