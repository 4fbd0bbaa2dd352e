/**
 * A worker_threads message port (a `Worker` in the supervisor, `parentPort` in the thread) seen as an
 * {@link IpcEndpoint}, so the same `IpcHub` (RPC connections, control messages, the job lane) runs over a thread's
 * port as over a process's IPC channel. It is `disconnect`ed when the port closes or the thread exits.
 */
import { EventEmitter } from 'node:events'
import type { IpcEndpoint } from './ipc.js'

/** What marks a thread started by a `NodeSupervisor` (in its `workerData`). */
export const THREAD_MARK = 'polymachine/node:thread'

/** The part of a `Worker` or a `MessagePort` used here. */
export interface PortLike {
  postMessage(message: unknown): void
  on(event: string, fn: (...args: never[]) => void): unknown
}

export class PortEndpoint extends EventEmitter implements IpcEndpoint {
  #connected = true

  /**
   * `closeEvents`: the events after which nothing more arrives (`'exit'` of a `Worker`, `'close'` of a port).
   * `afterSend`: called after each message posted (the supervisor wakes a parked thread with it).
   */
  constructor(private readonly port: PortLike, closeEvents: readonly string[],
    private readonly afterSend: (() => void) | null = null) {
    super()
    port.on('message', (m: never) => this.receive(m))
    for (const e of closeEvents) port.on(e, () => this.disconnect())
  }

  get connected(): boolean {
    return this.#connected
  }

  readonly send = (message: unknown): boolean => {
    if (!this.#connected) return false
    this.port.postMessage(message)
    this.afterSend?.()
    return true
  }

  /** A message from the peer (from the port's event, or taken from the port by a parked thread). */
  receive(message: unknown): void {
    if (this.#connected) this.emit('message', message)
  }

  /** Nothing is sent or received any more; emits `disconnect` once. */
  disconnect(): void {
    if (!this.#connected) return
    this.#connected = false
    this.emit('disconnect')
  }
}
