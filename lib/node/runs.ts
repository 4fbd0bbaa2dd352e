/**
 * The jobs of `pool.run()`: each is a promise with its input, its retries left and its deadline; `RunQueue` holds
 * the ones waiting for a worker, in order. A run settles exactly once: by its result, its error, its timeout or its
 * signal (a run already sent keeps its worker's slot until the worker answers; the late answer is dropped).
 */
import { InvalidArgumentError, OutOfRangeError, TimeoutError } from '../machine/index.js'
import { later, cancelLater, type Later } from '../machine/internals.js'

/** Options of `pool.run(input, opts)` and `client.run(input, opts)`. */
export interface RunOptions {
  /** Ms until the run rejects with `TimeoutError` (default none). The worker is not interrupted. */
  timeout?: number
  /** Aborting rejects the run with the signal's reason (a queued run is dropped; a sent one is not interrupted). */
  signal?: AbortSignal
  /** Times a run whose worker died is sent again to another worker (default 0; pool.run only). */
  retries?: number
}

export class Run {
  attempts = 0
  done = false
  /** In the pool's queue (so a timeout or an abort must take it out; the search is paid only then). */
  queued = false
  #timer: Later = undefined
  #signal: AbortSignal | undefined = undefined
  /** Made only for a run with a signal (most runs have none: no closure per run). */
  #onAbort: (() => void) | undefined = undefined

  constructor(
    readonly input: unknown,
    readonly retries: number,
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (e: unknown) => void,
    private readonly onDropped: (r: Run) => void,
  ) {}

  /** Arms the timeout and the signal (after checking them). */
  arm(opts: RunOptions, where: string, owner: string): void {
    if (opts.timeout !== undefined) {
      const t = opts.timeout
      this.#timer = later(t, () => this.settle(new TimeoutError(owner, `${where} (job)`, t), undefined))
    }
    const signal = opts.signal
    if (signal !== undefined) {
      if (signal.aborted) return this.#aborted(signal)
      this.#signal = signal
      this.#onAbort = () => this.#aborted(signal)
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  /** Settles once; later calls are ignored. `failed` (default: `err` is set) rejects with `err`. */
  settle(err: unknown, value: unknown, failed = err !== null && err !== undefined): void {
    if (this.done) return
    this.done = true
    if (this.#timer !== undefined) cancelLater(this.#timer)
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort)
    this.onDropped(this)
    if (failed) this.reject(err)
    else this.resolve(value)
  }

  /** Rejects with the signal's reason, whatever it is (`abort(null)` too). */
  #aborted(signal: AbortSignal): void {
    this.settle(signal.reason, undefined, true)
  }
}

/** Checks `run()`'s options; returns the retries. */
export function checkRunOptions(where: string, opts: unknown, allowRetries: boolean): number {
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'options', 'an options object', opts)
  const { timeout, signal, retries } = opts as RunOptions
  if (timeout !== undefined) {
    if (typeof timeout !== 'number') throw new InvalidArgumentError(where, 'timeout', 'a number of ms', timeout)
    if (!(timeout >= 0) || timeout === Infinity) throw new OutOfRangeError(where, 'timeout', 'a finite number ≥ 0', timeout)
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(where, 'signal', 'an AbortSignal', signal)
  }
  if (retries === undefined) return 0
  if (!allowRetries) throw new InvalidArgumentError(where, 'retries', 'undefined (a client keeps one worker)', retries)
  if (typeof retries !== 'number') throw new InvalidArgumentError(where, 'retries', 'an integer ≥ 0', retries)
  if (!Number.isInteger(retries) || retries < 0) throw new OutOfRangeError(where, 'retries', 'an integer ≥ 0', retries)
  return retries
}

/** The runs waiting for a worker, in order: a head index instead of `shift()` (which copies a long array). */
export class RunQueue {
  #items: Run[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(r: Run): void {
    r.queued = true
    this.#items.push(r)
  }

  /** Puts a run back at the front (a retry goes before the runs that came after it). */
  unshift(r: Run): void {
    r.queued = true
    if (this.#head > 0) this.#items[--this.#head] = r
    else this.#items.unshift(r)
  }

  shift(): Run | undefined {
    if (this.#head >= this.#items.length) return undefined
    const r = this.#items[this.#head] as Run
    this.#items[this.#head++] = undefined as never
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    r.queued = false
    return r
  }

  /** Takes out a run that timed out or was aborted while waiting. */
  remove(r: Run): void {
    if (!r.queued) return
    r.queued = false
    const i = this.#items.indexOf(r, this.#head)
    if (i >= 0) this.#items.splice(i, 1)
  }

  /** Empties the queue; returns what it held. */
  drain(): Run[] {
    const all = this.#items.slice(this.#head)
    this.#items = []
    this.#head = 0
    for (const r of all) r.queued = false
    return all
  }
}
