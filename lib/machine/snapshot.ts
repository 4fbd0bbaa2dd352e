/**
 * Text views (`toString`, `inspect`) and persistence (`export`/`import`) of a machine's clocks.
 */
import type { Core } from './core.js'
import { DisposedError, SchemaError } from './errors.js'
import { mutate } from './queue.js'
import { LogLevel, type Snapshot } from './types.js'

/** `(A:1 B:3)`: active states with ticks, in index order. */
export function toString(core: Core): string {
  if (core.disposed) return '()'
  const { names } = core.c
  const parts: string[] = []
  core.clock.forEach((t, i) => {
    if ((t & 1) === 1) parts.push(`${names[i]}:${t}`)
  })
  return `(${parts.join(' ')})`
}

/** `(A:1) [B:0 C:2]`: active states, then the inactive ones in brackets. */
export function toStringAll(core: Core): string {
  const { names } = core.c
  const inactive: string[] = []
  core.clock.forEach((t, i) => {
    if ((t & 1) === 0 || core.disposed) inactive.push(`${names[i]}:${t}`)
  })
  return `${toString(core)} [${inactive.join(' ')}]`
}

/** asyncmachine-go's `Inspect`: one block per state with its tick, flags and relations. */
export function inspect(core: Core, states: readonly number[]): string {
  const { names } = core.c
  const lines: string[] = []
  const row = (label: string, value: string): void => {
    lines.push(`    |${label.padEnd(9)}${value}`)
  }
  for (const i of states) {
    const name = names[i] as string
    const def = core.schema.states[name]
    lines.push(`${core.isActive(i) && !core.disposed ? 1 : 0} ${name}`)
    row('Tick', String(core.clock[i]))
    if (def?.auto) row('Auto', 'true')
    if (def?.multi) row('Multi', 'true')
    if (def?.add) row('Add', def.add.join(' '))
    if (def?.require) row('Require', def.require.join(' '))
    if (def?.remove) row('Remove', def.remove.join(' '))
    if (def?.after) row('After', def.after.join(' '))
  }
  return lines.join('\n')
}

export function exportSnapshot(core: Core): Snapshot {
  return { id: core.id, names: [...core.c.names], time: core.clock.slice(), queueTick: core.queueTick }
}

/**
 * Restores clocks, active states and the queue tick; runs no handlers; then adds `MachineRestored` when the schema
 * has it. Waiters, signals and streams of the states whose tick changed are notified.
 */
export function importSnapshot(core: Core, snap: Snapshot): void {
  if (core.disposed) throw new DisposedError(core.id, 'import()')
  if (core.processing) throw new Error(`machine ${core.id}: import() cannot run during a transition (from a handler)`)
  validate(core, snap)
  const changed: number[] = []
  snap.time.forEach((t, i) => {
    if (core.clock[i] !== t) changed.push(i)
    core.clock[i] = t
  })
  core.clockWritten(null, changed, [])
  core.active = []
  core.clock.forEach((t, i) => {
    if ((t & 1) === 1) core.active.push(i)
  })
  core.resolver.sort(core.active)
  core.auto?.reset()
  core.activeNames = null
  core.queueTick = snap.queueTick
  if (core.log.on(LogLevel.Changes)) core.log.emit(LogLevel.Changes, `[import] ${toString(core)}`)
  core.w?.ticked(changed)
  core.w?.transitionEnded(changed, [])
  const restored = core.c.index.get('MachineRestored')
  if (restored !== undefined) mutate(core, 'add', [restored], undefined)
}

function validate(core: Core, snap: Snapshot): void {
  const fail = (msg: string): never => {
    throw new SchemaError(`machine ${core.id}: import(): ${msg}`)
  }
  if (typeof snap !== 'object' || snap === null) fail('the snapshot must be an object')
  const { names } = core.c
  if (!Array.isArray(snap.names) || snap.names.length !== names.length || snap.names.some((s, i) => s !== names[i])) {
    fail(`state names differ from the schema's (got ${JSON.stringify(snap.names)}, want ${JSON.stringify(names)})`)
  }
  if (!Array.isArray(snap.time) || snap.time.length !== names.length) fail(`time must have ${names.length} ticks`)
  snap.time.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) fail(`tick of ${names[i]} is not an integer ≥ 0`)
  })
  if (typeof snap.queueTick !== 'number' || !Number.isSafeInteger(snap.queueTick) || snap.queueTick < 1) {
    fail('queueTick must be an integer ≥ 1')
  }
}
