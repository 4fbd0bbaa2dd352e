/**
 * Persistent state of keyed actors: each key's data (owned by its handlers, plain `StoreValue` data) and machine
 * clocks, as one record in a `Store`, loaded at activation, saved at passivation and on demand, with a version and
 * a `migrate` hook. Writes are compare-and-set on the revision that was loaded, so two activations of one key
 * (two processes on one store) cannot overwrite each other: the second save fails instead. Every store call is
 * bounded by the store-call timeout: a `get` that does not answer fails the load, a `put` the save; a timed-out put
 * that lands later is noticed, and only its revision is taken over (the next write is still a compare-and-set).
 */
import { InvalidArgumentError, OutOfRangeError, type Snapshot } from '../machine/index.js'
import { describe } from '../machine/internals.js'
import { callStore, copyValue, DEFAULT_STORE_TIMEOUT, StoreCallTimers, type Store, type StoreValue } from '../store/index.js'
import { ActorStateError } from './persistence-errors.js'

/**
 * How a keyed actor's own data starts, which version it is, and how older versions are upgraded. `S` must be store
 * data (`StoreValue`: plain objects, arrays, strings, numbers…); it is checked when it is saved, not by the type, so
 * an `interface` can describe it.
 */
export interface StateOptions<S> {
  /** The data of a key that has none stored yet. */
  initial: (key: string) => S
  /** The version of `S` written with every save: an integer ≥ 1 (default 1). */
  version?: number
  /**
   * Upgrades data saved with an older `version` (called once, with the version it was saved with); what it returns
   * (or resolves to) must be data of the current version. Without it, older data fails to load.
   */
  migrate?: (old: StoreValue, fromVersion: number) => S | Promise<S>
}


/** The handler-side view of an actor's persistent data (`ctx.state` in a `PersistentKeyed`'s handler factory). */
export interface ActorState<S> {
  /** The actor's data: change it in place or assign a new value; it is saved at passivation and by `save()`. */
  data: S
  /** The version `data` is saved with. */
  readonly version: number
  /**
   * Saves `data` and the machine's clocks now (a checkpoint: a crash restarts from it). Rejects with an
   * `ActorStateError` (`ERR_STATE_SAVE`) when the store fails or another writer changed the record.
   */
  save(): Promise<void>
}

/** The record stored per key: type literals (the snapshot's too, unlike the `Snapshot` interface) are `StoreValue`s. */
type StateRecord = {
  format: 1
  version: number
  data: StoreValue
  snapshot: { [K in keyof Snapshot]: Snapshot[K] } | null
}

/** What is known about one key between its activation and its passivation. */
interface Slot {
  /** The record's revision in the store (0: nothing stored yet). */
  revision: number
  /** The data last loaded or saved: each incarnation starts from a copy. */
  saved: StoreValue
  snapshot: Snapshot | null
  /** The live incarnation's cell. */
  cell: ActorState<unknown> | undefined
  /** Saves of this key run one after another (each needs the revision the one before wrote). */
  chain: Promise<unknown>
  /** The last passivation's save failed: the next activation fails with it (then loads from the store again). */
  failed: unknown
  /** The passivation's save has begun. */
  saving: boolean
  /**
   * A put that timed out and then landed after all: it moved the record from revision `expected` to `revision`. The
   * next write takes that revision over if it still writes on top of `expected` (nobody else wrote in between).
   */
  landed: { expected: number; revision: number } | undefined
  /** The passivation's save timed out and then landed after all: nothing was lost, so `failed` is not reported. */
  finalLanded: boolean
}

function newSlot(revision: number, saved: StoreValue, snapshot: Snapshot | null): Slot {
  return { revision, saved, snapshot, cell: undefined, chain: Promise.resolve(), failed: undefined, saving: false, landed: undefined, finalLanded: false }
}

class Cell<S> implements ActorState<S> {
  constructor(
    public data: S,
    readonly version: number,
    private readonly saveFn: (cell: Cell<S>) => Promise<void>,
  ) {}

  save(): Promise<void> {
    return this.saveFn(this)
  }
}

/** Checks state options once; returns them copied. */
export function readStateOptions<S>(where: string, state: StateOptions<S> | undefined): Required<Omit<StateOptions<S>, 'migrate'>> & Pick<StateOptions<S>, 'migrate'> {
  if (state === undefined) return { initial: () => null as S, version: 1 }
  if (typeof state !== 'object' || state === null) throw new InvalidArgumentError(where, 'options.state', 'an object { initial, version?, migrate? }', state)
  let read: StateOptions<S>
  try {
    read = { ...state }
  } catch (err) {
    throw Object.assign(new InvalidArgumentError(where, 'options.state', `readable (reading it threw: ${describe(err)})`, undefined), { cause: err })
  }
  const { initial, version = 1, migrate } = read
  if (typeof initial !== 'function') throw new InvalidArgumentError(where, 'options.state.initial', 'a function', initial)
  if (typeof version !== 'number') throw new InvalidArgumentError(where, 'options.state.version', 'an integer ≥ 1', version)
  if (!Number.isSafeInteger(version) || version < 1) throw new OutOfRangeError(where, 'options.state.version', 'an integer ≥ 1', version)
  if (migrate !== undefined && typeof migrate !== 'function') throw new InvalidArgumentError(where, 'options.state.migrate', 'a function or undefined', migrate)
  return migrate ? { initial, version, migrate } : { initial, version }
}

