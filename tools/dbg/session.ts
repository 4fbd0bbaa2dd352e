/**
 * The debugger's session store: machines and their transitions as received, every record with the full clock after
 * it (clock diffs are applied here, per connection), so history queries need no replay. Pure: no I/O, no timers.
 */
import { InvalidArgumentError } from '../../lib/index.js'
import type { DbgMessage, DbgSchema, DbgTx } from '../../lib/telemetry/index.js'
import { DbgFlag } from '../../lib/telemetry/index.js'

/** One state of a machine, relations by name. */
export interface StateInfo {
  readonly name: string
  readonly auto: boolean
  readonly multi: boolean
  readonly require: readonly string[]
  readonly add: readonly string[]
  readonly remove: readonly string[]
  readonly after: readonly string[]
  readonly tags: readonly string[]
}

/** A machine known to the session. */
export interface MachineRec {
  readonly id: string
  parentId: string | null
  tags: readonly string[]
  states: readonly StateInfo[]
  /** Clock when the machine was first described. */
  initialTime: readonly number[]
  /** Clock after its latest transition. */
  time: readonly number[]
  queueTick: number
  disposed: boolean
  /** The name (HELLO) of the connection that described it. */
  source: string
  /** Its records, in arrival order. */
  readonly txs: TxRec[]
}

/** One record: a transition, or a queued mutation (`result: 'queued'`, no clock change). */
export interface TxRec {
  /** Position in the session, from 1, never reused. */
  readonly seq: number
  readonly machineId: string
  readonly txId: number
  readonly mutation: 'add' | 'remove' | 'set'
  readonly called: readonly string[]
  readonly result: 'executed' | 'canceled' | 'queued'
  readonly auto: boolean
  readonly check: boolean
  /** The machine's full clock after the record. */
  readonly time: readonly number[]
  readonly queueTick: number
  readonly queueLen: number
  readonly targets: readonly string[]
  readonly enters: readonly string[]
  readonly exits: readonly string[]
  readonly canceledBy: string | null
  readonly args: Readonly<Record<string, string>> | null
  readonly source: readonly [string, number] | null
  readonly at: number
}

interface Conn {
  name: string
  /** Clock last received per machine on this connection (the base of its diffs). */
  readonly clocks: Map<string, readonly number[]>
}

/** Options of a session. */
export interface SessionOptions {
  /** Records kept; beyond it the oldest are forgotten. Default 200 000. */
  maxRecords?: number
  /**
   * Machines kept (default 10 000), so a sender announcing endless machines cannot grow the debugger without bound.
   * At the cap a new machine takes the place of the oldest disposed one whose records are all forgotten; when there
   * is none it is refused and counted in `refusedMachines`, and its records count as `rejected`.
   */
  maxMachines?: number
}

/**
 * Machines and records received from any number of connections. `ingest(conn, msg)` takes protocol messages;
 * `changed` counts updates (the view re-renders on a change).
 */
export class Session {
  readonly machines = new Map<string, MachineRec>()
  log: TxRec[] = []
  /** Records the senders reported as dropped (BATCH `dropped`), plus records forgotten over `maxRecords`. */
  dropped = 0
  /** Messages that did not fit (unknown machine, bad indexes). */
  rejected = 0
  /** Machine descriptions refused at the `maxMachines` cap (shown by the screen's and the dump's headers). */
  refusedMachines = 0
  changed = 0
  readonly #conns = new Map<string, Conn>()
  readonly #max: number
  readonly #maxMachines: number
  /** Disposed machines, oldest disposal first: the candidates to forget at the machine cap. */
  readonly #disposed = new Set<string>()
  #seq = 0
  readonly #listeners = new Set<() => void>()

