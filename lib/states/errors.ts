/**
 * Errors of the states layer. Like the core's, each is a `PolymachineError` with a stable `code`.
 */
import { PolymachineError } from '../machine/index.js'

/**
 * A pipe could not replay a source transition as it should: the source's args could not be read (a throwing getter
 * or proxy trap), or the replay itself threw. Added to the target as its `Exception` (the states are still mirrored,
 * without the args); `cause` is what was thrown.
 */
export class PipeError extends PolymachineError {
  override readonly name = 'PipeError'
  /** The pipe's binding id on the source. */
  readonly pipeId: string

  constructor(pipeId: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_PIPE', `${pipeId}: ${detail}`, options)
    this.pipeId = pipeId
  }
}
