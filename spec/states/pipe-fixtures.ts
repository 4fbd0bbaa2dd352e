/**
 * Shared fixtures of the pipe specs: two machines with overlapping schemas, and helpers to read them.
 */
import { Machine, schema } from '../../lib/machine/index.js'
import { internals } from '../../lib/machine/internals.js'

export const srcSchema = schema({ A: {}, B: {}, Multi: { multi: true }, Fail: {}, Only: {} })
export const dstSchema = schema({
  A: {}, B: {}, Multi: { multi: true }, X: {}, Y: {}, Up: {}, Down: {}, ErrUpstream: { require: ['Exception'] },
})
export type Src = Machine<(typeof srcSchema.names)[number]>
export type Dst = Machine<(typeof dstSchema.names)[number]>

export const mk = (): { src: Src; dst: Dst } => ({
  src: new Machine(srcSchema, { id: 'src' }),
  dst: new Machine(dstSchema, { id: 'dst' }),
})
export const sorted = (m: Machine<string>): string[] => [...m.activeStates].sort()
/** Handler bindings of a machine (a pipe is one binding on its source). */
export const bindings = (m: Machine<string>): number => internals(m).bindings.length

/** Lets queued microtasks (pipe replays, settled waiters) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
