/**
 * Errors of the helpers. Like the core's, each is a `PolymachineError` with a stable `code`, and each message names
 * the machine and the states involved.
 */
import { PolymachineError } from '../machine/index.js'
import { safeString } from '../machine/internals.js'

/** A state activated more than `maxIterations` times within `window` ms (see `stateLoop`). Code `ERR_STATE_LOOP`. */
export class StateLoopError extends PolymachineError {
  override readonly name = 'StateLoopError'
  readonly machineId: string
  readonly state: string
  readonly maxIterations: number
  readonly window: number

  constructor(machineId: string, state: string, maxIterations: number, window: number) {
    super('ERR_STATE_LOOP', `machine ${machineId}: state '${state}' looped: activated more than ${maxIterations} ` +
      `times within ${window} ms`)
    this.machineId = machineId
    this.state = state
    this.maxIterations = maxIterations
    this.window = window
  }
}

/** One way a schema differs from a required one. */
export interface ContractMismatch {
  readonly state: string
  /** `multi`/`auto` flags, or a relation list. */
  readonly field: 'multi' | 'auto' | 'require' | 'add' | 'remove' | 'after'
  /** For relations: the required entries the schema lacks. For flags: the required value. */
  readonly expected: readonly string[] | boolean
  readonly message: string
}

/**
 * A schema does not implement a required one: states are missing, or their flags or relations differ. Code
 * `ERR_CONTRACT`.
 */
export class ContractError extends PolymachineError {
  override readonly name = 'ContractError'
  /** Required states the schema does not define. */
  readonly missing: readonly string[]
  readonly mismatches: readonly ContractMismatch[]
  /** The first state to blame. */
  readonly state: string | undefined

  constructor(subject: string, missing: readonly string[], mismatches: readonly ContractMismatch[]) {
    const parts: string[] = []
    if (missing.length > 0) {
      parts.push(`missing state${missing.length > 1 ? 's' : ''} ${missing.map((s) => `'${s}'`).join(', ')}`)
    }
    parts.push(...mismatches.map((m) => m.message))
    super('ERR_CONTRACT', `${subject} does not implement the required schema: ${parts.join('; ')}`)
    this.state = missing[0] ?? mismatches[0]?.state
    this.missing = missing
    this.mismatches = mismatches
  }
}

/**
 * A machine a helper watches is in `Exception` and its `err` is not an `Error` (a string, `undefined`…): this error
 * stands for it, with the original as `cause`. Code `ERR_IN_EXCEPTION`.
 */
export class InExceptionError extends PolymachineError {
  override readonly name = 'InExceptionError'
  readonly machineId: string

  constructor(machineId: string, err: unknown) {
    super('ERR_IN_EXCEPTION', `machine ${machineId} is in Exception${err === undefined ? '' : `: ${safeString(err)}`}`,
      { cause: err })
    this.machineId = machineId
  }
}
