/**
 * Reading what `Reminders` is given: its host, `set()`'s options (each read once, inside a guard, so a getter that
 * throws is a bad argument and not a crash), and the reminder records read back from the store.
 */
import { InvalidArgumentError, OutOfRangeError } from '../machine/index.js'
import { describe } from '../machine/internals.js'
import { checkStoreTimeout, copyValue, type Store, type StoreValue } from '../store/index.js'
import type { ReminderInfo, ReminderOptions, RemindersHost } from './reminders.js'

/** A reminder as kept in memory: where it is in the store (`revision`) and in the due queue (`gen`). */
export interface Reminder extends ReminderInfo {
  due: number
  revision: number
  gen: number
}

/** The host's fields, read once and checked (a getter that throws is a bad argument, not a crash). */
export function readHost(host: RemindersHost): Required<RemindersHost> {
  const where = 'new Reminders()'
  if (typeof host !== 'object' || host === null) throw new InvalidArgumentError(where, 'host', 'an object { id, store, namespace, isMessage, deliver }', host)
  let h: { [K in keyof RemindersHost]: unknown }
  try {
    const { id, store, namespace, isMessage, deliver, storeTimeout } = host
    h = { id, store, namespace, isMessage, deliver, storeTimeout }
  } catch (err) {
    throw Object.assign(new InvalidArgumentError(where, 'host', `readable (reading it threw: ${describe(err)})`, undefined), { cause: err })
  }
  const { id, store, namespace, isMessage, deliver } = h
  if (typeof id !== 'string' || id === '') throw new InvalidArgumentError(where, 'host.id', 'a non-empty string', id)
  if (!isStore(store)) throw new InvalidArgumentError(where, 'host.store', 'a Store (get, put, delete, list)', store)
  if (typeof namespace !== 'string' || namespace === '') throw new InvalidArgumentError(where, 'host.namespace', 'a non-empty string', namespace)
  if (typeof isMessage !== 'function') throw new InvalidArgumentError(where, 'host.isMessage', 'a function', isMessage)
  if (typeof deliver !== 'function') throw new InvalidArgumentError(where, 'host.deliver', 'a function', deliver)
  const storeTimeout = checkStoreTimeout(where, 'host.storeTimeout', h.storeTimeout)
  return { id, store, namespace, isMessage: isMessage.bind(host), deliver: deliver.bind(host), storeTimeout }
}

/** Duck-typed: an object with the four `Store` methods (a getter that throws makes it no store, not a crash). */
export function isStore(v: unknown): v is Store {
  if (typeof v !== 'object' || v === null) return false
  try {
    const o = v as Record<string, unknown>
    return ['get', 'put', 'delete', 'list'].every((m) => typeof o[m] === 'function')
  } catch {
    return false
  }
}

interface CheckedOptions {
  due: number
  every: number | undefined
  args: Record<string, StoreValue> | undefined
  msg: string | undefined
}

export function readReminderOptions(where: string, options: unknown): CheckedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(where, 'options', 'an object { at?, every?, args? }', options)
  let o: ReminderOptions
  try {
    const { at, every, args, msg } = options as ReminderOptions
    o = {
      ...(at !== undefined && { at }), ...(every !== undefined && { every }), ...(args !== undefined && { args }),
      ...(msg !== undefined && { msg }),
    }
  } catch (err) {
    throw Object.assign(new InvalidArgumentError(where, 'options', 'readable', undefined), { cause: err })
  }
  const { at, every } = o
  if (at === undefined && every === undefined) throw new InvalidArgumentError(where, 'options', 'an object with at, every, or both', options)
  let due: number | undefined
  if (at !== undefined) {
    try {
      due = at instanceof Date ? at.getTime() : at
    } catch (err) {
      throw Object.assign(new InvalidArgumentError(where, 'options.at', 'a readable Date', undefined), { cause: err })
    }
    if (typeof due !== 'number') throw new InvalidArgumentError(where, 'options.at', 'a time in ms since the epoch, or a Date', at)
    if (!Number.isSafeInteger(Math.round(due)) || due < 0) throw new OutOfRangeError(where, 'options.at', 'a valid time in ms since the epoch', at)
    due = Math.round(due)
  }
  if (every !== undefined) {
    if (typeof every !== 'number') throw new InvalidArgumentError(where, 'options.every', 'an integer number of ms ≥ 1', every)
    if (!Number.isSafeInteger(every) || every < 1) throw new OutOfRangeError(where, 'options.every', 'an integer number of ms ≥ 1', every)
  }
  let args: Record<string, StoreValue> | undefined
  if (o.args !== undefined) {
    const copy = copyValue(where, 'options.args', o.args)
    if (typeof copy !== 'object' || copy === null || Array.isArray(copy) || copy instanceof Uint8Array) {
      throw new InvalidArgumentError(where, 'options.args', 'a plain object', o.args)
    }
    args = copy as Record<string, StoreValue>
  }
  if (o.msg !== undefined && (typeof o.msg !== 'string' || o.msg === '')) throw new InvalidArgumentError(where, 'options.msg', 'a message name', o.msg)
  return { due: due ?? Date.now() + (every as number), every, args, msg: o.msg }
}

/** A stored reminder record, or undefined when it is not one. */
export function parseReminder(value: StoreValue, revision: number): Reminder | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return undefined
  const v = value as Record<string, StoreValue>
  const { format, key, name, msg, due, every, args } = v
  if (format !== 1 || typeof key !== 'string' || key === '' || typeof name !== 'string' || name === '') return undefined
  if (typeof msg !== 'string' || msg === '') return undefined
  if (typeof due !== 'number' || !Number.isSafeInteger(due)) return undefined
  if (every !== null && (typeof every !== 'number' || !Number.isSafeInteger(every) || every < 1)) return undefined
  if (args !== null && (typeof args !== 'object' || Array.isArray(args) || args instanceof Uint8Array)) return undefined
  return {
    key, name, msg, due, every: every ?? undefined, args: (args as Record<string, StoreValue> | null) ?? undefined, revision, gen: 0,
  }
}
