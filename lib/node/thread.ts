/**
 * One worker thread (`worker_threads`), seen from the supervisor as a {@link WorkerHandle}, like a forked process:
 * its hub over the thread's port, its `ready` and `drained` messages, how it ended (its exit code; no signal), the
 * tail of its stderr and its uncaught errors (for spawn-failure messages). A thread shares the process: it cannot
 * be `SIGKILL`ed, it is `terminate()`d (which stops even a thread stuck in a loop), and it dies with its supervisor.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { safeString } from '../machine/internals.js'
import { IpcHub } from './ipc.js'
import type { PoolConfig } from './options.js'
import { PortEndpoint, THREAD_MARK } from './port-endpoint.js'
import { WorkerHandleBase, type WorkerHandle } from './process.js'
import { WAKE_KEY, WakeSender } from './thread-wake.js'
import { WORKER_ID_ENV } from './worker.js'

export class WorkerThread extends WorkerHandleBase implements WorkerHandle {
  readonly thread: Worker
  readonly hub: IpcHub
  readonly pid = undefined
  /** Kept: a `Worker`'s own `threadId` reads -1 once it has exited. */
  readonly threadId: number

  /** Starts the thread; throws what `new Worker()` throws synchronously (the caller makes it a spawn failure). */
  constructor(readonly id: string, cfg: PoolConfig) {
    super()
    const wake = new WakeSender()
    const opts = {
      argv: cfg.args,
      env: { ...cfg.env, [WORKER_ID_ENV]: id },
      execArgv: cfg.tsx ? [] : cfg.execArgv,
      stdout: false,
      stderr: true,
      workerData: { [THREAD_MARK]: true, [WAKE_KEY]: wake.buffer },
    }
    // `--import tsx` does not reach a thread's module loader: the thread registers tsx itself, then loads the entry
    this.thread = cfg.tsx ? new Worker(tsxBootstrap(cfg.entry), { ...opts, eval: true }) : new Worker(cfg.entry, opts)
    this.threadId = this.thread.threadId
    this.readStderr(this.thread.stderr, cfg.silent)
    this.hub = this.listen(new IpcHub(new PortEndpoint(this.thread, ['exit'], () => wake.notify())))
    // an uncaught error ends the thread ('exit' follows); kept like a crashed process's last stderr line
    this.thread.on('error', (err: unknown) => {
      const name = (err as { name?: unknown } | null)?.name
      this.addTail(`\n${typeof name === 'string' ? name : 'Error'}: ${safeString(err)}\n`)
    })
    this.thread.on('exit', (exitCode: number) => setImmediate(() => this.ended({ exitCode, signal: null })))
  }

  get label(): string {
    return `thread ${this.threadId}`
  }

  /** Stops the thread at once (even in a loop), unless it already ended. */
  kill(): void {
    if (this.exit === null) void this.thread.terminate().catch(() => undefined)
  }

  /** After it drained: the thread has nothing left to do. */
  disconnect(): void {
    this.hub.end()
    setImmediate(() => this.kill())
  }
}

/** The code of a thread that registers tsx (found from the entry's directory) and imports a TypeScript entry. */
function tsxBootstrap(entry: string): string {
  let api: string
  try {
    // the ESM API (its `import` export): the CommonJS one does not register in a thread
    const pkg = createRequire(entry).resolve('tsx/package.json')
    const exp: unknown = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports?: Record<string, unknown> }).exports?.['./esm/api']
    const file = (exp as { import?: { default?: unknown } } | undefined)?.import?.default
    if (typeof file !== 'string') throw new Error('no ./esm/api export')
    api = join(dirname(pkg), file)
  } catch (err) {
    throw new Error(`a TypeScript entry needs tsx where ${entry} is (or pass a built .js file): ${safeString(err)}`)
  }
  return `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); ` +
    `return import(${JSON.stringify(pathToFileURL(entry).href)}) })`
}
