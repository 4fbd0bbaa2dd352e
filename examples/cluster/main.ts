/**
 * polymachine/cluster: three node processes on one machine, talking through a private nats-server.
 *
 * - main starts its own nats-server (JetStream, a free loopback port, a temporary store dir) and forks three node
 *   processes (this same file with `node <name>`); each one exposes a machine (`<name>-worker`, tag `worker`) and
 *   a member of the actor pool `greeter` on a `NatsBus`;
 * - main lists the machines (`bus.list({ tag })`), mutates node-b's machine through a mirror (`remote.add()` runs
 *   on node-b and resolves with its result) and asks the pool (each ask goes to one member: a NATS queue group);
 * - the nodes share the keyed set `accounts` (`bus.keyed()`, state in the NatsKvStore bucket `accounts-state`):
 *   node-c makes the first deposits to acc-1..acc-3, so it takes their leases and runs them; node-a's deposits to
 *   the same keys are routed to node-c;
 * - node-c is killed with SIGKILL: its machine leaves the listing when its presence entry expires (the bucket's
 *   TTL), its mirror goes Disconnected, and the pool keeps answering from the two nodes left; node-b's next
 *   deposits wait until node-c's leases expire, then take them: the accounts resume on node-b with their saved
 *   balances (every acknowledged deposit is there);
 * - everything closes: the nodes exit 0, the server is stopped and its store dir removed.
 *
 * Run: npx tsx examples/cluster/main.ts   (needs /usr/sbin/nats-server, or NATS_SERVER_BIN; Debian: apt-get install nats-server)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Machine, Result, schema } from '../../lib/index.js'
import { ActorSystem, type ActorEvent, type ActorEventOf, type PersistentContext } from '../../lib/actor/index.js'
import { NatsBus, NatsKvStore } from '../../lib/cluster/index.js'

const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server'
/** Short beats so a killed node leaves the listing within about a second (defaults: 1 s beat, 3 s TTL). */
const BUS = { heartbeat: 250, presenceTtl: 1000, keepAlive: 500, timeout: 3000 }

const worker = schema({
  Ready: {},
  Busy: { require: ['Ready'] },
  Job: { multi: true },
})
const greeter = schema({ Hello: { multi: true } })
const account = schema({ Deposit: { multi: true } })
/** Short leases, so node-c's accounts move within about a second of its death (default TTL: 10 s). */
const LEASE_TTL = 1000

// ---------------------------------------------------------------------------------------------------------------
// a node process: `main.ts node <name> <nats url>`

/** Messages from a node to main (IPC). */
type NodeMsg = { ready: string } | { event: string } | { deposited: number; reply?: { balance: number; node: string }; error?: string }
/** Orders from main to a node (IPC). */
type MainMsg = 'stop' | { deposit: number; key: string; amount: number }

async function runNode(name: string, servers: string): Promise<void> {
  const send = (m: NodeMsg): void => void process.send?.(m)
  const bus = await NatsBus.connect({ servers, id: name, ...BUS })
  const machine = new Machine(worker, { id: `${name}-worker` })
  machine.bind({
    BusyState: () => send({ event: `${name}: Busy set by a remote mutation` }),
  })
  machine.add('Ready')
  await bus.expose(machine, { tags: ['worker'] })

  const system = new ActorSystem({ id: name })
  class Greeter {
    HelloState(e: ActorEventOf<typeof greeter>): string {
      return `hello ${String(e.args.who)} from ${name}`
    }
  }
  await bus.exposeActor('greeter', system.spawn(greeter, new Greeter(), { id: `${name}-greeter` }))

  // the keyed set `accounts`: every node hosts it; a key runs on the node holding its lease
  const accounts = await bus.keyed('accounts', {
    system,
    schema: account,
    store: await NatsKvStore.open(bus, { bucket: 'accounts-state' }),
    state: { initial: () => ({ balance: 0 }) },
    handlers: ({ state }: PersistentContext<unknown, { balance: number }>) => ({
      DepositState: (e: ActorEvent) => ({ balance: (state.data.balance += e.args.amount as number), node: name }),
    }),
    leaseTtl: LEASE_TTL,
  })
  const deposit = (id: number, key: string, amount: number): void => {
    accounts.ref(key).ask('Deposit', { amount }, { timeout: 5000 }).then(
      (reply) => send({ deposited: id, reply }),
      (err: unknown) => send({ deposited: id, error: String(err) }))
  }

  // 'stop' from main, or main gone (the IPC channel closed): close the bus (leaving the listing) and exit
  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => stopping ??= (async () => {
    await bus.close()
    await system.shutdown()
    if (process.connected) process.disconnect()
  })()
  process.on('message', (m: MainMsg) => {
    if (m === 'stop') void stop()
    else deposit(m.deposit, m.key, m.amount)
  })
  process.once('disconnect', () => void stop())
  send({ ready: name })
}

