/**
 * Errors of supervision and the supervisor kinds (pool, keyed). Each is a `PolymachineError` with a stable `code`.
 */
import { PolymachineError } from '../machine/index.js'
import { describe } from '../machine/internals.js'

/** The codes of supervision's own errors (the actor layer's are in `ActorErrorCode`). */
export type SupervisionErrorCode = 'ERR_INVALID_DIRECTIVE' | 'ERR_ACTIVATION_FAILED' | 'ERR_SUPERVISOR_STOPPED'

/**
 * A supervisor's `decide()` returned something that is not a directive. Like an unmatched Akka decider, the failure
 * is escalated; the child's error is the `cause`.
 */
export class InvalidDirectiveError extends PolymachineError {
  override readonly name = 'InvalidDirectiveError'
  constructor(
    readonly supervisorId: string,
    readonly childId: string,
    readonly directive: unknown,
    options?: { cause?: unknown },
  ) {
    super('ERR_INVALID_DIRECTIVE', `supervisor ${supervisorId}: decide() returned ${describe(directive)} for child ${childId
    }; expected 'restart', 'resume', 'stop' or 'escalate' (escalated)`, options)
  }
}

/**
 * A keyed actor could not be activated: its `load()` threw or rejected, or returned something that is not a snapshot
 * of the actor's schema. The load error is the `cause`; nothing is saved over the stored state.
 */
export class ActivationError extends PolymachineError {
  override readonly name = 'ActivationError'
  constructor(
    readonly keyedId: string,
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_ACTIVATION_FAILED', `keyed ${keyedId}: activation of '${key}' failed: ${detail}`, options)
  }
}

/** The supervisor is stopping or stopped: it takes no new children. */
export class SupervisorStoppedError extends PolymachineError {
  override readonly name = 'SupervisorStoppedError'
  constructor(
    readonly supervisorId: string,
    what: string,
  ) {
    super('ERR_SUPERVISOR_STOPPED', `supervisor ${supervisorId} is stopping or stopped: cannot ${what}`)
  }
}
