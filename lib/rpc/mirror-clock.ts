/**
 * The mirrored clock of a remote machine: the source's time, queue tick and error text as last received, kept in
 * step by diffs that must match their checksum, and copied into the local mirror machine (for waiters and streams)
 * on every change.
 */
import type { Machine, Snapshot } from '../machine/index.js'
import { applyPairs, checksum } from './clock.js'
import { RpcError } from './errors.js'

/** The mirrored clock. */
export class MirrorClock {
  time: number[]
  queueTick: number
  /** The source's error text while `Exception` is active. */
  err: string | undefined

  constructor(readonly names: readonly string[], readonly mirror: Machine<string>, time: number[], queueTick: number,
    err: string | null | undefined) {
    this.time = time
    this.queueTick = queueTick
    this.err = excActive(names, time) ? (err ?? undefined) : undefined
  }

  isActive(i: number): boolean {
    return ((this.time[i] as number) & 1) === 1
  }

  /**
   * Applies a diff (`DIFF`, `REPLY`). False when it does not fit — an index out of range or a checksum mismatch —
   * and then nothing changed: the caller asks for the full clock.
   */
  apply(pairs: readonly number[], queueTick: number, sum: number, err: string | null | undefined): boolean {
    const next = applyPairs(this.time, pairs)
    if (next === null || queueTick < 1 || checksum(next, queueTick) !== sum) return false
    if (pairs.length > 0 || queueTick !== this.queueTick) this.#commit(next, queueTick, err)
    return true
  }

  /** Takes a full clock (`CLOCK`, `WELCOME`); throws `RpcError` `ERR_RPC_PROTOCOL` when its length is wrong. */
  full(time: number[], queueTick: number, err: string | null | undefined): void {
    if (time.length !== this.time.length || queueTick < 1) {
      throw new RpcError('ERR_RPC_PROTOCOL', `a full clock with ${time.length} ticks for ${this.time.length} states`)
    }
    this.#commit(time, queueTick, err)
  }

  #commit(time: number[], queueTick: number, err: string | null | undefined): void {
    this.time = time
    this.queueTick = queueTick
    this.err = excActive(this.names, time) ? (err ?? this.err) : undefined
    if (!this.mirror.disposed) this.mirror.import(mirrorSnapshot(this.mirror, this.names, time, queueTick, this.err))
  }
}

/**
 * The snapshot that puts `time` into the mirror. `import()` wants an error text when `Exception` is active: the
 * source's (`err`, as sent with the clock) or, from a server that did not send one, a text naming the source.
 */
export function mirrorSnapshot(mirror: Machine<string>, names: readonly string[], time: number[], queueTick: number,
  err: string | undefined): Snapshot {
  const snap: Snapshot = { id: mirror.id, names: [...names], time, queueTick }
  if (excActive(names, time)) snap.err = err ?? `Exception on the source machine ${mirror.id}`
  return snap
}

function excActive(names: readonly string[], time: readonly number[]): boolean {
  const i = names.indexOf('Exception')
  return i >= 0 && ((time[i] as number) & 1) === 1
}
