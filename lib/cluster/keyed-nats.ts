/**
 * Cluster keyed actors over NATS: a node's lease table (`NatsLeases`, the KV bucket `<prefix>_lease_<name>`), its
 * subscription `<prefix>.k.<name>.<node>` taking the messages for the keys it holds, and the transport forwarding
 * messages to other nodes on theirs. Bodies are the remote actor wire format; the key travels in a header, and a
 * node that does not hold the key answers with the kind header `moved`.
 */
import type { NatsConnection } from '@nats-io/transport-node'
import { ClusterError } from './errors.js'
import { MOVED } from './keyed-owner.js'
import { ClusterKeyed, localKeyed, type ClusterKeyedOptions, type KeyedTransport } from './keyed.js'
import type * as NatsRuntime from './nats-runtime.js'
import { decodeCancel, encodeCancel } from './remote-actor.js'
import { readMeta, writeMeta } from './trace.js'

/** Header with a keyed message's key (base64url). */
const KEY_HEADER = 'pm-key'

/** What a keyed set needs from its `NatsBus`. */
export interface NatsKeyedHost {
  rt: typeof NatsRuntime
  nc: NatsConnection
  prefix: string
  /** The bus id: this node's name in leases and subjects. */
  node: string
  timeout: number
}

/** Opens keyed set `name` on a NatsBus node; `forget` runs when it closes. */
export async function openNatsKeyed<N extends string, H extends object, S, D, M extends N>(host: NatsKeyedHost, name: string,
  options: ClusterKeyedOptions<N, H, S, D, M>, forget: () => void): Promise<ClusterKeyed<N, H, S, D, M>> {
  const { rt, nc, prefix, node } = host
  const { checked, local } = localKeyed(name, options, host.timeout)
  const token = Buffer.from(name, 'utf8').toString('base64url')
  let table
  try {
    table = await rt.NatsLeases.open(nc, `${prefix}_lease_${token}`, checked.leaseTtl)
  } catch (err) {
    await local.supervisor.stop()
    throw new ClusterError('ERR_CLUSTER_NETWORK', `bus.keyed(): cannot open the lease bucket of ${name} (JetStream on?): ${String(err)}`, { cause: err })
  }
  const subject = (to: string): string => `${prefix}.k.${token}.${rt.idToken(to)}`
  const keyHeaders = (key: string): ReturnType<typeof rt.headers> => {
    const h = rt.headers()
    h.set(KEY_HEADER, Buffer.from(key, 'utf8').toString('base64url'))
    return h
  }
  const transport: KeyedTransport = {
    forward: async (to, key, body, timeout, meta) => {
      const h = keyHeaders(key)
      if (meta !== undefined) writeMeta(h, meta) // message id and trace context, as remote actor messages carry them
      let reply
      try {
        reply = await nc.request(subject(to), body, { headers: h, timeout })
      } catch (err) {
        if (rt.isNoResponders(err)) throw new ClusterError('ERR_CLUSTER_NOT_FOUND', `keyed ${name}: node ${to} is gone`, { cause: err })
        throw new ClusterError('ERR_CLUSTER_NETWORK', `keyed ${name}: request to ${to} failed: ${String(err)}`, { cause: err })
      }
      return reply.headers?.get(rt.KIND_HEADER) === 'moved' ? MOVED : reply.data
    },
    cancel: (to, key, id) => {
      const h = keyHeaders(key)
      h.set(rt.KIND_HEADER, 'cancel')
      try {
        nc.publish(subject(to), encodeCancel(id), { headers: h })
      } catch { /* closed: the remote handler's own deadline still ends it */ }
    },
  }
  const late: { k?: ClusterKeyed<N, H, S, D, M> } = {}
  const sub = nc.subscribe(subject(node), { callback: (err, msg) => {
    const k = late.k
    if (err || !k) return
    const key = Buffer.from(msg.headers?.get(KEY_HEADER) ?? '', 'base64url').toString('utf8')
    if (key === '') return // not ours
    if (msg.headers?.get(rt.KIND_HEADER) === 'cancel') {
      const id = decodeCancel(msg.data)
      if (id !== undefined) k.cancelHere(key, id)
      return
    }
    const meta = readMeta(msg.headers)
    void k.serve(key, msg.data, meta?.id ? meta : undefined).then((r) => {
      if (!msg.reply) return
      try {
        if (r !== MOVED) msg.respond(r)
        else {
          const h = rt.headers()
          h.set(rt.KIND_HEADER, 'moved')
          msg.respond(undefined, { headers: h })
        }
      } catch { /* the connection closed: the sender times out or sees it closed */ }
    })
  } })
  const k = new ClusterKeyed(name, node, checked, local, table, transport, async () => {
    forget()
    sub.unsubscribe()
    await nc.flush().catch(() => undefined)
  })
  late.k = k
  try {
    await nc.flush() // the subscription is on the server before this node can take any lease
  } catch (err) {
    await k.close()
    throw new ClusterError('ERR_CLUSTER_NETWORK', `bus.keyed(): cannot subscribe for ${name}: ${String(err)}`, { cause: err })
  }
  return k
}
