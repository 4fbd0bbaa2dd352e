/**
 * The `maxActive` slots of a keyed set: one per actor from its activation until its passivation ends. Activations
 * past the limit wait, first come first served; a released slot goes straight to the next waiter.
 */
export class Slots {
  private used = 0
  private readonly queue: Array<(slot: boolean) => void> = []

  /** @param full called when an activation starts waiting (the keyed set then passivates one to make room) */
  constructor(
    private readonly max: number,
    private readonly full: () => void,
  ) {}

  /** Activations waiting for a slot. */
  get waiting(): number {
    return this.queue.length
  }

  /** Takes a slot (true), waiting while all are in use; false when closed meanwhile. */
  acquire(): Promise<boolean> | boolean {
    if (this.used < this.max && this.queue.length === 0) {
      this.used++
      return true
    }
    const p = new Promise<boolean>((resolve) => this.queue.push(resolve))
    this.full()
    return p
  }

  /** Gives a slot back: to the next waiter if any (`used` stays), else free. */
  release(): void {
    const next = this.queue.shift()
    if (next) next(true)
    else this.used--
  }

  /** Every waiter gets no slot (the keyed set stops). */
  close(): void {
    for (const w of this.queue.splice(0)) w(false)
  }
}
