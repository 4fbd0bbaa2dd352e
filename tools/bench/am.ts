/**
 * A minimal typed face of asyncmachine 3.x (JS). Its own typings are generic over event-emitter signatures and take
 * `any` parameters; the benchmarks need only this much, typed strictly.
 */
import { type IState, machine } from 'asyncmachine'

/** asyncmachine 3 names `remove` "drop"; the other relations mean the same as in polymachine. */
export interface AmStateDef {
  readonly drop?: readonly string[]
  readonly add?: readonly string[]
  readonly require?: readonly string[]
  readonly auto?: boolean
  readonly multi?: boolean
}

export interface Am {
  add(states: string | readonly string[]): boolean | null
  drop(states: string | readonly string[]): boolean | null
  /** Active states. */
  is(): string[]
  when(states: string | readonly string[]): Promise<null>
  /** The object whose `Foo_enter`/`Foo_state`… methods are the handlers. */
  setTarget(target: object): unknown
}

/** Creates a machine; the library keeps (and does not change) the definition objects, so they can be shared. */
export function amMachine(defs: Readonly<Record<string, AmStateDef>>, target?: object): Am {
  const m = machine(defs as Readonly<Record<string, IState<string>>>) as unknown as Am
  if (target) m.setTarget(target)
  return m
}

/** Converts polymachine state definitions to asyncmachine ones. */
export function toAm(states: Readonly<Record<string, { readonly remove?: readonly string[]; readonly add?: readonly string[];
  readonly require?: readonly string[]; readonly auto?: boolean; readonly multi?: boolean }>>, skip: readonly string[] = ['Exception'],
): Record<string, AmStateDef> {
  const out: Record<string, AmStateDef> = {}
  for (const [name, d] of Object.entries(states)) {
    if (skip.includes(name)) continue
    out[name] = {
      ...(d.remove ? { drop: d.remove } : {}),
      ...(d.add ? { add: d.add } : {}),
      ...(d.require ? { require: d.require } : {}),
      ...(d.auto ? { auto: true } : {}),
      ...(d.multi ? { multi: true } : {}),
    }
  }
  return out
}
