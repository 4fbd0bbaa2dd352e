/**
 * polymachine states, pipes and helpers: a flaky connection mirrored into an app.
 *
 * - the connection is a machine over `ConnectedSchema` + `DisposedSchema`; its first dial fails;
 * - pipes mirror its connection states into the app's `Online` / `Offline`, and its errors into `ErrUpstream`,
 *   without ever blocking the connection's own transitions;
 * - helpers wait for several outcomes at once (`waitForAny`, `waitForErrAll`), retry a refused mutation
 *   (`mutationRequest`), wait on a composed condition (`cond.when`) and guard against a dial loop (`stateLoop`);
 * - state-based disposal runs the registered cleanup, disposes the connection, and its pipes go with it.
 *
 * Run: npx tsx examples/waiters-pipes/main.ts
 */
import { type Event, Machine, Result, schema } from '../../lib/machine/index.js'
import {
  ConnectedSchema, DisposedHandlers, DisposedSchema, dispose, pipe, registerDisposal,
} from '../../lib/states/index.js'
import { cond, mutationRequest, stateLoop, waitForAny, waitForErrAll } from '../../lib/helpers/index.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const connSchema = schema(ConnectedSchema, DisposedSchema)
const appSchema = schema({
  Online: {},
  Offline: {},
  ErrUpstream: { require: ['Exception'] },
  /** The app can serve while online and healthy. */
  Serving: { auto: true, require: ['Online'], remove: ['Exception'] },
})
type ConnEvent = Event<(typeof connSchema.names)[number]>

/** Dials a pretend server: the first dial fails, the next ones succeed. */
class Connection extends DisposedHandlers {
  dials = 0
  refused = 0
  /** A dial is refused while the previous failure cools down (so a retry has something to wait for). */
  coolingUntil = 0

  ConnectingEnter(): boolean {
    const ok = Date.now() >= this.coolingUntil
    if (!ok) this.refused++
    return ok
  }

  async ConnectingState(e: ConnEvent): Promise<void> {
    const mach = e.machine
    this.dials++
    await sleep(10)
    if (e.signal.aborted) return // Connecting ended meanwhile: stale work
    if (this.dials === 1) {
      this.coolingUntil = Date.now() + 25
      mach.addErrState('ErrConnecting', new Error('ECONNREFUSED 127.0.0.1:4000'))
      mach.add('Disconnected')
      return
    }
    mach.add('Connected')
  }
}

const handlers = new Connection()
const conn = new Machine(connSchema, { id: 'conn', handlers })
const app = new Machine(appSchema, { id: 'app' })

const online = pipe.bindConnected(conn, app, { connected: 'Online', disconnected: 'Offline' })
const errors = pipe.bindErr(conn, app, 'ErrUpstream')
const loop = stateLoop(conn, 'Connecting', { maxIterations: 20, window: 1_000 })
registerDisposal(conn, async () => {
  await sleep(5)
  console.log('  cleanup: socket closed')
})

console.log('1. start and dial')
conn.add(['Start', 'Connecting'])
const first = await waitForAny([(o) => app.when('Online', o), (o) => app.when('ErrUpstream', o)], { timeout: 1_000 })
console.log(`   first outcome: ${first === 0 ? 'online' : `error (${(app.err as Error).message})`}`)
console.log(`   app ${app.toString()}`)

console.log('2. retry the dial while it is refused (cooling down)')
conn.remove('Exception')
app.remove('Exception')
const r = await mutationRequest(conn, 'add', 'Connecting').retries(10).delay(5).backoff(2, 20).run({ timeout: 1_000 })
console.log(`   dial accepted: ${r === Result.Executed} (${handlers.refused} refused while cooling down)`)

console.log('3. wait until the app serves, failing fast on any error')
await waitForErrAll([conn, app], [(o) => cond.when(app, cond.of({ is: ['Online', 'Serving'], not: 'Exception' }), o)],
  { timeout: 1_000 })
console.log(`   app ${app.toString()}; conn loop guard ok: ${loop.ok()}`)

console.log('4. dispose the connection: cleanup runs, then its pipes are gone')
await dispose(conn, { timeout: 1_000 })
console.log(`   conn disposed: ${conn.disposed}; pipes active: ${online.active}, ${errors.active}`)
app.dispose()
console.log('done')
