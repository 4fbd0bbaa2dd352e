/**
 * Merging a user's actor schema with the actor lifecycle (ActorSchema), once per schema.
 */
import { SchemaError, schema as makeSchema, type Schema } from '../machine/index.js'
import { ActorSchema } from './actor.schema.js'

const merged = new WeakMap<Schema<string>, Schema<string>>()

/** The user's schema merged with the actor lifecycle; lifecycle states may only be redeclared identically. */
export function actorSchema(user: Schema<string>): Schema<string> {
  let s = merged.get(user)
  if (s) return s
  for (const name of ActorSchema.names) {
    const mine = user.states[name]
    const theirs = ActorSchema.states[name]
    if (mine && JSON.stringify(mine) !== JSON.stringify(theirs)) {
      throw new SchemaError(`state '${name}' is part of the actor lifecycle (ActorSchema) and cannot be redefined`, name)
    }
  }
  s = (makeSchema as (...parts: unknown[]) => Schema<string>)(user, ActorSchema)
  merged.set(user, s)
  return s
}

