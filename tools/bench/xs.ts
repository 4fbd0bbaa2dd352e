/** XState helpers: map a snapshot's state value back to flat state names, for comparing libraries. */
import type { AnyActorRef, StateValue } from 'xstate'

/** Every path of a state value, intermediate nodes included: `{ a: { b: 'c' } }` → `a`, `a.b`, `a.b.c`. */
function paths(v: StateValue, prefix: string, out: string[]): void {
  if (typeof v === 'string') {
    out.push(prefix + v)
    return
  }
  for (const [k, child] of Object.entries(v)) {
    out.push(prefix + k)
    if (child !== undefined) paths(child, `${prefix}${k}.`, out)
  }
}

/** Active names of an actor, by the `path → name` table; unmapped paths (helpers such as `log.off`) are skipped. */
export function xsActive(actor: AnyActorRef, names: Readonly<Record<string, string>>): string[] {
  const all: string[] = []
  paths((actor.getSnapshot() as { value: StateValue }).value, '', all)
  const out: string[] = []
  for (const p of all) {
    const n = names[p]
    if (n !== undefined) out.push(n)
  }
  return out.sort()
}
