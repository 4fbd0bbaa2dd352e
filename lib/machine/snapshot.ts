/**
 * Reading a machine's clocks (`time`, `clock`, `isTime`), their text views (`toString`, `inspect`) and their
 * persistence (`export`/`import`).
 */
import type { Core } from './core.js'
import { safeJson, safeString } from './describe.js'
import { DisposedError, InvalidArgumentError, InvalidOperationError, PolymachineError, SchemaError } from './errors.js'
import { isArray } from './validate.js'
import { mutate } from './queue.js'
import { LogLevel, type Snapshot } from './types.js'

/** `mach.time(states)`: ticks in index order, or in the order of `states`. */
export function timeOf(core: Core, states: unknown): number[] {
  if (states === undefined) return core.clock.slice()
  return core.parse(states, 'time()').map((i) => core.clock[i] as number)
}

/** `mach.clock(states)`: ticks by state name (all states when `states` is undefined). */
export function clockOf(core: Core, states: unknown): Record<string, number> {
  const { names } = core.tables
  const idx = states === undefined ? names.map((_, i) => i) : core.parse(states, 'clock()')
  const out: Record<string, number> = {}
  for (const i of idx) out[names[i] as string] = core.clock[i] as number
  return out
}

/** `mach.isTime(time, states)`: no state of `states` (default: all) ticked since `time` was taken with them. */
export function isTime(core: Core, time: unknown, states: unknown): boolean {
  const now = timeOf(core, states)
  if (!Array.isArray(time) || time.length !== now.length) {
    throw new InvalidArgumentError(`machine ${core.id}: isTime()`, 'time', `an array of ${now.length} ticks`, time)
  }
  return now.every((t, i) => t === time[i])
}

/** `(A:1 B:3)`: active states with ticks, in index order. */
export function toString(core: Core): string {
  if (core.disposed) return '()'
  const { names } = core.tables
  const parts: string[] = []
  core.clock.forEach((t, i) => {
    if ((t & 1) === 1) parts.push(`${names[i]}:${t}`)
  })
  return `(${parts.join(' ')})`
}

/** `(A:1) [B:0 C:2]`: active states, then the inactive ones in brackets. */
export function toStringAll(core: Core): string {
  const { names } = core.tables
  const inactive: string[] = []
  core.clock.forEach((t, i) => {
    if ((t & 1) === 0 || core.disposed) inactive.push(`${names[i]}:${t}`)
  })
  return `${toString(core)} [${inactive.join(' ')}]`
}