/**
 * Loads and saves the state of one keyed supervisor's actors: `load`/`save` are its hooks, `cell` gives each
 * incarnation its `ActorState`. `snapshotOf(key)` returns the live actor's clocks, for saves on demand.
 */
export class StateKeeper<S> {
  private readonly slots = new Map<string, Slot>()
  /** The writes not settled yet: `stop()` fails them. */
  private readonly writing = new Set<(err: unknown) => void>()
  private readonly timers = new StoreCallTimers()
  private readonly opts: ReturnType<typeof readStateOptions<S>>

  constructor(
    private readonly keyedId: string,
    private readonly store: Store,
    private readonly namespace: string,
    state: StateOptions<S> | undefined,
    private readonly snapshotOf: (key: string) => Snapshot | undefined,
    /** Each store call's timeout, ms (checked by the caller; `Infinity`: none). */
    private readonly storeTimeout: number = DEFAULT_STORE_TIMEOUT,
  ) {
    this.opts = readStateOptions(`keyed ${keyedId}`, state)
  }

  /** Keys whose state is held between load and save (active actors, or a failed save not yet reported). */
  get held(): number {
    return this.slots.size
  }

  /** The store key of `key`'s record. */
  storeKey(key: string): string {
    return `${this.namespace}/state/${encodeURIComponent(key)}`
  }

  /** The `load` hook: reads, checks and migrates the record; throws `ActorStateError` rather than start fresh. */
  readonly load = async (key: string): Promise<Snapshot | undefined> => {
    const old = this.slots.get(key)
    if (old?.failed !== undefined) {
      this.slots.delete(key)
      if (!old.finalLanded) throw this.error('ERR_STATE_SAVE', key, `its last save (at passivation) failed, so the changes since the save before are lost or, if it timed out, may land later (${
        describe(old.failed)}); the next activation loads the stored state`, old.failed)
    }
    await old?.chain
    let entry: { revision: number; value: StoreValue } | undefined
    try {
      const id = this.storeKey(key)
      const got = await callStore(`get('${id}')`, this.storeTimeout, () => this.store.get(id), undefined, this.timers)
      if (got !== undefined) entry = { revision: got.revision, value: got.value }
    } catch (err) {
      throw this.error('ERR_STATE_LOAD', key, `the store's get() failed (${describe(err)})`, err)
    }
    const slot: Slot = entry === undefined
      ? newSlot(0, this.initial(key), null)
      : await this.parse(key, entry.revision, entry.value)
    this.slots.set(key, slot)
    return slot.snapshot ?? undefined
  }

  /** The `save` hook (passivation): writes the final data and clocks; the key is no longer held afterwards. */
  readonly save = async (key: string, snapshot: Snapshot): Promise<void> => {
    const slot = this.slots.get(key)
    if (!slot) return
    slot.saving = true
    try {
      await this.write(key, slot, slot.cell ? slot.cell.data : slot.saved, snapshot, true)
      if (this.slots.get(key) === slot) this.slots.delete(key)
    } catch (err) {
      slot.failed = err
      slot.cell = undefined
      throw err
    }
  }

  /** The state view for a new incarnation of `key` (a copy of the data last loaded or saved). */
  cell(key: string): ActorState<S> {
    const slot = this.slots.get(key)
    if (!slot) throw new ActorStateError('ERR_STATE_LOAD', this.keyedId, key, 'no state was loaded for this activation')
    const cell = new Cell<S>(structuredClone(slot.saved) as S, this.opts.version, (c) => {
      if (this.slots.get(key) !== slot || slot.cell !== c) {
        return Promise.reject(this.error('ERR_STATE_SAVE', key, 'save() of an incarnation that is no longer live', undefined))
      }
      return this.write(key, slot, c.data, this.snapshotOf(key) ?? slot.snapshot)
    })
    slot.cell = cell
    return cell
  }

  /**
   * The actor of `key` stopped (its supervisor said `ChildStopped`). A passivation saves next, in the same turn; an
   * actor stopped for good (a `stop` directive, `temporary`) or released without clocks saves nothing, and its slot
   * is forgotten a macrotask later, unless a save began or another activation took the key meanwhile.
   */
  stopped(key: string): void {
    const slot = this.slots.get(key)
    if (!slot) return
    setImmediate(() => {
      if (this.slots.get(key) === slot && !slot.saving && slot.failed === undefined) this.slots.delete(key)
    })
  }

