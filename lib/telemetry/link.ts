/**
 * The sending half of the debugger tracer: a bounded outbox (drops the oldest record when full and counts it), a
 * WebSocket to `polymachine-dbg` flushed in batches every `batchMs`, reconnection with backoff, and detaching for
 * good after `maxErrors` failures in a row. Nothing here throws into a machine: failures become `ErrNetwork` on the
 * link's own machine.
 */
import { WebSocket } from 'ws'
import { Machine } from '../machine/index.js'
import { encode } from '../rpc/codec.js'
import { backoffDelay } from '../rpc/reconnect.js'
import { DbgLinkSchema, type DbgLinkStateNames } from './link.schema.js'
import { DBG_PROTOCOL_VERSION, DbgFlag, dbgToWire, type DbgSchema, type DbgTx } from './protocol.js'
import type { DbgSink } from './tracer.js'

/** The link's settings, already checked (see `attachDebugger`). */
export interface DbgLinkSettings {
  readonly url: string
  readonly name: string
  readonly batchMs: number
  readonly outboxLimit: number
  readonly maxErrors: number
  readonly minDelay: number
  readonly maxDelay: number
}

/** Counters of a link. */
export interface DbgLinkStats {
  /** Messages (`SCHEMA`, `TX`, `DISPOSE`) the socket accepted. */
  sent: number
  /** Records the full outbox dropped (oldest first). */
  dropped: number
  /** Records waiting in the outbox. */
  queued: number
  /** Failures in a row (reset when a connection has lasted `STABLE_MS`). */
  errors: number
}

type Entry = { k: 'tx'; id: string; tx: DbgTx } | { k: 'schema'; id: string } | { k: 'dispose'; id: string }

interface Known {
  /** Weak, to tell when the machine is gone: the tracer holds the function for the machine's lifetime. */
  readonly alive: WeakRef<() => DbgSchema>
  /** The schema when attached. Its clock is replaced by `base` once records of the machine left the outbox. */
  readonly first: DbgSchema
  /** Clock and queue tick of the machine's last record that left the outbox (sent or dropped). */
  base: { clock: number[]; queueTick: number } | null
}

/** Records per WebSocket message at most. */
const MAX_BATCH = 512
/**
 * A connection that lasted this long resets the failure count when it ends; a shorter one counts as a failure, so a
 * debugger that accepts and drops connections in a loop still gets the link detached after `maxErrors`.
 */
const STABLE_MS = 5000
/** Above this many bytes buffered in the socket, flushing waits. */
const HIGH_WATER = 4 * 1024 * 1024

/** A link to one debugger URL. */
export class DbgLink implements DbgSink {
  /** The link's lifecycle, as a machine (see `DbgLinkSchema`). */
  readonly state: Machine<DbgLinkStateNames>
  readonly #s: DbgLinkSettings
  readonly #known = new Map<string, Known>()
  #outbox: Entry[] = []
  #head = 0
  #droppedSince = 0
  #stats: DbgLinkStats = { sent: 0, dropped: 0, queued: 0, errors: 0 }
  #ws: WebSocket | null = null
  #timer: ReturnType<typeof setTimeout> | null = null
  /** Per connection: machines whose `SCHEMA` was sent, and the clock last sent for each. */
  #sentSchema = new Set<string>()
  #lastClock = new Map<string, number[]>()
  #onDetach: () => void
  #idle: Array<() => void> = []
  /** Mirrors the `Detached` state: read on every record, cheaper than `state.is()`. */
  #detached = false
  /** When the current connection opened (0: none open). */
  #openedAt = 0

  constructor(settings: DbgLinkSettings, onDetach: () => void) {
    this.#s = settings
    this.#onDetach = onDetach
    this.state = new Machine(DbgLinkSchema, { id: `dbg-link-${settings.url}` })
    this.#connect()
  }

