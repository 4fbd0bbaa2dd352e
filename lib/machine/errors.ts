/**
 * Every error polymachine throws or rejects with. Each message names the machine (when there is one) and the
 * state(s) involved, so a log line alone tells what failed and where.
 */

/** Formats a list of state names for messages: `'A', 'B'`. */
function quote(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ')
}

/** A schema definition is invalid: unknown relation targets, reserved names, conflicting relations. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError'
  /** The state whose definition failed, when one is to blame. */
  readonly state: string | undefined

  constructor(message: string, state?: string) {
    super(message)
    this.state = state
  }
}

/** A state name that the machine's schema does not define. */
export class UnknownStateError extends Error {
  override readonly name = 'UnknownStateError'
  readonly machineId: string
  readonly states: readonly string[]

  constructor(machineId: string, states: readonly string[], where?: string) {
    const list = quote(states)
    super(`machine ${machineId}: unknown state${states.length > 1 ? 's' : ''} ${list}${where ? ` in ${where}` : ''}`)
    this.machineId = machineId
    this.states = states
  }
}

/** A method that looks like a handler (`FooEnter`, `AnyBar`…) but names no state of the schema. */
export class HandlerNameError extends Error {
  override readonly name = 'HandlerNameError'
  readonly machineId: string
  readonly handler: string

  constructor(machineId: string, handler: string, detail: string) {
    super(`machine ${machineId}: handler '${handler}' ${detail}`)
    this.machineId = machineId
    this.handler = handler
  }
}

/** A handler broke the handler contract (e.g. a negotiation handler returned a Promise). */
export class HandlerError extends Error {
  override readonly name = 'HandlerError'
  readonly machineId: string
  readonly handler: string

  constructor(machineId: string, handler: string, detail: string, options?: { cause?: unknown }) {
    super(`machine ${machineId}: handler '${handler}' ${detail}`, options)
    this.machineId = machineId
    this.handler = handler
  }
}

/** The machine was disposed before (or while) the operation could complete. */
export class DisposedError extends Error {
  override readonly name = 'DisposedError'
  readonly machineId: string

  constructor(machineId: string, what?: string) {
    super(`machine ${machineId} is disposed${what ? `: ${what}` : ''}`)
    this.machineId = machineId
  }
}

/** A wait did not complete within its timeout. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError'
  readonly machineId: string
  readonly timeout: number

  constructor(machineId: string, what: string, timeout: number) {
    super(`machine ${machineId}: ${what} timed out after ${timeout} ms`)
    this.machineId = machineId
    this.timeout = timeout
  }
}

export { quote as quoteStates }
