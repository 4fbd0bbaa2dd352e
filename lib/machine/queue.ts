/**
 * The mutation queue. A mutation made while the machine is processing (from a handler) is appended and returns its
 * queue tick; one made while idle runs its own transition and then drains the queue before returning. Auto and
 * exception mutations are prepended and take no tick.
 */
import type { Core } from './core.js'
import { safeString } from './describe.js'
import { suspend } from './loops.js'
import { transition } from './transition.js'
import { type Args, LogLevel, type MutationInfo, type MutationType, Result } from './types.js'

export class Mutation implements MutationInfo<string> {
  constructor(
    private readonly core: Core,
    readonly type: MutationType,
    readonly called: readonly number[],
    readonly args: Args | undefined,
    readonly isAuto: boolean,
    readonly queueTick: number,
  ) {}

  get calledStates(): readonly string[] {
    return this.core.names(this.called)
  }

  toString(): string {
    return `[${this.type}${this.isAuto ? ':auto' : ''}] ${this.calledStates.join(' ')}`
  }
}

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
  const exc = core.c.exception
  if (core.queueLen >= core.queueLimit) {
    // An error is never lost to a full queue: one Exception add gets in while Exception is inactive.
    const letIn =
      type === 'add' && called.includes(exc) && !core.isActive(exc) && !core.queue.some((m, i) =>
        i >= core.qHead && m.type === 'add' && m.called.includes(exc))
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
    if (core.tracers.length > 0) core.trace('mutationQueued', core.mach, new Mutation(core, type, called.slice(), args, false, core.queueTick))
    result = transition(core, type, called, args, false, false)
    core.w?.queueTickReached(core.queueTick)
    drain(core)
  } finally {
    if (!core.suspended) endRun(core)
  }
  return result
}

function append(core: Core, type: MutationType, called: number[], args: Args | undefined): Result {
  // Guard: removing inactive states from a handler, with nothing queued, is a no-op (asyncmachine-go).
  if (type === 'remove' && core.queueLen === 0 && !called.some((i) => core.isActive(i))) return Result.Executed
  if (argless(args) && !called.some((i) => core.c.multi[i] === 1)) {
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
  if (core.tracers.length > 0) core.trace('mutationQueued', core.mach, m)
  return m.queueTick
}

/** A queued argless mutation of the same type and the very same states (any order), not yet dequeued. */
function findDuplicate(core: Core, type: MutationType, called: readonly number[]): Mutation | undefined {
  const q = core.queue
  for (let k = core.qHead; k < q.length; k++) {
    const m = q[k] as Mutation
    if (m.type !== type || m.isAuto || m.queueTick === 0 || !argless(m.args) || m.called.length !== called.length) continue
    if (called.every((i) => m.called.includes(i))) return m
  }
  return undefined
}

/**
 * Schedules the auto round: it runs next, with no queue tick, as if prepended. Kept beside the queue rather than in
 * it (at most one is pending: only a non-auto transition schedules one), so a machine whose only queued work is auto
 * rounds never allocates queue entries.
 */
export function scheduleAuto(core: Core, called: number[]): void {
  core.autoNext = called
  if (core.tracers.length > 0) core.trace('mutationQueued', core.mach, new Mutation(core, 'add', called, undefined, true, 0))
}

/** Puts a mutation at the head of the queue (exceptions): it runs next, with no queue tick. */
export function prepend(core: Core, type: MutationType, called: number[], args: Args | undefined): void {
  const m = new Mutation(core, type, called, args, false, 0)
  // Reuse a dequeued slot, or push onto an empty queue: `unshift` is the slow path (it moves every element).
  if (core.qHead > 0) core.queue[--core.qHead] = m
  else if (core.queue.length === 0) core.queue.push(m)
  else core.queue.unshift(m)
  if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[prepend:${type}] ${m.calledStates.join(' ')}`)
  if (core.tracers.length > 0) core.trace('mutationQueued', core.mach, m)
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
    if (auto === null && core.qHead >= q.length) break
    if (left-- <= 0) {
      suspend(core, resume)
      return
    }
    if (auto !== null) {
      core.autoNext = null
      transition(core, 'add', auto, undefined, true, false)
      continue
    }
    const m = q[core.qHead] as Mutation
    q[core.qHead++] = undefined as unknown as Mutation
    if (m.queueTick > 0) {
      core.pending--
      core.queueTick++
    }
    transition(core, m.type, m.called as number[], m.args, m.isAuto, false)
    if (m.queueTick > 0) core.w?.queueTickReached(core.queueTick)
  }
  // Popping the emptied slots stays on V8's fast path; writing `length` is a runtime call.
  while (q.length > 0) q.pop()
  core.qHead = 0
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
    core.qHead = 0
    core.queueTick += core.pending
    core.pending = 0
    core.w?.queueTickReached(core.queueTick)
  }
  if (core.tracers.length > 0) core.trace('queueEnd', core.mach)
  core.w?.queueEnded()
  if (core.disposeRequested) core.dispose()
}

/**
 * A dry run (`canAdd`/`canRemove`): relations and negotiation handlers, no change. While the machine is processing
 * (from a handler) only relations are checked, against the current states: handlers never nest.
 */
export function check(core: Core, type: MutationType, called: number[], args: Args | undefined): Result {
  if (core.disposed) return Result.Canceled
  if (core.processing) {
    const res = core.resolver.resolve(type, called, core.active, core.clock, false, null, null)
    return res.accepted ? Result.Executed : Result.Canceled
  }
  core.processing = true
  try {
    const result = transition(core, type, called, args, false, true)
    drain(core)
    return result
  } finally {
    if (!core.suspended) endRun(core)
  }
}