  /** Saves `key` now if it is active: false when it is not. */
  async saveNow(key: string): Promise<boolean> {
    const cell = this.slots.get(key)?.cell
    if (!cell) return false
    await cell.save()
    return true
  }

  /** One compare-and-set write of `data` + `snapshot`, after the key's earlier writes (`final`: the passivation's). */
  private write(key: string, slot: Slot, data: unknown, snapshot: Snapshot | null, final = false): Promise<void> {
    const run = async (): Promise<void> => {
      let record: StateRecord
      try {
        record = { format: 1, version: this.opts.version, data: copyValue('state', 'data', data), snapshot }
      } catch (err) {
        throw this.error('ERR_STATE_SAVE', key, `its data is not store data (${describe(err)})`, err)
      }
      if (slot.landed?.expected === slot.revision) slot.revision = slot.landed.revision
      slot.landed = undefined
      const id = this.storeKey(key)
      const expected = slot.revision
      try {
        slot.revision = await callStore(`put('${id}')`, this.storeTimeout, () => this.store.put(id, record, { expected }), (late) => {
          // It landed after all (or failed for good): only a landing moves the revision the next write expects.
          if (!late.ok || typeof late.value !== 'number') return
          slot.landed = { expected, revision: late.value }
          if (final) slot.finalLanded = true
        }, this.timers)
      } catch (err) {
        throw this.error('ERR_STATE_SAVE', key, `the store's put() failed (${describe(err)})`, err)
      }
      slot.saved = record.data
      slot.snapshot = snapshot
    }
    const p = slot.chain.then(run)
    slot.chain = p.catch(() => undefined)
    if (final) return p // the passivation's: shutdown bounds it (and reports it) already
    return new Promise<void>((resolve, reject) => {
      const fail = (err: unknown): void => reject(err as Error)
      this.writing.add(fail)
      p.then(resolve, fail).finally(() => this.writing.delete(fail))
    })
  }

  /**
   * The keyed supervisor stopped (its passivations were waited for): saves on demand still waiting for the store
   * fail now with `ERR_STATE_SAVE` rather than stay pending until their store timeout. Whether they land is unknown.
   */
  stop(): void {
    this.timers.release()
    const writing = [...this.writing]
    this.writing.clear()
    for (const fail of writing) {
      fail(new ActorStateError('ERR_STATE_SAVE', this.keyedId, '*', 'the keyed supervisor stopped before the store answered (the write may still land)'))
    }
  }

  private initial(key: string): StoreValue {
    let data: unknown
    try {
      data = this.opts.initial(key)
      return copyValue('state.initial()', 'its result', data)
    } catch (err) {
      throw this.error('ERR_STATE_LOAD', key, `state.initial() failed (${describe(err)})`, err)
    }
  }

  /** A stored record, checked (and migrated): anything else is an `ERR_STATE_LOAD`, never a fresh start. */
  private async parse(key: string, revision: unknown, value: unknown): Promise<Slot> {
    const garbage = (why: string): ActorStateError =>
      this.error('ERR_STATE_LOAD', key, `the stored record is not one this keyed actor wrote (${why})`, undefined)
    if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1) throw garbage(`revision ${describe(revision)}`)
    let rec: StateRecord
    try {
      rec = copyValue('stored', 'record', value) as StateRecord
    } catch (err) {
      throw garbage(describe(err))
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec) || rec.format !== 1) throw garbage(`got ${describe(value)}`)
    const { version, snapshot } = rec
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw garbage(`version ${describe(version)}`)
    if (snapshot !== null && (typeof snapshot !== 'object' || Array.isArray(snapshot))) throw garbage(`snapshot ${describe(snapshot)}`)
    if (!('data' in rec)) throw garbage('no data')
    let data = rec.data
    if (version > this.opts.version) {
      throw this.error('ERR_STATE_LOAD', key, `it was saved by version ${version}, newer than this code's ${this.opts.version}`, undefined)
    }
    if (version < this.opts.version) {
      const migrate = this.opts.migrate
      if (!migrate) {
        throw this.error('ERR_STATE_LOAD', key, `it was saved by version ${version} and state.migrate is not given to upgrade it to ${this.opts.version}`, undefined)
      }
      try {
        data = copyValue('state.migrate()', 'its result', await migrate(data, version))
      } catch (err) {
        throw this.error('ERR_STATE_LOAD', key, `state.migrate(old, ${version}) failed (${describe(err)})`, err)
      }
    }
    return newSlot(revision, data, snapshot)
  }

  private error(code: 'ERR_STATE_LOAD' | 'ERR_STATE_SAVE', key: string, detail: string, cause: unknown): ActorStateError {
    return new ActorStateError(code, this.keyedId, key, detail, cause === undefined ? undefined : { cause })
  }
}
