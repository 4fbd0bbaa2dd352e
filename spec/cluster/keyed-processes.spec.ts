/**
 * Cluster keyed actors across real node processes (spec/cluster/fixtures/keyed-node.ts) on a private nats-server:
 * two processes racing the first messages of the same keys, and a process holding keys killed with SIGKILL while
 * messages flow — its keys re-activate on another node with their saved state, and no acknowledged message is lost.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest'
import { ActorSystem } from '../../lib/actor/index.js'
import { NatsBus, NatsKvStore } from '../../lib/cluster/index.js'
import { TimeoutError } from '../../lib/machine/index.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'
import type { NodeOrder, NodeReport } from './fixtures/keyed-node.js'
import { ledgerOptions, type Ledger, type LedgerData } from './fixtures/ledger.js'

const fixture = fileURLToPath(new URL('./fixtures/keyed-node.ts', import.meta.url))

/** A node process and a promise-based view of its IPC. */
class Node {
  #next = 0
  readonly #waiting = new Map<number, (r: NodeReport) => void>()
  #stats: ((r: NodeReport) => void) | null = null
  readonly exited: Promise<unknown>

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (r: NodeReport) => {
      if (r.op === 'reply') {
        this.#waiting.get(r.id)?.(r)
        this.#waiting.delete(r.id)
      } else if (r.op === 'stats') this.#stats?.(r)
    })
    this.exited = new Promise((resolve) => proc.once('exit', resolve))
  }

  static async start(url: string, prefix: string, id: string, leaseTtl?: number): Promise<Node> {
    const proc = fork(fixture, [url, prefix, id, ...(leaseTtl === undefined ? [] : [String(leaseTtl)])], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const node = new Node(proc)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} not ready within 20 s`)), 20_000)
      proc.on('message', (r: NodeReport) => { if (r.op === 'ready') { clearTimeout(timer); resolve() } })
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${id} exited with ${String(code)}`)) })
    })
    return node
  }

  ask(key: string, msg: 'Append' | 'Get', args?: Record<string, unknown>): Promise<NodeReport> {
    const id = ++this.#next
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve)
      this.proc.send({ op: 'ask', id, key, msg, ...(args && { args }) } satisfies NodeOrder)
    })
  }

  stats(): Promise<{ activations: number; keys: string[] }> {
    return new Promise((resolve) => {
      this.#stats = (r) => { if (r.op === 'stats') resolve(r) }
      this.proc.send({ op: 'stats' } satisfies NodeOrder)
    })
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    if (this.proc.connected) this.proc.send({ op: 'stop' } satisfies NodeOrder)
    const late = setTimeout(() => this.proc.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(late)
  }
}

describe.skipIf(!hasNatsServer)('cluster keyed actors across node processes', () => {
  let server: NatsServer
  let prefixes = 0
  const nodes: Node[] = []
  const cleanups: Array<() => Promise<void>> = []
  beforeAll(async () => { server = await NatsServer.start() })
  afterAll(async () => { await server.stop() })
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  /** This test process as a node too (for reading state and sending messages). */
  async function here(prefix: string): Promise<{ ledger: Ledger; store: NatsKvStore }> {
    const bus = await NatsBus.connect({ servers: server.url, id: 'tester', prefix, heartbeat: 200, presenceTtl: 1000 })
    const system = new ActorSystem({ id: `tester-${prefix}` })
    cleanups.push(async () => { await bus.close(); await system.shutdown({ timeout: 2000 }) })
    const store = await NatsKvStore.open(bus, { bucket: `state-${prefix}` })
    return { ledger: await bus.keyed('ledger', ledgerOptions(system, store, { timeout: 4000, leaseTtl: 1000 })) as Ledger, store }
  }

  it('two processes racing the first message of the same keys: one activation per key across them', async () => {
    const prefix = `kp${++prefixes}`
    const [a, b] = await Promise.all([Node.start(server.url, prefix, 'node-a'), Node.start(server.url, prefix, 'node-b')])
    nodes.push(a, b)
    const keys = Array.from({ length: 10 }, (_, i) => `race-${i}`)
    const replies = await Promise.all(keys.flatMap((k) => [a.ask(k, 'Append', { item: 'a' }), b.ask(k, 'Append', { item: 'b' })]))
    expect(replies.filter((r) => r.op === 'reply' && !r.ok)).toEqual([])
    const [sa, sb] = await Promise.all([a.stats(), b.stats()])
    expect(sa.activations + sb.activations).toBe(keys.length)
    expect([...sa.keys, ...sb.keys].sort()).toEqual([...keys].sort())
    for (const k of keys) {
      const r = await a.ask(k, 'Get')
      expect(r.op === 'reply' && r.ok && (r.value as LedgerData).items.sort()).toEqual(['a', 'b'])
    }
  })

  it('a process holding keys killed with SIGKILL: its keys resume on another node with their state, no acknowledged message lost', async () => {
    const prefix = `kp${++prefixes}`
    const victim = await Node.start(server.url, prefix, 'victim', 1000) // its leases expire 1 s after its death
    nodes.push(victim)
    const keys = ['k1', 'k2', 'k3', 'k4']
    for (const k of keys) expect(await victim.ask(k, 'Append', { item: `${k}-0` })).toMatchObject({ ok: true })
    expect((await victim.stats()).keys.sort()).toEqual(keys)
    const { ledger } = await here(prefix)
    const acked = new Map(keys.map((k) => [k, [`${k}-0`]]))
    const failed: unknown[] = []
    let killed = false
    let afterKill = 0
    // one sender per key, one message at a time: every reply is an acknowledgement (or a failure)
    const senders = keys.map(async (k) => {
      for (let i = 1; afterKill < 4 * keys.length && i < 400; i++) {
        const item = `${k}-${i}`
        try {
          await ledger.ref(k).ask('Append', { item })
          acked.get(k)!.push(item)
          if (killed) afterKill++
        } catch (err) {
          failed.push(err)
        }
      }
    })
    await new Promise((r) => setTimeout(r, 300))
    victim.proc.kill('SIGKILL')
    await victim.exited
    killed = true
    await Promise.all(senders)
    expect(afterKill).toBeGreaterThanOrEqual(4 * keys.length) // the keys came back
    expect(ledger.keys.sort()).toEqual(keys) // on this node now
    expect(ledger.activations).toBeGreaterThanOrEqual(keys.length)
    for (const k of keys) {
      const { items } = await ledger.ref(k).ask('Get')
      const mine = acked.get(k)!
      // every acknowledged item is there, once, in order; an unacknowledged one (in flight at the kill) at most once
      expect(items.filter((x) => mine.includes(x))).toEqual(mine)
      expect(new Set(items).size).toBe(items.length)
      expect(items.length - mine.length).toBeLessThanOrEqual(1)
    }
    // only the asks in flight on the victim when it died fail (by their timeout): at most one per key
    expect(failed.every((e) => e instanceof TimeoutError)).toBe(true)
    expect(failed.length).toBeLessThanOrEqual(keys.length)
  })
})
