/**
 * Mutations as the queue holds them, and the two ways a transition puts work in front of the queue: a prepended
 * mutation (an `Exception` add for a handler failure) and the auto round. Kept apart from the queue's run (queue.ts)
 * so that a transition, which the run calls, can schedule work without importing the run.
 */
import type { Core } from './core.js'
import type { MutationInfo, MutationType } from './events.js'
import { type Args, LogLevel } from './types.js'

/**
 * How a transition runs: a mutation as called (queued or not), the machine's own auto round (accepted when at least
 * one of its states is), or a dry run (`canAdd`/`canRemove`) that changes nothing.
 */
export type TransitionMode = 'mutation' | 'auto' | 'check'

export class Mutation implements MutationInfo<string> {
  constructor(
    private readonly core: Core,
    readonly type: MutationType,
    readonly called: readonly number[],
    readonly args: Args | undefined,
    readonly isAuto: boolean,
    /** The queue tick it runs at; 0 for a prepended mutation or an auto round (they take none). */
    readonly queueTick: number,
  ) {}

  get calledStates(): readonly string[] {
    return this.core.names(this.called)
  }

  toString(): string {
    return `[${this.type}${this.isAuto ? ':auto' : ''}] ${this.calledStates.join(' ')}`
  }
}

/**
 * Schedules the auto round: it runs next, with no queue tick, as if prepended. Kept beside the queue rather than in
 * it (at most one is pending: only a non-auto transition schedules one), so a machine whose only queued work is auto
 * rounds never allocates queue entries.
 */
export function scheduleAuto(core: Core, called: readonly number[]): void {
  core.autoNext = called
  if (core.tracers.length > 0) {
    core.trace('mutationQueued', core.machine, new Mutation(core, 'add', called, undefined, true, 0))
  }
}

/** Puts a mutation at the head of the queue (exceptions): it runs next, with no queue tick. */
export function prepend(core: Core, type: MutationType, called: readonly number[], args: Args | undefined): void {
  const m = new Mutation(core, type, called, args, false, 0)
  // Reuse a dequeued slot, or push onto an empty queue: `unshift` is the slow path (it moves every element).
  if (core.queueHead > 0) core.queue[--core.queueHead] = m
  else if (core.queue.length === 0) core.queue.push(m)
  else core.queue.unshift(m)
  if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[prepend:${type}] ${m.calledStates.join(' ')}`)
  if (core.tracers.length > 0) core.trace('mutationQueued', core.machine, m)
}
