/**
 * Binding and unbinding handler objects on a machine: the options are read once and checked, the object's handlers
 * are discovered (handlers.ts) and the core learns which handler kinds exist.
 */
import type { Core } from './core.js'
import { safeGet } from './describe.js'
import { DisposedError, InvalidArgumentError, InvalidOperationError } from './errors.js'
import { discover } from './handlers.js'
import { LogLevel } from './types.js'
import { isObject } from './validate.js'

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

/** The class name of a handler object, for default binding ids; '' when there is none or it cannot be read. */
function className(obj: object): string {
  const name = safeGet(safeGet(obj, 'constructor'), 'name')
  return typeof name === 'string' ? name : ''
}
