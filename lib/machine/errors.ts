/**
 * Every error polymachine throws or rejects with. Each one is a `PolymachineError` (by `instanceof`) with a stable
 * `code`, so callers can `switch (err.code)` instead of parsing messages; each message names the machine (when there
 * is one) and the state(s) involved, so a log line alone tells what failed and where.
 *
 * Bad arguments follow Node's own convention: `InvalidArgumentError` is a `TypeError` and `OutOfRangeError` a
 * `RangeError` (code `ERR_INVALID_ARG` / `ERR_OUT_OF_RANGE`), and both are `PolymachineError`s too.
 */
import { describe } from './describe.js'

/** Marks every error made by this package, whatever built-in class it extends. */
const BRAND: unique symbol = Symbol.for('polymachine.error') as never

/** The code of every error this package throws (the layers above the core add their own). */
export type CoreErrorCode =
  | 'ERR_SCHEMA'
  | 'ERR_SNAPSHOT'
  | 'ERR_UNKNOWN_STATE'
  | 'ERR_HANDLER_NAME'
  | 'ERR_HANDLER'
  | 'ERR_DISPOSED'
  | 'ERR_TIMEOUT'
  | 'ERR_INVALID_ARG'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_INVALID_OPERATION'
  | 'ERR_LOOP'

function brand(err: Error, code: string): void {
  Object.defineProperty(err, BRAND, { value: code })
}

/**
 * The base of every error this package throws. `err instanceof PolymachineError` is true for all of them, including
 * the argument errors that extend `TypeError`/`RangeError`.
 */
export class PolymachineError extends Error {
  override readonly name: string = 'PolymachineError'
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    brand(this, code)
  }

  /** `instanceof PolymachineError` recognises every branded error; subclasses keep the ordinary prototype check. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== PolymachineError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, BRAND)
  }
}

/** True for every error made by polymachine; `err.code` is then its code. */
export function isPolymachineError(value: unknown): value is PolymachineError {
  return value instanceof PolymachineError
}

/** A schema definition is invalid: unknown relation targets, reserved names, conflicting relations. */
export class SchemaError extends PolymachineError {
  override readonly name = 'SchemaError'
  /** The state whose definition failed, when one is to blame. */
  readonly state: string | undefined

  constructor(message: string, state?: string, code: 'ERR_SCHEMA' | 'ERR_SNAPSHOT' = 'ERR_SCHEMA') {
    super(code, message)
    this.state = state
  }
}

/** A state name that the machine's schema does not define. */
export class UnknownStateError extends PolymachineError {
  override readonly name = 'UnknownStateError'
  readonly machineId: string
  readonly states: readonly string[]

  constructor(machineId: string, states: readonly string[], where?: string) {
    const list = quote(states)
    super('ERR_UNKNOWN_STATE',
      `machine ${machineId}: unknown state${states.length > 1 ? 's' : ''} ${list}${where ? ` in ${where}` : ''}`)
    this.machineId = machineId
    this.states = states
  }
}

/** A method that looks like a handler (`FooEnter`, `AnyBar`…) but names no state of the schema. */
export class HandlerNameError extends PolymachineError {
  override readonly name = 'HandlerNameError'
  readonly machineId: string
  readonly handler: string

  constructor(machineId: string, handler: string, detail: string) {
    super('ERR_HANDLER_NAME', `machine ${machineId}: handler '${handler}' ${detail}`)
    this.machineId = machineId
    this.handler = handler
  }
}

/** A handler broke the handler contract (e.g. a negotiation handler returned a Promise). */
export class HandlerError extends PolymachineError {
  override readonly name = 'HandlerError'
  readonly machineId: string
  readonly handler: string

  constructor(machineId: string, handler: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_HANDLER', `machine ${machineId}: handler '${handler}' ${detail}`, options)
    this.machineId = machineId
    this.handler = handler
  }
}

/** The machine was disposed before (or while) the operation could complete. */
export class DisposedError extends PolymachineError {
  override readonly name = 'DisposedError'
  readonly machineId: string

  constructor(machineId: string, what?: string) {
    super('ERR_DISPOSED', `machine ${machineId} is disposed${what ? `: ${what}` : ''}`)
    this.machineId = machineId
  }
}

/** A wait did not complete within its timeout. */
export class TimeoutError extends PolymachineError {
  override readonly name = 'TimeoutError'
  readonly machineId: string
  readonly timeout: number

  constructor(machineId: string, what: string, timeout: number) {
    super('ERR_TIMEOUT', `machine ${machineId}: ${what} timed out after ${timeout} ms`)
    this.machineId = machineId
    this.timeout = timeout
  }
}

/** An operation that is not allowed now (e.g. `import()` from inside a handler, a binding id used twice). */
export class InvalidOperationError extends PolymachineError {
  override readonly name = 'InvalidOperationError'

  constructor(message: string, code = 'ERR_INVALID_OPERATION') {
    super(code, message)
  }
}

/**
 * A handler-driven cycle the machine stopped instead of spinning: `Exception` re-added over and over by failures of
 * its own handlers (an Exception storm). `cause` is the last failure. It is left as `mach.err`, with `Exception`
 * active.
 */
export class LoopError extends PolymachineError {
  override readonly name = 'LoopError'
  readonly machineId: string

  constructor(machineId: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_LOOP', `machine ${machineId}: ${detail}`, options)
    this.machineId = machineId
  }
}

/**
 * A public function was given an argument or option of the wrong type. Also a `TypeError`.
 * The message reads `<where>: <what> must be <expected>, got <the value, described safely>`.
 */
export class InvalidArgumentError extends TypeError {
  override readonly name = 'InvalidArgumentError'
  readonly code = 'ERR_INVALID_ARG'
  /** The function and argument, e.g. `machine m1: bind()` and `handlers`. */
  readonly where: string
  readonly argument: string

  constructor(where: string, argument: string, expected: string, got: unknown) {
    super(`${where}: ${argument} must be ${expected}, got ${describe(got)}`)
    this.where = where
    this.argument = argument
    brand(this, this.code)
  }
}

/** A numeric argument or option is out of its range (negative, not an integer, NaN…). Also a `RangeError`. */
export class OutOfRangeError extends RangeError {
  override readonly name = 'OutOfRangeError'
  readonly code = 'ERR_OUT_OF_RANGE'
  readonly where: string
  readonly argument: string

  constructor(where: string, argument: string, expected: string, got: unknown) {
    super(`${where}: ${argument} must be ${expected}, got ${describe(got)}`)
    this.where = where
    this.argument = argument
    brand(this, this.code)
  }
}

/** Formats a list of state names for messages: `'A', 'B'`. */
function quote(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ')
}

export { quote as quoteStates }
