/**
 * Merging a user's actor schema with the actor lifecycle (ActorSchema), once per schema.
 */
import { SchemaError, schema as makeSchema, type Schema, type Snapshot } from '../machine/index.js'
import { ACTOR_STATES, ActorSchema } from './actor.schema.js'

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

const messageSets = new WeakMap<Schema<string>, ReadonlySet<string>>()

/** The message names of a (merged) actor schema, computed once per schema. */
export function messageStates(schema: Schema<string>): ReadonlySet<string> {
  let set = messageSets.get(schema)
  if (!set) messageSets.set(schema, (set = new Set(schema.names.filter((n) => schema.states[n]?.multi && !ACTOR_STATES.has(n)))))
  return set
}

/** A saved snapshot with the lifecycle states (and errors) made inactive: a new incarnation starts them afresh. */
export function withoutLifecycle(snap: Snapshot): Snapshot {
  const time = snap.time.map((t, i) => (ACTOR_STATES.has(snap.names[i] as string) && t % 2 === 1 ? t + 1 : t))
  return { ...snap, time }
}
