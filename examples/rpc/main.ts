/**
 * polymachine RPC: one machine, mirrored by a worker thread (MessagePort) and a TCP client.
 *
 * - the main thread owns a job-board machine and serves it twice: on TCP (`tcp://127.0.0.1:0`) and on a MessagePort
 *   handed to a worker thread;
 * - the worker connects with `connect(port)` and posts jobs (`remote.add('Job', { id })`), each call resolved with
 *   the source's real result;
 * - a TCP client waits (`remote.when`, `whenTicks`) for what the worker does, answered from pushed clocks;
 * - everything is closed at the end: bye from the clients, `server.close()`, the worker exits.
 *
 * Run: npx tsx examples/rpc/main.ts
 */
import { isMainThread, MessageChannel, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads'
import { Machine, Result, schema, type Event } from '../../lib/index.js'
import { connect, serve } from '../../lib/rpc/index.js'

const board = schema({
  Open: {},
  Job: { multi: true, require: ['Open'] },
  Closed: { remove: ['Open'] },
})

const JOBS = 5

async function worker(): Promise<void> {
  const remote = await connect(workerData.port as MessagePort, { schema: board, id: 'rc-worker' })
  await remote.when('Open')
  for (let id = 1; id <= JOBS; id++) {
    const r = await remote.add('Job', { id })
    parentPort!.postMessage(`worker: add(Job, { id: ${id} }) → ${r === Result.Executed ? 'executed' : r}`)
  }
  await remote.when('Closed') // the main thread closes the board once it saw the jobs
  const late = await remote.add('Job', { id: 0 }) // Job requires Open: the source's relations refuse it
  parentPort!.postMessage(`worker: add(Job) on the closed board → ${late === Result.Canceled ? 'canceled' : late}`)
  await remote.close()
}

async function main(): Promise<void> {
  const done: number[] = []
  const source = new Machine(board, { id: 'board' })
  source.bind({ JobState: (e: Event<string>) => void done.push(e.args['id'] as number) })

  const server = await serve(source, { url: 'tcp://127.0.0.1:0' })
  server.machine.bind({
    ClientConnectedState: (e: Event<string>) => console.log(`server: ${String(e.args['clientId'])} connected`),
  })
  console.log(`serving ${source.id} on ${server.url}`)

  // a TCP client: watches the board
  const watcher = await connect(server.url!, { schema: board, id: 'rc-tcp' })
  const fiveJobs = watcher.whenTicks('Job', 2 * JOBS - 1) // first add activates (tick 1), each next re-enters (+2)

  // a worker thread: gets the other end of a MessageChannel
  const { port1, port2 } = new MessageChannel()
  server.accept(port1)
  // the worker runs this same file; it registers tsx's loader first (workers do not inherit it)
  const tsx = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}) })`
  const w = new Worker(boot, { eval: true, workerData: { port: port2 }, transferList: [port2] })
  w.on('message', (line: string) => console.log(line))
  const exited = new Promise<number>((resolve) => w.once('exit', resolve))

  source.add('Open')
  await fiveJobs
  console.log(`tcp client saw Job tick ${watcher.tick('Job')}: ${JOBS} jobs, done on the source: ${done.join(', ')}`)
  source.add('Closed')
  await watcher.when('Closed')
  console.log(`tcp client: Open ${watcher.is('Open')}, Closed ${watcher.is('Closed')}`)

  console.log(`worker exited with ${await exited}`)
  await watcher.close()
  await server.close()
  console.log(`server closed: ${server.machine.is('Closed')}`)
}

if (isMainThread) await main()
else await worker()
