/**
 * The supervisor of a `NodeClient` made by `NodeClient.connect(url)`: a pool served in another process
 * (`pool.serve()`), reached over RPC. Asking for a worker is a `ClientRequested` mutation on the mirror of the
 * supervisor; the answer comes back as a payload (`WorkerGranted` with the worker's own TCP url and token, or
 * `WorkerRefused`), and a worker that dies later as `WorkerLost` (its exit code or signal). The client then talks to
 * its worker directly, as an in-process client does over the worker's channel.
 */
import { Result } from '../machine/index.js'
import { onActivity, safeGet } from '../machine/internals.js'
import { connect, type RemoteMachine } from '../rpc/index.js'
import type { ClientHost, Granted } from './client.js'
import { NodeError, type NodeErrorCode } from './errors.js'
import type { Lease } from './pool-worker.js'
import type { Exit } from './process.js'
import { SupervisorSchema, type SupervisorStateNames } from './supervisor.schema.js'

/** Options of `NodeClient.connect(url, opts)`. */
export interface RemoteClientOptions {
  /** The token `pool.serve()` returned. */
  token?: string
  /** The client's id (default `nc-<pid>-c<n>`); also its RPC client id, so unique among the pool's clients. */
  id?: string
  /** Ms to connect to the supervisor and to each call of it (default 5000). */
  timeout?: number
}

const REFUSALS: ReadonlySet<string> = new Set<NodeErrorCode>(['ERR_NODE_POOL', 'ERR_NODE_CLOSED', 'ERR_NODE_WORKER_LOST'])

interface Waiting {
  lease: Lease
  resolve: (g: Granted) => void
  reject: (err: Error) => void
}

export class RemotePool implements ClientHost {
  readonly id = `nc-${process.pid}`
  #sup: Promise<RemoteMachine<SupervisorStateNames>> | null = null
  #wait: Waiting | null = null
  /** The lease holding a worker now, and that worker. */
  #held: Lease | null = null
  #heldWorker: string | null = null
  /** How each granted worker ended, once the supervisor tells (by worker id). */
  readonly #exits = new Map<string, (e: Exit) => void>()

  constructor(readonly url: string, private readonly opts: { token?: string; timeout: number }) {}

  async lease(lease: Lease): Promise<Granted> {
    const sup = await this.#connect(lease.clientId)
    this.#wait?.reject(new NodeError('ERR_NODE_CLOSED', `client ${lease.clientId} asked again`))
    const granted = new Promise<Granted>((resolve, reject) => {
      this.#wait = { lease, resolve, reject }
    })
    // set before asking: the grant may come before the reply
    const r = await sup.add('ClientRequested', { clientId: lease.clientId }).catch((err: unknown) => {
      this.#refuse(lease, err instanceof Error ? err : new Error(String(err)))
      return Result.Canceled
    })
    if (r === Result.Canceled) {
      this.#refuse(lease, new NodeError('ERR_NODE_POOL', `pool at ${this.url} refused client ${lease.clientId}: it is ` +
        'not serving (closing, closed or failed)'))
    }
    return granted
  }

  release(lease: Lease): void {
    if (this.#wait?.lease === lease) this.#refuse(lease, new NodeError('ERR_NODE_CLOSED', `client ${lease.clientId} is closed`))
    if (this.#held === lease) this.#held = null
    void this.#sup?.then((sup) => sup.connected ? sup.add('ClientReleased', { clientId: lease.clientId }) : null)
      .catch(() => undefined)
  }

  async detach(lease: Lease): Promise<void> {
    this.release(lease)
    this.#exits.clear()
    const sup = this.#sup
    this.#sup = null
    await sup?.then(async (s) => {
      await s.add('ClientReleased', { clientId: lease.clientId }).catch(() => undefined)
      await s.close()
    }, () => undefined)
  }

  #connect(clientId: string): Promise<RemoteMachine<SupervisorStateNames>> {
    if (this.#sup !== null) return this.#sup
    const sup = connect(this.url, { schema: SupervisorSchema, id: clientId, timeout: this.opts.timeout,
      ...(this.opts.token !== undefined ? { token: this.opts.token } : {}) }).then((remote) => {
      remote.payloads$.subscribe(({ name, data }) => this.#payload(name, data))
      const stop = onActivity(remote.client, 'Disconnected', (down) => {
        if (!down) return
        stop()
        if (this.#sup === sup) this.#sup = null
        this.#lostSupervisor()
      })
      return remote
    })
    this.#sup = sup
    sup.catch(() => {
      if (this.#sup === sup) this.#sup = null
    })
    return sup
  }

  /** The supervisor is unreachable: it gave the worker back, so the client must not keep using it. */
  #lostSupervisor(): void {
    if (this.#wait !== null) {
      this.#refuse(this.#wait.lease, new NodeError('ERR_NODE_CLOSED', `the connection to the pool at ${this.url} closed`))
    }
    const held = this.#held
    this.#held = null
    held?.lost(new NodeError('ERR_NODE_WORKER_LOST', `the connection to the pool at ${this.url} closed: its worker ` +
      'went back to the pool'))
  }

  #refuse(lease: Lease, err: Error): void {
    if (this.#wait?.lease !== lease) return
    const w = this.#wait
    this.#wait = null
    w.reject(err)
  }

  #payload(name: string, data: unknown): void {
    const workerId = safeGet(data, 'workerId')
    if (name === 'WorkerGranted' && this.#wait !== null) {
      const url = safeGet(data, 'url')
      const token = safeGet(data, 'token')
      const pid = safeGet(data, 'pid')
      if (typeof workerId !== 'string' || typeof url !== 'string' || typeof token !== 'string') return
      const w = this.#wait
      this.#wait = null
      this.#held = w.lease
      this.#heldWorker = workerId
      w.resolve({
        workerId,
        pid: typeof pid === 'number' ? pid : undefined,
        exited: new Promise<Exit>((resolve) => this.#exits.set(workerId, resolve)),
        dial: () => Promise.resolve({ target: url, token }),
      })
    } else if (name === 'WorkerRefused' && this.#wait !== null) {
      const code = safeGet(data, 'code')
      const message = safeGet(data, 'message')
      this.#refuse(this.#wait.lease, new NodeError(typeof code === 'string' && REFUSALS.has(code) ? code as NodeErrorCode
        : 'ERR_NODE_POOL', typeof message === 'string' ? message : `pool at ${this.url} refused`))
    } else if (name === 'WorkerLost' && typeof workerId === 'string') {
      const exitCode = safeGet(data, 'exitCode')
      const signal = safeGet(data, 'signal')
      const message = safeGet(data, 'message')
      const exit: Exit = { exitCode: typeof exitCode === 'number' ? exitCode : null,
        signal: typeof signal === 'string' ? signal as NodeJS.Signals : null }
      this.#exits.get(workerId)?.(exit)
      this.#exits.delete(workerId)
      if (this.#heldWorker !== workerId) return
      const held = this.#held
      this.#held = null
      held?.lost(new NodeError('ERR_NODE_WORKER_LOST', typeof message === 'string' ? message : `worker ${workerId} was lost`,
        { workerId, ...exit }))
    }
  }
}
