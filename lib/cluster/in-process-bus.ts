/**
 * `InProcessBus`: the embedded bus, no server. Machines are served by lib/rpc over `MessageChannel`s, so mirrors are
 * the same `RemoteMachine`s a `NatsBus` gives.
 */
import { randomBytes } from 'node:crypto'
import { MessageChannel } from 'node:worker_threads'
import { InvalidArgumentError, type Machine, type Schema, type StateNames } from '../machine/index.js'
import { isMachine } from '../machine/internals.js'
import { connect, serve, type RemoteMachine, type RpcServer } from '../rpc/index.js'
import {
  checkFilter, checkId, checkMirrorOptions, infoOf, matches,
  type Bus, type Exposed, type ExposeOptions, type ListFilter, type MachineInfo, type MirrorOptions,
} from './bus.js'
import { ClusterError } from './errors.js'

interface Entry {
  info: MachineInfo
  server: RpcServer
}

/**
 * A bus inside one process (the default). Same API as {@link NatsBus}.
 *
 * ```ts
 * const bus = new InProcessBus()
 * await bus.expose(worker, { tags: ['worker'] })
 * const [first] = await bus.list({ tag: 'worker' })
 * const remote = await bus.machine(first!.id)
 * await remote.add('Start') // runs on `worker`, resolves with its result
 * ```
 */
export class InProcessBus implements Bus {
  readonly id: string
  readonly #entries = new Map<string, Entry>()
  readonly #mirrors = new Set<RemoteMachine<string>>()
  #closed = false

  constructor(opts: { id?: string } = {}) {
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('new InProcessBus()', 'opts', 'an object', opts)
    this.id = opts.id ?? `bus-${randomBytes(4).toString('hex')}`
    if (typeof this.id !== 'string') throw new InvalidArgumentError('new InProcessBus()', 'id', 'a string', this.id)
  }

  async expose(machine: Machine<string>, opts?: ExposeOptions): Promise<Exposed> {
    this.#open()
    if (!isMachine(machine)) throw new InvalidArgumentError('bus.expose()', 'machine', 'a Machine', machine)
    const info = infoOf(machine, opts, this.id)
    if (this.#entries.has(info.id)) throw new ClusterError('ERR_CLUSTER_EXPOSED', `machine ${info.id} is already exposed`)
    const server = await serve(machine)
    const entry: Entry = { info, server }
    this.#entries.set(info.id, entry)
    return {
      id: info.id,
      get clients() { return server.clients },
      close: async () => {
        if (this.#entries.get(info.id) === entry) this.#entries.delete(info.id)
        await server.close()
      },
    }
  }

  async list(filter?: ListFilter): Promise<MachineInfo[]> {
    this.#open()
    const f = checkFilter(filter)
    return [...this.#entries.values()].map((e) => ({ ...e.info, tags: [...e.info.tags] })).filter((i) => matches(i, f))
      .sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
  }

  async machine<S extends Schema<string> = Schema<string>>(id: string, opts?: MirrorOptions<S>): Promise<RemoteMachine<StateNames<S>>> {
    this.#open()
    checkId(id, 'bus.machine()')
    opts = checkMirrorOptions(opts)
    const entry = this.#entries.get(id)
    if (!entry) throw new ClusterError('ERR_CLUSTER_NOT_FOUND', `no machine ${id} is exposed on bus ${this.id}`)
    const { port1, port2 } = new MessageChannel()
    entry.server.accept(port1)
    const remote = await connect<S>(port2, { ...opts, keepAlive: 0 })
    this.#mirrors.add(remote as unknown as RemoteMachine<string>)
    return remote
  }

  /** Closes every mirror made here and stops exposing every machine. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const mirrors = [...this.#mirrors]
    const servers = [...this.#entries.values()].map((e) => e.server)
    this.#mirrors.clear()
    this.#entries.clear()
    await Promise.all([...mirrors.map((m) => m.close()), ...servers.map((s) => s.close())])
  }

  #open(): void {
    if (this.#closed) throw new ClusterError('ERR_CLUSTER_CLOSED', `bus ${this.id} is closed`)
  }
}