  constructor(opts: SessionOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('new Session()', 'opts', 'an object', opts)
    const count = (name: 'maxRecords' | 'maxMachines', dflt: number): number => {
      const v = opts[name] ?? dflt
      if (!Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError('new Session()', name, 'an integer ≥ 1', v)
      return v
    }
    this.#max = count('maxRecords', 200_000)
    this.#maxMachines = count('maxMachines', 10_000)
  }

  /** The `maxMachines` cap. */
  get maxMachines(): number {
    return this.#maxMachines
  }

  /** Calls `fn` after each change; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  /** Connections open now, by id → name. */
  get connections(): ReadonlyMap<string, string> {
    return new Map([...this.#conns].map(([id, c]) => [id, c.name]))
  }

  open(conn: string, name = conn): void {
    this.#conns.set(conn, { name, clocks: new Map() })
    this.#touch()
  }

  close(conn: string): void {
    this.#conns.delete(conn)
    this.#touch()
  }

  /** Takes one message (a BATCH is unpacked). Unknown machines and bad indexes count as `rejected`. */
  ingest(conn: string, msg: DbgMessage): void {
    let c = this.#conns.get(conn)
    if (!c) {
      c = { name: conn, clocks: new Map() }
      this.#conns.set(conn, c)
    }
    this.#one(c, msg)
    this.#touch()
  }

  #one(c: Conn, msg: DbgMessage): void {
    switch (msg.type) {
      case 1: c.name = msg.name; return
      case 2: return this.#schema(c, msg)
      case 3: return this.#tx(c, msg)
      case 4: {
        const m = this.machines.get(msg.machineId)
        if (m) {
          m.disposed = true
          this.#disposed.delete(m.id) // to the end: the order is of disposal
          this.#disposed.add(m.id)
        }
        return
      }
      case 5:
        this.dropped += msg.dropped
        for (const m of msg.messages) this.#one(c, m)
    }
  }

  #schema(c: Conn, s: DbgSchema): void {
    const names = s.states.map((w) => w[0])
    const nameOf = (ix: readonly number[]): string[] => ix.map((i) => names[i] ?? `#${i}`)
    const states = s.states.map(([name, flags, req, add, rem, after, tags]): StateInfo => ({
      name, auto: (flags & 1) !== 0, multi: (flags & 2) !== 0, require: nameOf(req), add: nameOf(add),
      remove: nameOf(rem), after: nameOf(after), tags,
    }))
    const known = this.machines.get(s.machineId)
    if (!known && this.machines.size >= this.#maxMachines && !this.#evictOne()) {
      this.refusedMachines++
      return
    }
    c.clocks.set(s.machineId, s.time)
    if (known) {
      // described again (a reconnect): keep the history; a changed schema replaces the states
      if (known.states.map((x) => x.name).join() !== names.join()) {
        known.states = states
        known.time = s.time
      }
      known.disposed = false
      this.#disposed.delete(known.id)
      return
    }
    this.machines.set(s.machineId, {
      id: s.machineId, parentId: s.parentId, tags: s.tags, states, initialTime: s.time, time: s.time,
      queueTick: s.queueTick, disposed: false, source: c.name, txs: [],
    })
  }

  #tx(c: Conn, t: DbgTx): void {
    const m = this.machines.get(t.machineId)
    if (!m) {
      this.rejected++
      return
    }
    const n = m.states.length
    const names = m.states.map((s) => s.name)
    let time: readonly number[]
    if (t.result === 'queued') time = m.time
    else if (t.flags & DbgFlag.fullClock) {
      if (t.clock.length !== n) {
        this.rejected++
        return
      }
      time = t.clock
    } else {
      // a diff applies to this connection's last clock of the machine, which another connection may have re-described
      // with other states since: then it cannot be applied
      const base = c.clocks.get(t.machineId) ?? m.time
      if (base.length !== n) {
        this.rejected++
        return
      }
      const next = [...base]
      for (let i = 0; i + 1 < t.clock.length; i += 2) {
        const ix = t.clock[i] as number
        if (ix >= n) {
          this.rejected++
          return
        }
        next[ix] = t.clock[i + 1] as number
      }
      time = next
    }
    if (t.result !== 'queued') c.clocks.set(t.machineId, time)
    const nameOf = (ix: readonly number[]): string[] => ix.map((i) => names[i] ?? `#${i}`)
    const rec: TxRec = {
      seq: ++this.#seq, machineId: t.machineId, txId: t.txId, mutation: t.mutation, called: nameOf(t.called),
      result: t.result, auto: (t.flags & DbgFlag.auto) !== 0, check: (t.flags & DbgFlag.check) !== 0, time,
      queueTick: t.queueTick, queueLen: t.queueLen, targets: nameOf(t.steps?.[0] ?? []),
      enters: nameOf(t.steps?.[1] ?? []), exits: nameOf(t.steps?.[2] ?? []), canceledBy: t.canceledBy, args: t.args,
      source: t.source, at: t.at,
    }
    m.time = time
    m.queueTick = t.queueTick
    m.txs.push(rec)
    this.log.push(rec)
    if (this.log.length > this.#max * 1.1) this.#trim()
  }

  /**
   * At the machine cap: forgets the oldest disposed machine with no record left, if any. Looks at the first 64
   * disposed machines only, so a sender announcing machine after machine at the cap costs bounded work each.
   */
  #evictOne(): boolean {
    let looked = 0
    for (const id of this.#disposed) {
      if (++looked > 64) break
      const m = this.machines.get(id)
      if (m && m.txs.length > 0) continue
      this.#disposed.delete(id)
      if (!m) continue
      this.machines.delete(id)
      for (const c of this.#conns.values()) c.clocks.delete(id)
      return true
    }
    return false
  }

  /** Forgets the oldest records over the limit (in one cut, not one per record). */
  #trim(): void {
    const cut = this.log.length - this.#max
    const gone = this.log.slice(0, cut)
    this.log = this.log.slice(cut)
    this.dropped += cut
    const last = gone.at(-1)?.seq ?? 0
    for (const m of this.machines.values()) {
      const k = m.txs.findIndex((r) => r.seq > last)
      const removed = k === -1 ? m.txs.length : k
      const lastGone = m.txs[removed - 1]
      if (lastGone && lastGone.result !== 'queued') m.initialTime = lastGone.time
      else if (lastGone) {
        const prev = m.txs.slice(0, removed).reverse().find((r) => r.result !== 'queued')
        if (prev) m.initialTime = prev.time
      }
      m.txs.splice(0, removed)
    }
  }

  #touch(): void {
    this.changed++
    for (const fn of this.#listeners) fn()
  }
}
