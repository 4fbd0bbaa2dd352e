/**
 * A file downloader modelled as states (the core machine only).
 *
 * - relations decide what a mutation really does (Downloading removes Idle, Ready requires Start, …);
 * - handlers found by name react to transitions (DownloadingState starts async work, tied to the state's signal);
 * - errors are states (ErrNetwork requires Exception) and retries are a multi state;
 * - callers `await` states instead of writing loops.
 *
 * Run: npx tsx examples/downloader/main.ts
 */
import { LogLevel, Machine, schema, type Event, type StateNames } from '../../lib/index.js'

const downloader = schema({
  Start: {},
  Idle: { auto: true, require: ['Start'], remove: ['Downloading'] },
  Downloading: { require: ['Start'], remove: ['Idle', 'Downloaded'] },
  Downloaded: { require: ['Start'], remove: ['Downloading'] },
  Ready: { auto: true, require: ['Downloaded'] },
  Retry: { multi: true, require: ['Start'] },
  ErrNetwork: { require: ['Exception'], remove: ['Downloading'] },
})
type S = StateNames<typeof downloader>

const files = ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt']
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true })
  })

class DownloaderHandlers {
  done: string[] = []
  failures = 0

  /** Negotiation: only download while there is something left. */
  DownloadingEnter(): boolean {
    return this.done.length < files.length
  }

  /** Final and async: the work is tied to the state's signal, so leaving Downloading cancels it. */
  async DownloadingState(e: Event<S>): Promise<void> {
    while (this.done.length < files.length) {
      const file = files[this.done.length] as string
      await sleep(30, e.signal)
      // the 2nd and 4th file fail once each, to show errors as states
      if ((file === 'b.txt' && this.failures === 0) || (file === 'd.txt' && this.failures === 1)) {
        this.failures++
        e.machine.addErrState('ErrNetwork', new Error(`network error while fetching ${file}`))
        return
      }
      this.done.push(file)
      e.machine.log(`fetched ${file}`)
    }
    e.machine.add('Downloaded')
  }

  /** An error state: back off, clear the error, retry. */
  async ErrNetworkState(e: Event<S>): Promise<void> {
    await sleep(50, e.signal)
    e.machine.remove(['ErrNetwork', 'Exception'])
    e.machine.add('Retry')
  }

  /** A multi state: each activation is one more attempt. */
  RetryState(e: Event<S>): void {
    e.machine.add('Downloading')
  }
}

async function main(): Promise<void> {
  const handlers = new DownloaderHandlers()
  const mach = new Machine(downloader, {
    id: 'downloader',
    handlers,
    logLevel: LogLevel.Changes,
    logArgs: ['err'],
    logger: (_level, line) => console.log(line),
  })

  mach.add('Start')
  console.log('after Start:', mach.toString())

  mach.add('Downloading')
  await mach.when('Ready', { timeout: 5000 })

  console.log('\nsummary')
  console.log('  files downloaded:', handlers.done.join(', '))
  console.log('  network errors:  ', handlers.failures, `(Exception tick ${mach.tick('Exception')})`)
  console.log('  retries:         ', (mach.tick('Retry') + 1) / 2, `(Retry is multi: tick ${mach.tick('Retry')})`)
  console.log('  final states:    ', mach.toString())
  mach.dispose()
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
