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
export function bindObject(c: Core, obj: unknown, opts: unknown): string {
  if (c.disposed) throw new DisposedError(c.id, 'bind()')
  const where = `machine ${c.id}: bind()`
  if (!isObject(obj)) throw new InvalidArgumentError(where, 'handlers', 'a handler object', obj)
  if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError(where, 'options', 'an object', opts)
  const given = safeGet(opts, 'id', BAD_READ)
  if (given === BAD_READ) throw new InvalidArgumentError(where, 'options.id', 'readable', opts)
  if (given !== undefined && (typeof given !== 'string' || given.length === 0)) {
    throw new InvalidArgumentError(where, 'options.id', 'a non-empty string', given)
  }
  const num = ++c.bindSeq
  const id = given ?? `${className(obj) || 'handlers'}-${num}`
  if (c.bindings.some((b) => b.id === id)) {
    throw new InvalidOperationError(`${where}: a binding with id '${id}' exists`)
  }
  const binding = discover(obj, c.c, c.id, id, num)
  c.bindings = [...c.bindings, binding]
  c.bindingsChanged()
  if (c.log.on(LogLevel.Ops)) c.log.emit(LogLevel.Ops, `[handlers] bind ${num}:${id}`)
  return id
}

/** `mach.unbind(id)`: false when no binding has this id. */
export function unbindId(c: Core, id: unknown): boolean {
  if (typeof id !== 'string') throw new InvalidArgumentError(`machine ${c.id}: unbind()`, 'id', 'a binding id (string)', id)
  const left = c.bindings.filter((b) => b.id !== id)
  if (left.length === c.bindings.length) return false
  c.bindings = left
  c.bindingsChanged()
  return true
}

/** The class name of a handler object, for default binding ids; '' when there is none or it cannot be read. */
function className(obj: object): string {
  const name = safeGet(safeGet(obj, 'constructor'), 'name')
  return typeof name === 'string' ? name : ''
}
