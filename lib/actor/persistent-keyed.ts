/**
 * `PersistentKeyed`: keyed virtual actors whose own data and clocks live in a `Store` (Orleans grain state), with
 * durable reminders. It is a `Keyed` whose `load`/`save` hooks are the store: activation loads the key's record
 * (migrating older versions), passivation and `ctx.state.save()` write it with compare-and-set. A load or save that
 * fails is an `ActorStateError` on the keyed supervisor's machine and fails the messages waiting for the key; it
 * never activates fresh over stored data.
 */
import { InvalidArgumentError, type Args, type Schema, type Snapshot } from '../machine/index.js'
import { checkKey, checkStoreTimeout, type Store } from '../store/index.js'
import { actorSchema, messageStates } from './actor-schema-merge.js'
import type { ActorStateNames } from './actor.schema.js'
import type { ChildContext } from './child.js'
import { Keyed, type KeyedOptions } from './keyed.js'
import { StateKeeper, type ActorState, type StateOptions } from './persistence.js'
import { Reminders, type KeyReminders } from './reminders.js'
import { isStore } from './reminders-check.js'
import { checkFunction, checkId, readOptions } from './supervision-check.js'
import type { ActorSystem } from './system.js'

/** What a `PersistentKeyed`'s handler factory receives: the child context, the key, its `state` and `reminders`. */
export type PersistentContext<D, S> = ChildContext<D> & {
  readonly key: string
  readonly state: ActorState<S>
  /** This key's durable reminders (`ctx.reminders.set('Bill', { every })`). */
  readonly reminders: KeyReminders
}

export interface PersistentKeyedOptions<N extends string, H extends object, S = null, D = unknown, M extends N = N>
  extends Omit<KeyedOptions<N, H, D, M>, 'load' | 'save' | 'handlers'> {
  /** Where each key's record (`<namespace>/state/<key>`) and reminders (`<namespace>/reminder/…`) are kept. */
  store: Store
  /** The prefix of this keyed supervisor's store keys (default: `id`). */
  namespace?: string
  /**
   * Each call to the store (loads, saves, reminders) fails with `StoreTimeoutError` (`ERR_STORE_TIMEOUT`) when it
   * does not answer within this many ms, as a failing store does (default 10 000; `Infinity`: wait forever).
   */
  storeTimeout?: number
  /** The actors' own data; without it only their clocks are persisted (and `ctx.state.data` is `null`). */
  state?: StateOptions<S>
  /** Fresh handlers per activation (and restart); `ctx.state.data` is the key's data, restored. */
  handlers: (ctx: PersistentContext<D, S>) => H
}

/**
 * Keyed actors with persistent state and durable reminders.
 *
 * ```ts
 * import { schema } from 'polymachine'
 * import { ActorSystem, PersistentKeyed, type ActorEvent } from 'polymachine/actor'
 * import { MemoryStore } from 'polymachine/store'
 *
 * const system = new ActorSystem()
 * const accounts = new PersistentKeyed(system, {
 *   id: 'accounts',
 *   schema: schema({ Deposit: { multi: true } }),
 *   store: new MemoryStore(),
 *   idleTimeout: 60_000,
 *   state: { version: 1, initial: () => ({ balance: 0 }) },
 *   handlers: ({ state }) => ({
 *     DepositState: (e: ActorEvent) => (state.data.balance += e.args.amount as number),
 *   }),
 * })
 * console.log(await accounts.ref('acc-1').ask('Deposit', { amount: 5 })) // 5, and saved at passivation
 * ```
 */
export class PersistentKeyed<N extends string, H extends object, S = null, D = unknown, M extends N = N>
  extends Keyed<N, H, D, M> {
  readonly store: Store
  /** Durable reminders: `reminders.set(key, name, { at | every })`, `cancel`, `list`; its `machine` says `Ready`. */
  readonly reminders: Reminders
  private readonly keeper: StateKeeper<S>

  constructor(system: ActorSystem, options: PersistentKeyedOptions<N, H, S, D, M>) {
    const where = 'new PersistentKeyed()'
    const opts = readOptions(where, 'options', options)
    checkId(where, 'options.id', opts.id)
    checkFunction(where, 'options.handlers', opts.handlers)
    const store = opts.store
    if (!isStore(store)) throw new InvalidArgumentError(where, 'options.store', 'a Store (get, put, delete, list)', store)
    const namespace = opts.namespace ?? opts.id
    checkKey(where, 'options.namespace', namespace)
    const storeTimeout = checkStoreTimeout(where, 'options.storeTimeout', opts.storeTimeout)
    // `this` exists only after super(); the hooks below run later, at activations
    const late: { snapshotOf?: (key: string) => Snapshot | undefined; reminders?: Reminders } = {}
    const keeper = new StateKeeper<S>(opts.id, store, namespace, opts.state, (key) => late.snapshotOf?.(key), storeTimeout)
    const handlers = opts.handlers
    const { store: _s, namespace: _n, state: _st, storeTimeout: _t, ...rest } = opts
    super(system, {
      ...rest,
      load: keeper.load,
      save: keeper.save,
      handlers: (ctx) => handlers({ ...ctx, state: keeper.cell(ctx.key), reminders: (late.reminders as Reminders).forKey(ctx.key) }),
    })
    late.snapshotOf = (key) => this.snapshotOf(key)
    this.store = store
    this.keeper = keeper
    const messages = messageStates(actorSchema(opts.schema as Schema<string>))
    this.reminders = new Reminders({
      id: opts.id,
      store,
      namespace,
      storeTimeout,
      isMessage: (name) => messages.has(name),
      deliver: (key: string, name: string, args: Args) => this.ref(key).tell(name as Exclude<M, ActorStateNames>, args),
    })
    late.reminders = this.reminders
    const prefix = `${opts.id}/`
    this.supervisor.machine.bind({
      ChildStoppedState: (e: { args: { id?: unknown } }) => {
        const id = e.args.id
        if (typeof id === 'string' && id.startsWith(prefix)) keeper.stopped(id.slice(prefix.length))
      },
    })
    this.supervisor.onStop(() => {
      this.reminders.stop()
      keeper.stop()
      return Promise.resolve()
    })
  }

  /**
   * Saves the data and clocks of `key`'s actor now; false when it is not active. Rejects with `ActorStateError`
   * (`ERR_STATE_SAVE`) when the store fails or another writer changed the record.
   */
  save(key: string): Promise<boolean> {
    if (typeof key !== 'string' || key === '') throw new InvalidArgumentError(`keyed ${this.supervisor.id}: save()`, 'key', 'a non-empty string', key)
    return this.keeper.saveNow(key)
  }

  /** `Keyed`'s counts, plus `states`: keys whose state is held (active actors). */
  override get tracked(): { entries: number; refs: number; states: number } {
    return { ...super.tracked, states: this.keeper.held }
  }

  /** The store key of `key`'s record. */
  storeKey(key: string): string {
    return this.keeper.storeKey(key)
  }

  /** The live actor's clocks, for saves on demand. */
  private snapshotOf(key: string): Snapshot | undefined {
    try {
      return this.supervisor.child(`${this.supervisor.id}/${key}`)?.machine.export()
    } catch {
      return undefined // between incarnations: the last saved clocks are kept
    }
  }
}

