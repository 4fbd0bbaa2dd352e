/**
 * One forked worker process, seen from the supervisor: the fork, its IPC hub, its `ready` and `drained` messages,
 * how it ended, and the tail of its stderr (for spawn-failure messages). Nothing here decides anything: the
 * supervisor does.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { NodeError } from './errors.js'
import { IpcHub, type IpcEndpoint } from './ipc.js'
import type { PoolConfig } from './options.js'
import { WORKER_ID_ENV } from './worker.js'

/** How a process ended: an exit code, or the signal that killed it. */
export interface Exit {
  exitCode: number | null
  signal: NodeJS.Signals | null
}

/** A worker as the supervisor drives it: a forked process ({@link WorkerProcess}) or a thread (`WorkerThread`). */
export interface WorkerHandle {
  readonly id: string
  readonly hub: IpcHub
  /** Resolves when the worker has ended (never rejects). */
  readonly exited: Promise<Exit>
  readonly pid: number | undefined
  readonly threadId: number | undefined
  /** `pid 123` or `thread 4`, for messages. */
  readonly label: string
  readonly exit: Exit | null
  readonly stderrTail: string
  onReady: () => void
  onDrained: () => void
  /** The worker's answer to a `listen` control message. */
  onListening: (url: string | null, err: string | null) => void
  onExit: (exit: Exit) => void
  /** Ends it at once (SIGKILL; `terminate()` for a thread). */
  kill(): void
  /** It drained: let it end on its own. */
  disconnect(): void
}

const TAIL = 2048

/** What a forked process and a thread share: how it ended, its stderr tail, its `ready` / `drained` / exit hooks. */
export abstract class WorkerHandleBase {
  abstract readonly hub: IpcHub
  /** Resolves when the worker has ended (never rejects). */
  readonly exited: Promise<Exit>
  onReady: () => void = () => undefined
  onDrained: () => void = () => undefined
  onListening: (url: string | null, err: string | null) => void = () => undefined
  onExit: (exit: Exit) => void = () => undefined
  #exit: Exit | null = null
  #tail = ''
  #settle: (e: Exit) => void = () => undefined

  constructor() {
    this.exited = new Promise((resolve) => {
      this.#settle = resolve
    })
  }

  /** How it ended; null while it runs. */
  get exit(): Exit | null {
    return this.#exit
  }

  /** The last 2 KB the worker wrote to stderr. */
  get stderrTail(): string {
    return this.#tail
  }

  /** Keeps `text` in the stderr tail. */
  protected addTail(text: string): void {
    this.#tail = (this.#tail + text).slice(-TAIL)
  }

  /** Keeps the worker's stderr tail and, unless `silent`, passes it on to this process's stderr. */
  protected readStderr(stream: NodeJS.ReadableStream | null | undefined, silent: boolean): void {
    stream?.on('data', (chunk: Buffer) => {
      this.addTail(chunk.toString('utf8'))
      if (!silent) process.stderr.write(chunk)
    })
  }

  /** The hub's `ready`, `drained` and `listening` messages call `onReady` / `onDrained` / `onListening`. */
  protected listen(hub: IpcHub): IpcHub {
    hub.onControl = (m) => {
      if (m.pm === 'ready') this.onReady()
      else if (m.pm === 'drained') this.onDrained()
      else if (m.pm === 'listening') this.onListening(m.url, m.e)
    }
    return hub
  }

  /** Records the end once: ends the hub, calls `onExit`, settles `exited`. */
  protected ended(exit: Exit): void {
    if (this.#exit !== null) return
    this.#exit = exit
    this.hub.end()
    this.onExit(exit)
    this.#settle(exit)
  }
}

export class WorkerProcess extends WorkerHandleBase implements WorkerHandle {
  readonly threadId = undefined
  readonly child: ChildProcess
  readonly hub: IpcHub

  /** Forks `cfg.entry`; throws what `fork()` throws synchronously (the caller turns it into a spawn failure). */
  constructor(readonly id: string, cfg: PoolConfig) {
    super()
    this.child = fork(cfg.entry, cfg.args, {
      execArgv: cfg.execArgv,
      env: { ...cfg.env, [WORKER_ID_ENV]: id },
      ...(cfg.cwd !== undefined ? { cwd: cfg.cwd } : {}),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    this.readStderr(this.child.stderr, cfg.silent)
    this.hub = this.listen(new IpcHub(this.child as unknown as IpcEndpoint))
    // a failed spawn (no such executable, bad cwd) emits 'error' and may never emit 'exit'
    this.child.on('error', () => {
      if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) {
        this.ended({ exitCode: this.child.exitCode, signal: this.child.signalCode })
      }
    })
    // 'close' comes after stderr is read to its end (the spawn-failure message); a grandchild holding stderr open
    // must not delay it for long
    this.child.on('close', (exitCode, signal) => this.ended({ exitCode, signal }))
    this.child.on('exit', (exitCode, signal) => {
      setTimeout(() => this.ended({ exitCode, signal }), 200).unref()
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get label(): string {
    return `pid ${String(this.child.pid)}`
  }

  /** Sends `signal` (default SIGKILL) unless it already ended. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit !== null) return
    try {
      this.child.kill(signal)
    } catch {
      // already gone
    }
  }

  /** Closes the IPC channel: the worker notices and exits on its own. */
  disconnect(): void {
    this.hub.end()
    // not from inside the channel's 'message' event: Node 20 reads the channel again after the handler returns
    setImmediate(() => {
      try {
        if (this.child.connected) this.child.disconnect()
      } catch {
        // already closed
      }
    })
  }

  protected override ended(exit: Exit): void {
    if (this.exit === null) this.child.stderr?.destroy()
    super.ended(exit)
  }
}

/** The informative part of a dead worker's stderr: its last error line (`Error: Cannot find module…`), else its end. */
export function errorLines(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at ') && !/^Node\.js v/.test(l))
  const err = lines.findLast((l) => /^[\w.]*(Error|Exception)\b|^Error:/.test(l))
  return (err ?? lines.slice(-2).join(' | ')).slice(0, 500)
}

/** A worker that failed to start, with the informative end of its stderr: `ERR_NODE_SPAWN`. */
export function spawnError(id: string, why: string, pid: number | undefined, cause?: unknown, stderr = ''): NodeError {
  const tail = errorLines(stderr)
  return new NodeError('ERR_NODE_SPAWN', `worker ${id} failed to start: ${why}${tail ? `: ${tail}` : ''}`,
    { workerId: id, ...(pid !== undefined ? { pid } : {}), ...(cause !== undefined ? { cause } : {}) })
}