/** asyncmachine-go's `Inspect`: one block per state with its tick, flags and relations. */
export function inspect(core: Core, states: readonly number[]): string {
  const { names } = core.tables
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

/** The highest tick or queue tick a snapshot may carry: the next one must still be a safe integer. */
const MAX_TICK = Number.MAX_SAFE_INTEGER - 1

export function exportSnapshot(core: Core): Snapshot {
  const snap: Snapshot = { id: core.id, names: [...core.tables.names], time: core.clock.slice(), queueTick: core.queueTick }
  // Exception active: the error goes along as text, so the restored machine is in Exception with an error.
  if (core.isActive(core.tables.exception)) snap.err = safeString(core.err)
  return snap
}

/** What `import()` uses: the snapshot's values, each read once and checked. */
interface Checked {
  readonly time: number[]
  readonly queueTick: number
  readonly err: string | undefined
}

/**
 * Restores clocks, active states and the queue tick; runs no handlers; then adds `MachineRestored` when the schema
 * has it. Waiters, signals and streams of the states whose tick changed are notified. With `Exception` active, the
 * machine's `err` becomes a `PolymachineError` (code `ERR_RESTORED`) carrying the snapshot's `err` text.
 * @throws SchemaError (code ERR_SNAPSHOT) for a snapshot that is not one of this schema or breaks its relations.
 */
export function importSnapshot(core: Core, snap: Snapshot): void {
  if (core.disposed) throw new DisposedError(core.id, 'import()')
  if (core.processing) {
    throw new InvalidOperationError(`machine ${core.id}: import() cannot run during a transition (from a handler)`)
  }
  const checked = validate(core, snap)
  if (checked.err !== undefined) {
    core.err = new PolymachineError('ERR_RESTORED', `machine ${core.id}: restored in Exception: ${checked.err}`)
  }
  const changed: number[] = []
  checked.time.forEach((t, i) => {
    if (core.clock[i] !== t) changed.push(i)
    core.clock[i] = t
  })
  core.clockWritten(null, changed, [])
  const active: number[] = []
  core.clock.forEach((t, i) => {
    if ((t & 1) === 1) active.push(i)
  })
  core.resolver.sort(active)
  core.setActive(active)
  core.auto?.reset()
  core.queueTick = checked.queueTick
  if (core.log.on(LogLevel.Changes)) core.log.emit(LogLevel.Changes, `[import] ${toString(core)}`)
  core.waiters?.ticked(changed)
  core.waiters?.transitionEnded(changed, [])
  const restored = core.tables.index.get('MachineRestored')
  if (restored !== undefined) mutate(core, 'add', [restored], undefined)
}

function validate(core: Core, snap: unknown): Checked {
  const fail = (msg: string, state?: string): never => {
    throw new SchemaError(`machine ${core.id}: import(): ${msg}`, state, 'ERR_SNAPSHOT')
  }
  if (typeof snap !== 'object' || snap === null || isArray(snap)) {
    fail(`the snapshot must be an object, got ${safeString(snap === null ? 'null' : typeof snap)}`)
  }
  // Every field is read once, into a copy: a getter or proxy cannot change a value between its check and its use.
  const read = (key: string): unknown => {
    try {
      return (snap as Record<string, unknown>)[key]
    } catch (err) {
      return fail(`reading '${key}' threw: ${safeString(err)}`)
    }
  }
  const list = (key: string): unknown[] => {
    const v = read(key)
    if (!isArray(v)) return fail(`'${key}' must be an array, got ${safeJson(v).slice(0, 60)}`)
    try {
      return Array.from(v as unknown[])
    } catch (err) {
      return fail(`reading '${key}' threw: ${safeString(err)}`)
    }
  }
  const { names } = core.tables
  const id = read('id')
  if (id !== undefined && typeof id !== 'string') fail(`'id' must be a string, got ${typeof id}`)
  const got = list('names')
  if (got.length !== names.length || got.some((s, i) => s !== names[i])) {
    fail(`state names differ from the schema's (got ${safeJson(got)}, want ${JSON.stringify(names)})`)
  }
  const time = list('time')
  if (time.length !== names.length) fail(`time must have ${names.length} ticks, got ${time.length}`)
  time.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0 || t > MAX_TICK) {
      fail(`tick of ${names[i]} is not an integer from 0 to ${MAX_TICK}: ${safeString(t)}`, names[i])
    }
  })
  const queueTick = read('queueTick')
  if (typeof queueTick !== 'number' || !Number.isSafeInteger(queueTick) || queueTick < 1 || queueTick > MAX_TICK) {
    fail(`queueTick must be an integer from 1 to ${MAX_TICK}, got ${safeString(queueTick)}`)
  }
  const err = read('err')
  if (err !== undefined && typeof err !== 'string') fail(`'err' must be a string, got ${typeof err}`)
  const ticks = time as number[]
  checkRelations(core, ticks, err as string | undefined, fail)
  const exc = ticks[core.tables.exception] as number
  return { time: ticks, queueTick: queueTick as number, err: exc % 2 === 1 ? err as string : undefined }
}

/**
 * The active states of a snapshot must be a state the machine could be in: every `require` of an active state
 * active, no two active states that remove each other, and `Exception` only with its error (`err`).
 */
function checkRelations(core: Core, time: readonly number[], err: string | undefined,
  fail: (msg: string, state?: string) => never): void {
  const { names, require, remove, exception } = core.tables
  const on = (i: number): boolean => (time[i] as number) % 2 === 1
  for (let i = 0; i < names.length; i++) {
    if (!on(i)) continue
    const name = names[i] as string
    for (const r of require[i] as Int32Array) {
      if (!on(r)) fail(`'${name}' is active but the state it requires, '${names[r]}', is not`, name)
    }
    // Only pairs that remove each other: a one-way remove can leave both active, when the removing state came in
    // through an `add` after the removals were resolved (asyncmachine-go's resolution; the next transition fixes it).
    for (const r of remove[i] as Int32Array) {
      if (r > i && on(r) && (remove[r] as Int32Array).includes(i)) {
        fail(`'${name}' and '${names[r]}' are both active, but they remove each other`, name)
      }
    }
  }
  if (on(exception) && err === undefined) {
    fail(`'Exception' is active but the snapshot has no 'err' (export() writes it)`, 'Exception')
  }
}