// ---------------------------------------------------------------------------------------------------------------
// the private nats-server (the same steps as tools/nats-server.ts, minimal)

interface NatsServer {
  readonly url: string
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function startNats(): Promise<NatsServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'pm-example-nats-'))
  const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let log = ''
    const timer = setTimeout(() => fail(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000)
    const fail = (err: Error): void => {
      clearTimeout(timer)
      proc.kill('SIGKILL')
      reject(err)
    }
    proc.once('error', fail)
    proc.once('exit', (code) => fail(new Error(`nats-server exited with ${String(code)}:\n${log}`)))
    proc.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString()
      if (!log.includes('Server is ready')) return
      clearTimeout(timer)
      proc.removeAllListeners('exit')
      proc.stderr.removeAllListeners('data')
      proc.stderr.resume() // keep draining its log
      resolve()
    })
  })
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve())
          proc.kill('SIGTERM')
        })
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// main

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Forks a node process (into `nodes` at once, so it is stopped whatever happens) and resolves once it is ready. */
function startNode(name: string, url: string, nodes: Map<string, ChildProcess>): Promise<ChildProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['node', name, url], { execArgv: ['--import', import.meta.resolve('tsx')] })
  nodes.set(name, child)
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${String(code)} before it was ready`)))
    child.on('message', (m: NodeMsg) => {
      if ('event' in m) console.log(m.event)
      else if ('ready' in m && m.ready === name) {
        child.removeAllListeners('exit')
        resolve(child)
      }
    })
  })
}

const exited = (child: ChildProcess): Promise<number | string | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode ?? child.signalCode)
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))

/** Asks the pool `n` times; the names of the nodes that answered. */
async function askPool(bus: NatsBus, n: number): Promise<{ answered: number; by: string[] }> {
  const ref = bus.actor<'Hello', string>('greeter', { timeout: 2000 })
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => ref.ask('Hello', { who: `ask-${i}` })))
  const by = replies.map((r) => / from (\S+)$/.exec(String(r))?.[1] ?? '?')
  return { answered: replies.length, by: [...new Set(by)].sort() }
}

/** Has node `child` deposit `amount` to account `key`; resolves with the account's reply (balance, node). */
let deposits = 0
function deposit(child: ChildProcess, key: string, amount: number): Promise<{ balance: number; node: string }> {
  const id = ++deposits
  return new Promise((resolve, reject) => {
    const onMsg = (m: NodeMsg): void => {
      if (!('deposited' in m) || m.deposited !== id) return
      child.off('message', onMsg)
      if (m.reply) resolve(m.reply)
      else reject(new Error(m.error))
    }
    child.on('message', onMsg)
    child.send({ deposit: id, key, amount } satisfies MainMsg)
  })
}

const KEYS = ['acc-1', 'acc-2', 'acc-3']

async function main(): Promise<void> {
  if (!existsSync(NATS_SERVER_BIN)) {
    console.log(`This example needs nats-server (not found at ${NATS_SERVER_BIN}): apt-get install nats-server, ` +
      'or set NATS_SERVER_BIN to its path. Nothing was run.')
    return
  }
  const nats = await startNats()
  console.log(`nats-server started on ${nats.url}`)
  const names = ['node-a', 'node-b', 'node-c']
  const nodes = new Map<string, ChildProcess>()
  let bus: NatsBus | null = null
  try {
    bus = await NatsBus.connect({ servers: nats.url, id: 'main', ...BUS })
    await Promise.all(names.map((n) => startNode(n, nats.url, nodes)))
    const listed = await bus.list({ tag: 'worker' })
    console.log(`listed: ${listed.map((m) => `${m.id} (on ${m.node})`).join(', ')}`)

    // a mirror of node-b's machine: the mutation runs on node-b and resolves with its result
    const b = await bus.machine('node-b-worker', { schema: worker })
    const r = await b.add('Busy')
    console.log(`remote add(Busy) on node-b-worker → ${r === Result.Executed ? 'executed' : String(r)}; mirror Busy: ${String(b.is('Busy'))}`)
    await b.close()

    const before = await askPool(bus, 9)
    console.log(`pool: ${before.answered}/9 asks answered (by ${before.by.join(', ')})`)

    // keyed actors: node-c's first deposits place acc-1..3 on node-c; node-a's go to node-c too
    const nodeA = nodes.get('node-a') as ChildProcess
    const nodeB = nodes.get('node-b') as ChildProcess
    const nodeC = nodes.get('node-c') as ChildProcess
    const placed = await Promise.all(KEYS.map((k) => deposit(nodeC, k, 10)))
    const routed = await Promise.all(KEYS.map((k) => deposit(nodeA, k, 5)))
    console.log(`accounts: first deposits from node-c ran on ${[...new Set(placed.map((r) => r.node))].join(', ')}; `
      + `node-a's deposits ran on ${[...new Set(routed.map((r) => r.node))].join(', ')}; balances ${routed.map((r) => r.balance).join(', ')}`)

    // kill node-c without warning: its presence entry expires, its mirror notices, the pool goes on without it
    const c = await bus.machine('node-c-worker', { schema: worker })
    const t0 = Date.now()
    nodes.get('node-c')?.kill('SIGKILL')
    console.log(`node-c killed: ${String(await exited(nodes.get('node-c') as ChildProcess))}`)
    nodes.delete('node-c')
    await c.client.when('Disconnected')
    console.log(`node-c-worker mirror: Disconnected ${String(c.client.is('Disconnected'))}, ErrNetwork ${String(c.client.is('ErrNetwork'))}`)
    let after = await bus.list({ tag: 'worker' })
    while (after.some((m) => m.node === 'node-c') && Date.now() - t0 < 10_000) {
      await sleep(100)
      after = await bus.list({ tag: 'worker' })
    }
    const gone = after.some((m) => m.node === 'node-c') ? 'still listed after 10 s' : `left the listing within ${((Date.now() - t0) / 1000).toFixed(1)} s`
    console.log(`node-c-worker ${gone}; listed: ${after.map((m) => m.id).join(', ')}`)

    const later = await askPool(bus, 9)
    console.log(`pool after the kill: ${later.answered}/9 asks answered (by ${later.by.join(', ')})`)

    // node-c's leases expire (LEASE_TTL); node-b's deposits take them and load the saved balances
    const resumed = await Promise.all(KEYS.map((k) => deposit(nodeB, k, 1)))
    console.log(`accounts after the kill: resumed on ${[...new Set(resumed.map((r) => r.node))].join(', ')} with their saved state `
      + `${((Date.now() - t0) / 1000).toFixed(1)} s after the kill; balances ${resumed.map((r) => r.balance).join(', ')}`)
  } finally {
    // clean shutdown: each node closes its bus and actor system and exits; then main's bus and the server
    const codes = await Promise.all([...nodes].map(async ([name, child]) => {
      if (child.connected) child.send('stop')
      return `${name} ${String(await exited(child))}`
    }))
    await bus?.close()
    await nats.stop()
    console.log(`closed: ${codes.join(', ')}; nats-server stopped`)
  }
}

if (process.argv[2] === 'node') await runNode(process.argv[3] as string, process.argv[4] as string)
else await main()
