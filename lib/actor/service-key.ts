/**
 * Typed service keys: a name that carries the message names and handler types of the actors registered under it,
 * so `receptionist.find(key)` returns typed refs.
 */
import { InvalidArgumentError } from '../machine/index.js'
import type { MessageNames } from './types.js'

declare const keyTypes: unique symbol

export interface ServiceKey<M extends string = string, H = unknown> {
  readonly name: string
  /** Type-only: the message names and handlers of actors under this key. */
  readonly [keyTypes]?: { messages: M; handlers: H }
}

/**
 * A typed service key.
 *
 * ```ts
 * const Accounts = serviceKey<typeof accountSchema, AccountHandlers>('accounts')
 * system.spawn(accountSchema, new AccountHandlers(), { id: 'acc-1', key: Accounts })
 * const [acc] = system.receptionist.find(Accounts) // ActorRef with typed messages and replies
 * ```
 */
export function serviceKey<S, H = unknown>(name: string): ServiceKey<MessageNames<S>, H> {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('serviceKey()', 'name', 'a non-empty string', name)
  return Object.freeze({ name })
}

/** The name of a service key, checked: an object with a non-empty string `name` (made by `serviceKey()`). */
export function keyName(where: string, key: unknown): string {
  let name: unknown
  try {
    name = typeof key === 'object' && key !== null ? (key as { name?: unknown }).name : undefined
  } catch {
    name = undefined
  }
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(where, 'key', 'a service key made by serviceKey()', key)
  return name
}
