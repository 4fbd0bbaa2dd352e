/**
 * polymachine-repl over the cluster bus (issue 16 item 5, "and the cluster bus when present"): a private nats-server
 * (tools/nats-server.ts) on a free port, machines exposed on a NatsBus in this process, and the REPL connecting with
 * `nats://…`: the listing, a machine picked by id, one-shot commands with their exit codes, commands on stdin, and
 * the real executable in a child process. Skipped, saying so, without nats-server (.ci/run installs it).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { NatsBus, type Exposed } from '../../lib/cluster/index.js'
import { freePort, hasNatsServer, NATS_SERVER_BIN, NatsServer } from '../../tools/nats-server.js'
import { parseArgs, runRepl, type ReplIo } from '../../tools/repl/cli.js'
import { replIo as io } from './repl-io.js'
import { connectBus } from '../../tools/repl/bus.js'
import { Exit, runCommand, useMachine, type Repl } from '../../tools/repl/commands.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ss = schema({ Start: {}, Ready: { require: ['Start'] }, Locked: {}, Job: { multi: true, require: ['Start'] } })

if (!hasNatsServer) console.warn(`spec/tools/repl-bus: skipped, no nats-server at ${NATS_SERVER_BIN}`)

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.skipIf(!hasNatsServer)('polymachine-repl nats://…', () => {
  let server: NatsServer
  let source: NatsBus
  let app: Machine<string>
  let worker: Machine<string>
  let appExposed: Exposed
  const PREFIX = 'replbus'
  const url = (): string => server.url
  const repl = (argv: string[], s: ReplIo): Promise<number> => runRepl([url(), '--prefix', PREFIX, ...argv], s)

  beforeAll(async () => {
    server = await NatsServer.start()
    source = await NatsBus.connect({ servers: server.url, id: 'node-src', prefix: PREFIX, heartbeat: 200, presenceTtl: 2000 })
    app = new Machine(ss, { id: 'app', tags: ['web'] })
    app.bind({ LockedEnter: () => false })
    worker = new Machine(ss, { id: 'worker-1', parent: app, tags: ['worker', 'batch'] })
    appExposed = await source.expose(app)
    await source.expose(worker)
  }, 30_000)
  afterAll(async () => {
    await source?.close()
    await server?.stop()
  })

  it('-- list shows every machine on the bus: id, node, tags, parent', async () => {
    const s = io()
    expect(await repl(['--', 'list'], s)).toBe(Exit.ok)
    expect(s.err()).toBe('')
    expect(s.out()).toBe(`${url()}: 2 machines\n  app node:node-src tags:web\n  worker-1 node:node-src tags:worker,batch parent:app\n`)
  }, 30_000)

  it('--machine ID picks a machine by id: mutations reach the source; canceled exits 1, unknown states 2', async () => {
    const a = io()
    expect(await repl(['--machine', 'worker-1', '--', 'add', 'Start', 'Job', 'n=2'], a)).toBe(Exit.ok)
    expect(a.out()).toBe('executed (Start:1 Job:1)\n')
    expect(worker.is(['Start', 'Job'])).toBe(true)
    expect(app.is('Start')).toBe(false)
    const b = io()
    expect(await repl(['--machine', 'app', '--', 'add', 'Locked'], b)).toBe(Exit.failed)
    expect(b.err()).toBe('canceled ()\n')
    const c = io()
    expect(await repl(['--machine', 'app', '--', 'remove', 'Nope'], c)).toBe(Exit.usage)
    expect(c.err()).toMatch(/^unknown state Nope \(known: Start, Ready, Locked, Job, Exception\)/)
  }, 30_000)

  it('when waits on the source (exit 0) or times out (exit 3)', async () => {
    setTimeout(() => app.add('Start'), 300)
    const a = io()
    expect(await repl(['--machine', 'app', '--', 'when', 'Start', '--timeout', '10000'], a)).toBe(Exit.ok)
    expect(a.out()).toBe('ok: Start\n')
    const b = io()
    expect(await repl(['--machine', 'app', '--', 'when', 'Ready', '--timeout', '200'], b)).toBe(Exit.timeout)
    expect(b.err()).toMatch(/^error: .*200 ms/)
    app.remove('Start')
  }, 30_000)

  it('a machine no process serves exits 5; a command with no machine chosen exits 2; no server exits 4', async () => {
    const a = io()
    expect(await repl(['--machine', 'nobody', '--', 'list'], a)).toBe(Exit.notFound)
    expect(a.err()).toMatch(/^error: .*nobody/)
    const b = io()
    expect(await repl(['--', 'add', 'Start'], b)).toBe(Exit.usage)
    expect(b.err()).toMatch(/no machine selected: use ID/)
    const port = await freePort() // nothing listens there
    const c = io()
    expect(await runRepl([`nats://127.0.0.1:${port}`, '--timeout', '1000', '--', 'list'], c)).toBe(Exit.network)
    expect(c.err()).toMatch(new RegExp(`^polymachine-repl: cannot connect to nats://127\\.0\\.0\\.1:${port}`))
    expect(parseArgs([url(), '--prefix', 'a.b'])).toMatchObject({ error: expect.stringMatching(/--prefix/) as string })
  }, 30_000)

  it('commands on stdin: list, use, inspect, set, log, list with the mirror marked', async () => {
    const s = io()
    const done = repl([], s)
    s.stdin.write(['list', 'use app', 'set Start k=1', 'inspect Start Ready', 'use worker-1', 'time Start Job'].join('\n') + '\n')
    await until(() => /Start:\d+ Job:\d+\n/.test(s.out()), 'the time line')
    s.stdin.write('log 2000\n')
    await new Promise((r) => setTimeout(r, 500)) // the REPL reads the line and binds meanwhile
    worker.remove('Job')
    s.stdin.end('list\nuse nobody\n')
    expect(await done).toBe(Exit.notFound)
    const out = s.out()
    expect(out).toContain(`${url()}: 2 machines\n  app node:node-src tags:web\n`)
    expect(out).toContain('using app\nexecuted (Start:')
    expect(app.is('Start')).toBe(true)
    expect(out).toMatch(/app connected queue tick \d+\n● Start +\d+\n○ Ready +0 +req:Start\n/)
    expect(out).toMatch(/using worker-1\nStart:1 Job:1\n/)
    expect(out).toMatch(/worker-1: -Job \(Start:1\)\n1 change in 2000 ms\n/)
    // the second list: the current machine starred, mirrors with their clocks
    expect(out).toMatch(/ {2}app node:node-src tags:web \(Start:\d+\)\n\* worker-1 node:node-src tags:worker,batch parent:app \(Start:1\)\n/)
    expect(out).toMatch(/error: .*nobody/)
    app.remove('Start')
  }, 60_000)

  it('use ID again after the source stopped exposing it mirrors it anew (it may be served again)', async () => {
    const b = await connectBus(url(), PREFIX, 5000)
    const r: Repl = { machines: new Map(), current: null, print: () => undefined, buses: [b] }
    const temp = new Machine(ss, { id: 'temp' })
    let exposed = await source.expose(temp)
    try {
      expect(await useMachine(r, 'temp')).toEqual({ out: 'using temp', code: Exit.ok })
      const first = r.machines.get('temp')
      await exposed.close()
      await until(() => first?.connected === false, 'the mirror to notice')
      expect((await runCommand(r, 'add Start')).code).toBe(Exit.network)
      exposed = await source.expose(temp)
      expect(await useMachine(r, 'temp')).toEqual({ out: 'using temp', code: Exit.ok })
      expect(r.machines.get('temp')).not.toBe(first)
      expect(await runCommand(r, 'add Start')).toEqual({ out: 'executed (Start:1)', code: Exit.ok })
      expect(temp.is('Start')).toBe(true)
    } finally {
      await b.bus.close()
      await exposed.close()
    }
  }, 60_000)

  it('the executable: `polymachine-repl nats://… --machine app -- when Start` in a child process', async () => {
    app.remove('Start')
    await until(() => appExposed.clients === 0, 'earlier mirrors gone')
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'tools/repl/main.ts', url(), '--prefix', PREFIX, '--machine', 'app', '--',
        'when', 'Start', '--timeout', '20000'], { cwd: root, timeout: 40_000 },
      (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }))
    })
    // Start comes only once the child's mirror is connected and waiting
    await until(() => appExposed.clients === 1, 'the child process mirroring app', 40_000)
    app.add('Start')
    expect(await exited).toEqual({ code: 0, stdout: 'ok: Start\n', stderr: '' })
  }, 60_000)
})
