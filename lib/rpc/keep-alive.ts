/**
 * Keep-alive of a client link: every `ms`, a ping when the link was quiet for half of it; `dead()` when nothing at
 * all arrived for twice it (a server that vanished without closing the connection).
 */
export class KeepAlive {
  #seen = Date.now()
  readonly #timer: ReturnType<typeof setInterval>

  constructor(readonly ms: number, ping: () => void, dead: (quietMs: number) => void) {
    this.#timer = setInterval(() => {
      const quiet = Date.now() - this.#seen
      if (quiet >= 2 * ms) dead(quiet)
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
