/**
 * A supervisor's waits: backoff sleeps and deferred work, always in a macrotask (so that a restart or resume storm
 * lets timers and I/O run between its steps), and all cut short at once when the supervisor stops.
 */
import { cancelLater, later, type Later } from '../machine/internals.js'

export class Pause {
  private readonly pending = new Set<{ cancel(): void; fire(): void }>()
  private closed = false

  /** Resolves after `ms` (0: after the current macrotask), or at once when closed. */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => this.schedule(ms, resolve, true))
  }

  /** Runs `fn` in a later macrotask, unless closed first. */
  defer(fn: () => void): void {
    if (!this.closed) this.schedule(0, fn, false)
  }

  /** Ends every sleep now (deferred work is dropped); later sleeps resolve at once. */
  close(): void {
    this.closed = true
    const all = [...this.pending]
    this.pending.clear()
    for (const p of all) p.cancel()
  }

  private schedule(ms: number, fn: () => void, onClose: boolean): void {
    let timer: Later
    let immediate: ReturnType<typeof setImmediate> | undefined
    const entry = {
      fire: (): void => {
        this.pending.delete(entry)
        fn()
      },
      cancel: (): void => {
        if (immediate) clearImmediate(immediate)
        cancelLater(timer)
        if (onClose) fn()
      },
    }
    this.pending.add(entry)
    if (ms > 0) timer = later(ms, entry.fire)
    else immediate = setImmediate(entry.fire)
  }
}
