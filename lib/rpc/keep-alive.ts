/**
 * Keep-alive of a client link: every `ms`, a ping when the link was quiet for half of it; `dead()` when nothing at
 * all arrived for twice it (a server that vanished without closing the connection). A tick that comes late (this
 * process was busy, so the answer may be unread) never decides.
 */
export class KeepAlive {
  #seen = Date.now()
  readonly #timer: ReturnType<typeof setInterval>

  constructor(readonly ms: number, ping: () => void, dead: (quietMs: number) => void) {
    let last = Date.now()
    this.#timer = setInterval(() => {
      const now = Date.now()
      // a late tick means this process was busy: the answer may be waiting unread, so judge on the next tick
      const late = now - last > 1.5 * ms
      last = now
      const quiet = now - this.#seen
      if (quiet >= 2 * ms && !late) dead(quiet)
      else if (quiet >= ms / 2) ping()
    }, ms)
    this.#timer.unref?.()
  }

  /** Something arrived. */
  seen(): void {
    this.#seen = Date.now()
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
