/**
 * Waking an idle worker thread without its event loop. A message posted to a thread wakes it through libuv (an
 * eventfd, its loop, the port's 'message' dispatch): most of a short job's round trip. The supervisor also bumps a
 * counter in a `SharedArrayBuffer` and `Atomics.notify`s it; a worker that just went idle waits on that counter
 * (`Atomics.wait`, a futex: no CPU) for a short while and takes the next message with `receiveMessageOnPort`, then
 * returns to its loop. The wait is bounded (`PARK_MS`) and ends at the first message of any kind (RPC and health
 * checks are delivered from it); the worker bounds how long parks may follow each other without a turn of its loop.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads'

/** Where the supervisor puts the wake buffer in a thread's `workerData`. */
export const WAKE_KEY = 'polymachine/node:wake'

/** The longest an idle worker waits for its next message before going back to its event loop. */
export const PARK_MS = 2

/** The cells of the wake buffer: a counter of messages posted, and whether the thread is parked. */
const POSTED = 0
const PARKED = 1

/** The supervisor's side: bumps the counter after each message posted to the thread; wakes it if parked. */
export class WakeSender {
  readonly buffer = new SharedArrayBuffer(8)
  readonly #cells = new Int32Array(this.buffer)

  notify(): void {
    Atomics.add(this.#cells, POSTED, 1)
    // a wake is a syscall: only when the thread waits (it sets PARKED before reading the counter, so either it sees
    // the new count or this sees PARKED)
    if (Atomics.load(this.#cells, PARKED) === 1) Atomics.notify(this.#cells, POSTED, 1)
  }
}

/** The worker's side: `park()` waits for the next message (at most `PARK_MS`) and hands it to `deliver`. */
export class WakeReceiver {
  readonly #cells: Int32Array

  /** Null when `buffer` is not the supervisor's wake buffer (an older or foreign `workerData`). */
  static of(buffer: unknown, port: MessagePort, deliver: (m: unknown) => void): WakeReceiver | null {
    return buffer instanceof SharedArrayBuffer && buffer.byteLength >= 8 ? new WakeReceiver(buffer, port, deliver) : null
  }

  private constructor(buffer: SharedArrayBuffer, private readonly port: MessagePort,
    private readonly deliver: (m: unknown) => void) {
    this.#cells = new Int32Array(buffer, 0, 2)
  }

  /**
   * Waits until a message is there (or `PARK_MS` passed) and delivers it; true if one was. Call it only when the
   * worker has nothing to do: it blocks the thread meanwhile.
   */
  park(): boolean {
    const end = performance.now() + PARK_MS
    Atomics.store(this.#cells, PARKED, 1)
    try {
      for (;;) {
        // the counter before the port: a message posted in between changes it, so the wait returns at once
        const seen = Atomics.load(this.#cells, POSTED)
        const got = receiveMessageOnPort(this.port)
        if (got !== undefined) {
          Atomics.store(this.#cells, PARKED, 0)
          this.deliver(got.message)
          return true
        }
        const left = end - performance.now()
        if (left <= 0) return false
        Atomics.wait(this.#cells, POSTED, seen, left)
      }
    } finally {
      Atomics.store(this.#cells, PARKED, 0)
    }
  }
}
