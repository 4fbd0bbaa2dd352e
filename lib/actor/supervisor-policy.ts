/**
 * A supervisor's policy: its options (strategy, intensity, backoff, decide) with their defaults, and the choice of
 * a directive for a failed child (`decide()` asked inside a guard, its answer checked).
 */
import type { LogFn, LogLevel } from '../machine/index.js'
import type { BackoffOptions } from './backoff.js'
import type { Child } from './child.js'
import { DIRECTIVES } from './supervision-check.js'
import { InvalidDirectiveError } from './supervision-errors.js'
import type { Supervisor } from './supervisor.js'

export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one'
export type Directive = 'restart' | 'resume' | 'stop' | 'escalate'

/** Restarts allowed within `period` before a supervisor escalates, unless told. */
export const DEFAULT_MAX_RESTARTS = 3
/** The intensity window in ms, unless told. */
export const DEFAULT_PERIOD = 5000

export interface ChildInfo {
  readonly id: string
  /** Restarts so far. */
  readonly restarts: number
}

export interface SupervisorOptions<D = unknown> {
  id: string
  /** Which children restart when one fails. Default `one-for-one`. */
  strategy?: Strategy
  /**
   * What to do about a failure. Default: restart. A `decide` that throws escalates with what it threw; one that
   * returns anything but a directive escalates with an `InvalidDirectiveError` (as an unmatched Akka decider).
   */
  decide?: (error: unknown, child: ChildInfo) => Directive
  /** Intensity: more restarts than this within `period` escalate. Default 3. */
  maxRestarts?: number
  /** Intensity window in ms. Default 5000. */
  period?: number
  /** Delay before each restart. Default `{ min: 100, max: 10000, jitter: 0.2, resetAfter: 10000 }`. */
  backoff?: BackoffOptions
  /** A supervisor above this one: escalations go there. */
  parent?: Supervisor<unknown>
  /** Dependencies for the children; each child gets `project(deps, childId)` (default: all of them). */
  deps?: D
  project?: (deps: D, childId: string) => unknown
  /** Per child, how long stopping waits for in-flight handlers (ms). Default `DEFAULT_TIMEOUT` (5000). */
  stopTimeout?: number
  /** Log level and logger of the supervisor's own machine. */
  logLevel?: LogLevel
  logger?: LogFn
}

/**
 * The directive for `child`'s failure `err`: `stop` for a temporary child, else what `decide` says (default
 * `restart`). A `decide` that throws escalates what it threw; an answer that is no directive escalates an
 * `InvalidDirectiveError`; `resume` for an incarnation that never started becomes `restart` (nothing to resume).
 */
export function chooseDirective(
  supervisorId: string,
  decide: SupervisorOptions['decide'],
  child: Child,
  err: unknown,
): { directive: Directive; err: unknown } {
  let directive: unknown = child.spec.restart === 'temporary' ? 'stop' : 'restart'
  if (decide && directive === 'restart') {
    try {
      directive = decide(err, { id: child.id, restarts: child.ref.restarts })
    } catch (e) {
      directive = 'escalate'
      err = e
    }
    if (!DIRECTIVES.includes(directive as string)) {
      err = new InvalidDirectiveError(supervisorId, child.id, directive, { cause: err })
      directive = 'escalate'
    }
  }
  if (directive === 'resume' && (!child.actor || child.actor.mach.is('ErrStart'))) directive = 'restart'
  return { directive: directive as Directive, err }
}
