/**
 * Binding handler objects and tracers to a machine. A handler object's options are read once and checked, its
 * handlers are discovered (handlers.ts) and the core learns which handler kinds exist; a tracer is checked and, at
 * construction, told `machineInit`.
 */
import type { Core } from './core.js'
import { safeGet, safeString } from './describe.js'
import { DisposedError, InvalidArgumentError, InvalidOperationError } from './errors.js'
import { discover } from './handlers.js'
import type { Tracer } from './tracer.js'
import { LogLevel } from './types.js'
import { checkTracer, isObject } from './validate.js'

/** `safeGet`'s fallback when a read threw. */
const BAD_READ = Symbol('unreadable')

/** `mach.bind(obj, opts)`: returns the binding id. */
export function bindObject(core: Core, obj: unknown, opts: unknown): string {
  if (core.disposed) throw new DisposedError(core.id, 'bind()')
  const where = `machine ${core.id}: bind()`
  if (!isObject(obj)) throw new InvalidArgumentError(where, 'handlers', 'a handler object', obj)
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError(where, 'options', 'an object', opts)
  const given = safeGet(opts, 'id', BAD_READ)
  if (given === BAD_READ) throw new InvalidArgumentError(where, 'options.id', 'readable', opts)
  if (given !== undefined && (typeof given !== 'string' || given.length === 0)) {
    throw new InvalidArgumentError(where, 'options.id', 'a non-empty string', given)
  }
  const num = ++core.bindSeq
  const id = given ?? `${className(obj) || 'handlers'}-${num}`
  if (core.bindings.some((b) => b.id === id)) {
    throw new InvalidOperationError(`${where}: a binding with id '${id}' exists`)
  }
  const binding = discover(obj, core.tables, core.id, id, num)
  core.bindings = [...core.bindings, binding]
  core.bindingsChanged()
  if (core.log.on(LogLevel.Ops)) core.log.emit(LogLevel.Ops, `[handlers] bind ${num}:${id}`)
  return id
}

/** `mach.unbind(id)`: false when no binding has this id. */
export function unbindId(core: Core, id: unknown): boolean {
  if (typeof id !== 'string') throw new InvalidArgumentError(`machine ${core.id}: unbind()`, 'id', 'a binding id (string)', id)
  const left = core.bindings.filter((b) => b.id !== id)
  if (left.length === core.bindings.length) return false
  core.bindings = left
  core.bindingsChanged()
  return true
}

/** `mach.bindTracer(t)` (`where` names the call for errors): adds the tracer unless it is bound already. */
export function attachTracer(core: Core, t: unknown, where: string): void {
  checkTracer(`machine ${core.id}: ${where}`, t)
  if (!core.tracers.includes(t)) core.tracers = [...core.tracers, t]
  core.refreshWantsTx()
}

/** `mach.detachTracer(t)`: false when it was not bound. */
export function detachTracer(core: Core, t: unknown): boolean {
  checkTracer(`machine ${core.id}: detachTracer()`, t)
  const left = core.tracers.filter((x) => x !== t)
  const found = left.length !== core.tracers.length
  core.tracers = left
  core.refreshWantsTx()
  return found
}

/** The `tracers` option: each one attached, then told `machineInit` (a throw there is reported, never propagated). */
export function attachInitialTracers(core: Core, tracers: readonly Tracer[] | undefined): void {
  for (const t of tracers ?? []) {
    attachTracer(core, t, 'new Machine()')
    try {
      t.machineInit?.(core.machine)
    } catch (err) {
      core.report(`tracer machineInit threw: ${safeString(err)}`)
    }
  }
}

/** The class name of a handler object, for default binding ids; '' when there is none or it cannot be read. */
function className(obj: object): string {
  const name = safeGet(safeGet(obj, 'constructor'), 'name')
  return typeof name === 'string' ? name : ''
}
