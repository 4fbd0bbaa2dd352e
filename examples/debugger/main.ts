/**
 * A machine and its sub-machine streaming every transition to `polymachine-dbg`.
 *
 *   npx tsx tools/dbg/main.ts --dump &                        # or without --dump for the interactive debugger
 *   POLYMACHINE_DBG=ws://127.0.0.1:6831 npx tsx examples/debugger/main.ts
 *
 * Without POLYMACHINE_DBG it runs untraced (the tracer is not attached at all).
 */
import { Machine, schema, type Event } from '../../lib/index.js'
import { attachDebuggerFromEnv } from '../../lib/telemetry/index.js'

const app = new Machine(schema({
  Start: {},
  Ready: { auto: true, require: ['Start'] },
  Fetch: { multi: true, require: ['Ready'] },
  Fail: { require: ['Start'] },
}), { id: 'app' })
const dbg = attachDebuggerFromEnv(app, { args: ['url'] })

// created with `parent`: attached to the same debugger by the parent's tracer
const worker = new Machine(schema({ Job: {}, Done: { remove: ['Job'] } }), { id: 'worker', parent: app })

app.bind({
  FetchState: (e: Event) => void worker.add('Job', { url: e.args.url }),
  FailEnter: () => false, // always canceled: shows up in the log's canceled filter
})
worker.bind({ JobState: (e: Event) => void e.machine.add('Done') })

app.add('Start')
app.add('Fetch', { url: 'https://example.com/a' })
app.add('Fail')
worker.remove('Done')
app.add('Fetch', { url: 'https://example.com/b' })
console.log(app.toString(), worker.toString())

if (dbg) {
  const sent = await dbg.flush()
  console.log(sent ? `sent to ${dbg.url}` : `could not reach ${dbg.url}`)
  await dbg.close()
}