  get stats(): Readonly<DbgLinkStats> {
    return { ...this.#stats, queued: this.#outbox.length - this.#head }
  }

  get url(): string {
    return this.#s.url
  }

  // --- DbgSink --------------------------------------------------------------------------------------------------

  machine(id: string, snapshot: () => DbgSchema): void {
    this.#known.set(id, { alive: new WeakRef(snapshot), first: snapshot(), base: null })
    this.#push({ k: 'schema', id })
  }

  tx(tx: DbgTx): void {
    this.#push({ k: 'tx', id: tx.machineId, tx })
  }

  dispose(id: string): void {
    if (this.#known.has(id)) this.#push({ k: 'dispose', id })
  }

  // --- control --------------------------------------------------------------------------------------------------

  /**
   * Resolves true once every record queued so far was handed to the socket and the socket's buffer is empty; false
   * after `timeout` ms or when the link detaches first.
   */
  flush(timeout = 2000): Promise<boolean> {
    if (this.#settled()) return Promise.resolve(true)
    if (this.#detached) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeout)
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        this.#idle = this.#idle.filter((f) => f !== check)
        resolve(ok)
      }
      const check = (): void => {
        if (this.#settled()) done(true)
        else if (this.#detached) done(false)
      }
      this.#idle.push(check)
      this.#schedule(0)
    })
  }

  /** Flushes (up to `timeout` ms), then closes the connection and detaches: nothing more is recorded. */
  async close(timeout = 2000): Promise<void> {
    if (!this.#detached) await this.flush(timeout)
    this.#detach()
  }

  // --- internals ------------------------------------------------------------------------------------------------

  #settled(): boolean {
    return this.#head === this.#outbox.length && this.#ws !== null && this.#ws.readyState === WebSocket.OPEN &&
      this.#ws.bufferedAmount === 0
  }

  #push(e: Entry): void {
    if (this.#detached) return
    if (this.#outbox.length - this.#head >= this.#s.outboxLimit) {
      this.#left(this.#outbox[this.#head++] as Entry)
      this.#stats.dropped++
      this.#droppedSince++
    }
    this.#outbox.push(e)
    if (this.#head > 1024 && this.#head * 2 > this.#outbox.length) {
      this.#outbox = this.#outbox.slice(this.#head)
      this.#head = 0
    }
    if (this.#timer === null && this.#ws !== null && this.#ws.readyState === WebSocket.OPEN) this.#schedule(this.#s.batchMs)
  }

  #schedule(ms: number): void {
    if (this.#timer !== null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#flushNow()
    }, ms)
    this.#timer.unref()
  }

  #connect(): void {
    if (this.#detached) return
    this.state.add('Connecting')
    let ws: WebSocket
    try {
      ws = new WebSocket(this.#s.url, { perMessageDeflate: false, handshakeTimeout: 5000 })
    } catch (err) {
      this.#failed(err)
      return
    }
    this.#ws = ws
    // A debugger connection never keeps the process alive: `flush()`/`close()` before exiting sends what is left.
    ws.on('upgrade', (res) => res.socket.unref())
    ws.on('open', () => {
      if (this.#ws !== ws) return
      this.#openedAt = Date.now()
      this.#sentSchema = new Set()
      this.#lastClock = new Map()
      this.#pruneKnown()
      this.state.add('Connected')
      ws.send(encode(dbgToWire({ type: 1, version: DBG_PROTOCOL_VERSION, name: this.#s.name, pid: process.pid })))
      // every machine is described again on a new connection (its SCHEMA goes before its first pending record)
      const schemas: Entry[] = []
      for (const id of this.#known.keys()) schemas.push({ k: 'schema', id })
      this.#outbox = schemas.concat(this.#outbox.slice(this.#head))
      this.#head = 0
      this.#schedule(0)
    })
    ws.on('error', () => undefined) // 'close' follows and handles it
    ws.on('close', (code, reason) => {
      if (this.#ws !== ws) return
      this.#ws = null
      if (this.#detached) return
      if (this.#openedAt !== 0 && Date.now() - this.#openedAt >= STABLE_MS) this.#stats.errors = 0
      this.#openedAt = 0
      this.#failed(new Error(`debugger connection to ${this.#s.url} closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`))
    })
  }

  #failed(err: unknown): void {
    if (this.#detached) return
    this.#stats.errors++
    this.state.add('Disconnected')
    this.state.addErrState('ErrNetwork', err)
    if (this.#stats.errors >= this.#s.maxErrors) {
      this.state.log(`detaching after ${this.#stats.errors} failures in a row`)
      this.#detach()
      return
    }
    const delay = backoffDelay(this.#stats.errors - 1, { retries: this.#s.maxErrors, minDelay: this.#s.minDelay,
      maxDelay: this.#s.maxDelay })
    setTimeout(() => this.#connect(), delay).unref()
  }

  #detach(): void {
    if (this.#detached) return
    this.#detached = true
    this.state.add('Detached')
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const ws = this.#ws
    this.#ws = null
    if (ws) ws.terminate()
    this.#outbox = []
    this.#head = 0
    this.#known.clear()
    this.#onDetach()
    for (const f of [...this.#idle]) f()
  }

  /** Forgets machines that are gone and have nothing left in the outbox. */
  #pruneKnown(): void {
    const pending = new Set<string>()
    for (let i = this.#head; i < this.#outbox.length; i++) pending.add((this.#outbox[i] as Entry).id)
    for (const [id, k] of this.#known) if (!k.alive.deref() && !pending.has(id)) this.#known.delete(id)
  }

  /** An entry leaves the outbox (sent or dropped): a record's clock becomes the base of the next `SCHEMA`. */
  #left(e: Entry): void {
    if (e.k !== 'tx' || e.tx.result === 'queued') return
    const k = this.#known.get(e.id)
    if (k) k.base = { clock: e.tx.clock, queueTick: e.tx.queueTick }
  }

  #flushNow(): void {
    const ws = this.#ws
    if (!ws || ws.readyState !== WebSocket.OPEN) return
    while (this.#head < this.#outbox.length && ws.bufferedAmount < HIGH_WATER) {
      const end = Math.min(this.#outbox.length, this.#head + MAX_BATCH)
      const msgs: unknown[] = []
      for (let i = this.#head; i < end; i++) this.#encodeEntry(this.#outbox[i] as Entry, msgs)
      const count = msgs.length
      this.#head = end
      if (count === 0) continue
      try {
        ws.send(encode([5, this.#droppedSince, msgs]), (err) => {
          if (err) return
          this.#stats.sent += count
          if (ws.bufferedAmount === 0) for (const f of [...this.#idle]) f()
        })
        this.#droppedSince = 0
      } catch (err) {
        ws.terminate()
        this.#failed(err)
        return
      }
    }
    if (this.#head === this.#outbox.length) {
      this.#outbox = []
      this.#head = 0
      if (ws.bufferedAmount === 0) for (const f of [...this.#idle]) f()
    } else this.#schedule(this.#s.batchMs)
  }

  #encodeEntry(e: Entry, out: unknown[]): void {
    const k = this.#known.get(e.id)
    if (!k) return
    if (!this.#sentSchema.has(e.id)) {
      // the clock right before this entry: the last record that left the outbox, else the one when attached
      out.push(dbgToWire(k.base ? { ...k.first, time: k.base.clock, queueTick: k.base.queueTick } : k.first))
      this.#sentSchema.add(e.id)
    }
    this.#left(e)
    if (e.k === 'tx') {
      out.push(dbgToWire(this.#clockOf(e.tx)))
    } else if (e.k === 'dispose') {
      out.push([4, e.id])
      this.#known.delete(e.id)
      this.#sentSchema.delete(e.id)
      this.#lastClock.delete(e.id)
    }
  }

  /** The record as sent: queued ones have no clock; the first of a machine on a connection the full clock. */
  #clockOf(tx: DbgTx): DbgTx {
    if (tx.result === 'queued') return tx
    const last = this.#lastClock.get(tx.machineId)
    this.#lastClock.set(tx.machineId, tx.clock)
    if (!last || last.length !== tx.clock.length) return { ...tx, flags: tx.flags | DbgFlag.fullClock }
    const pairs: number[] = []
    for (let i = 0; i < tx.clock.length; i++) if (tx.clock[i] !== last[i]) pairs.push(i, tx.clock[i] as number)
    return { ...tx, clock: pairs }
  }
}
