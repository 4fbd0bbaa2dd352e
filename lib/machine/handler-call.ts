/**
 * Calling one handler inside a transition: its event, tracer hooks and log lines, and what it did — returned,
 * threw, or handed back a thenable (read once, guarded; a rejection later goes to `addErr` unless stale). A failure
 * becomes `Exception` (prepended), except in a transition that is adding Exception itself.
 */
import type { Core } from './core.js'
import { safeGet, safeString, thenOf } from './describe.js'
import { HandlerError } from './errors.js'
import type { Binding, HandlerFn } from './handlers.js'
import { failureMayReAdd, firstFailure } from './loops.js'
import { prepend } from './mutation.js'
import { HandlerEvent, type Tx } from './tx.js'
import { LogLevel } from './types.js'

/** What `call` returns for a handler that threw (or failed as if it threw). */
export const THREW = Symbol('threw')
/**
 * The kind of handler `call` runs: a negotiation handler (Enter, Exit, self, pair, AnyEnter: may cancel, must be
 * synchronous), a final one (End, AnyState), or a State handler (its event's signal is its state's signal).
 */
export type HandlerKind = 'negotiation' | 'final' | 'state'
const NOOP = (): void => undefined

/**
 * Calls a handler with its event. A throw is turned into `Exception` and reported as THREW. A Promise from a
 * final handler is watched: its rejection is passed to `addErr`, unless the state's tick moved on (stale work).
 */
export function call(core: Core, tx: Tx, b: Binding, fn: HandlerFn, name: string, state: number,
  kind: HandlerKind): unknown {
  const tick = state >= 0 ? (core.clock[state] as number) : 0
  const e = new HandlerEvent(name, tx, kind === 'state' ? state : -1, tick)
  if (core.log.on(LogLevel.Ops)) {
    core.log.emit(LogLevel.Ops, `[handler:${b.num}] ${name}`)
    if (core.log.on(LogLevel.Everything)) core.log.emit(LogLevel.Everything, `[handle:${b.id}] ${name}`)
  }
  if (core.tracers.length > 0) core.trace('handlerStart', tx, b.id, name)
  let ret: unknown
  try {
    ret = fn.call(b.obj, e)
  } catch (err) {
    handlerThrew(core, tx, name, err)
    ret = THREW
  }
  if (core.tracers.length > 0) core.trace('handlerEnd', tx, b.id, name)
  // Only objects can be thenables: a handler returning nothing pays one typeof.
  if (ret !== null && (typeof ret === 'object' || typeof ret === 'function')) {
    return returned(core, tx, name, state, tick, kind, ret)
  }
  return ret
}

/**
 * Inspects a handler's object return value, once and guarded (its `then` may be a throwing getter, its `then()` may
 * throw): such a value counts as a throw of the handler. A thenable from a final handler is watched (see `call`); one
 * from a negotiation handler cancels, as negotiation is synchronous.
 */
function returned(core: Core, tx: Tx, name: string, state: number, tick: number, kind: HandlerKind,
  ret: object): unknown {
  const t = thenOf(ret)
  if (t.error !== undefined) {
    handlerThrew(core, tx, name, new HandlerError(core.id, name, "returned a value whose 'then' cannot be read",
      { cause: t.error }))
    return THREW
  }
  const then = t.then
  if (then === undefined) return ret
  const inExc = kind !== 'negotiation' && addsException(core, tx)
  let done = false
  try {
    then(NOOP, (err: unknown) => {
      // A hand-made thenable may call back more than once: one rejection is one error.
      if (done || kind === 'negotiation') return
      done = true
      asyncRejected(core, name, state, tick, err, inExc)
    })
  } catch (err) {
    handlerThrew(core, tx, name, new HandlerError(core.id, name, "returned a thenable whose 'then' threw",
      { cause: err }))
    return THREW
  }
  if (kind !== 'negotiation') return ret
  handlerThrew(core, tx, name, new HandlerError(core.id, name,
    'returned a Promise: negotiation handlers must be synchronous (do async work in a State handler)'))
  return THREW
}

/**
 * The transition adds Exception: an add or set calling it (an `addErr`, or the add a handler failure prepended). A
 * remove of Exception is not one: a failure there cancels it and adds Exception again, as anywhere else.
 */
export function addsException(core: Core, tx: Tx): boolean {
  return tx.type !== 'remove' && tx.calledIdx.includes(core.tables.exception)
}

/**
 * A final handler's Promise rejected. Ignored as stale when its state's tick moved on; otherwise `addErr`, unless
 * the handler ran while adding Exception and the re-adds make an Exception storm (loops.ts).
 */
function asyncRejected(core: Core, name: string, state: number, tick: number, reason: unknown, inExc: boolean): void {
  const err = reason ?? new HandlerError(core.id, name, `rejected with ${String(reason)}`)
  if (core.disposed || (state >= 0 && core.clock[state] !== tick)) {
    if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[error:stale] ${name}: ${safeString(err)}`)
    return
  }
  if (inExc && !failureMayReAdd(core, name, err)) return
  core.machine.addErr(err, { handler: name })
}

/**
 * Records the error (`undefined`/`null` become a HandlerError) and prepends `add Exception`. In a transition that
 * adds Exception, the throw neither cancels nor rolls back (its callers check `addsException`) and nothing is
 * re-added, so a failing Exception or Any handler cannot loop: Exception becomes active with this error as
 * `mach.err`, and one line reports it (printed when logging is off).
 */
function handlerThrew(core: Core, tx: Tx, name: string, thrown: unknown): void {
  const err = thrown ?? new HandlerError(core.id, name, `threw ${String(thrown)}`)
  // A storm (loops.ts) keeps its LoopError as mach.err; the failure is logged there.
  if (!failureMayReAdd(core, name, err)) return
  core.err = err
  if (core.log.on(LogLevel.Changes)) core.log.emit(LogLevel.Changes, `[error] ${name}: ${safeString(err)}`)
  if (addsException(core, tx)) {
    if (firstFailure(core) || core.log.on(LogLevel.Changes)) {
      const handling = safeGet(tx.args, 'err')
      core.report(`${name} threw while adding Exception${handling === undefined ? '' : ` (for: ${safeString(handling)})`}` +
        `; Exception is not re-added: ${safeString(err)}`)
    }
    return
  }
  prepend(core, 'add', [core.tables.exception], { err, handler: name })
}
