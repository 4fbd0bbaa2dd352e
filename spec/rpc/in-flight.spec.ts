import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Result } from '../../lib/index.js'
import {
  checksum, connect, Msg, MutationKind, PROTOCOL_VERSION, schemaHash, schemaToWire, type Message,
} from '../../lib/rpc/index.js'
import { Cleanup, RawPeer, rawServer, SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

const n = SourceSchema.names.length
const time = new Array<number>(n).fill(0)
const fast = { retries: 50, minDelay: 5, maxDelay: 20 }

/** A fake server: each connection is a RawPeer the test drives; `welcome(peer)` completes its handshake. */
async function fakeServer(): Promise<{ url: string; next(): Promise<RawPeer>; close(): Promise<void> }> {
  const peers: RawPeer[] = []
  let wake: () => void = () => undefined
  const srv = c.add(await rawServer((s: Socket) => {
    peers.push(RawPeer.wrap(s))
    wake()
  }))
  let taken = 0
  return {
    url: srv.url,
    close: () => srv.close(),
    async next() {
      while (peers.length <= taken) await new Promise<void>((r) => (wake = r))
      return peers[taken++]!
    },
  }
}

async function welcome(peer: RawPeer): Promise<void> {
  await peer.until((m) => m.length >= 1)
  peer.send({ type: Msg.Welcome, version: PROTOCOL_VERSION, serverId: 'fake', sourceId: 'fake-src',
    schemaHash: schemaHash(SourceSchema), schema: schemaToWire(SourceSchema), time, queueTick: 1 })
}

const sent = (peer: RawPeer): Message[] => peer.parsed().slice(1).filter((m): m is Message => m !== null)

describe('rpc requests in flight when the connection drops', () => {
  it('with reconnect: dry runs, pings and whenArgs watches are sent again with their ids; a mutation is not, it rejects ERR_RPC_OUTCOME_UNKNOWN', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url, { reconnect: fast, keepAlive: 0 })
    const first = await fake.next()
    await welcome(first)
    const remote = c.add(await remoteP)
    const add = remote.add('Start', { n: 1 }).catch((e: unknown) => e)
    const can = remote.canAdd('Ready')
    const ping = remote.ping()
    const watch = remote.whenArgs('Job', { id: 7 })
    await first.until((m) => m.length >= 5)
    const before = sent(first)
    expect(before.map((m) => m.type)).toEqual([Msg.Mutate, Msg.Mutate, Msg.Ping, Msg.Watch])
    await first.close() // nothing answered: the outcome of the add is unknown to the client

    const err = await add
    expect(err).toMatchObject({ name: 'RpcError', code: 'ERR_RPC_OUTCOME_UNKNOWN' })
    expect((err as Error).message).toMatch(/whether the source ran the mutation is unknown/)
    const second = await fake.next()
    await welcome(second)
    await second.until((m) => m.length >= 4)
    const again = sent(second)
    // the same requests, the same ids; no MUTATE of kind add
    expect(again).toEqual(before.slice(1))
    expect(again.some((m) => m.type === Msg.Mutate && m.kind === MutationKind.Add)).toBe(false)
    const canId = (again[0] as Extract<Message, { type: 6 }>).id
    second.send({ type: Msg.Reply, id: canId, result: Result.Canceled, pairs: [], queueTick: 1, checksum: checksum(time, 1) })
    second.send({ type: Msg.Pong, n: (again[1] as Extract<Message, { type: 10 }>).n })
    second.send({ type: Msg.Matched, id: (again[2] as Extract<Message, { type: 12 }>).id })
    expect(await can).toBe(Result.Canceled)
    expect(await ping).toBeGreaterThan(0)
    await watch
    expect(remote.reconnects).toBe(1)
  })

  it('without reconnect: a mutation rejects ERR_RPC_OUTCOME_UNKNOWN, safe requests ERR_RPC_CLOSED', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url, { keepAlive: 0 })
    const peer = await fake.next()
    await welcome(peer)
    const remote = c.add(await remoteP)
    const calls = [remote.toggle('Busy'), remote.canRemove('Busy'), remote.ping(), remote.whenArgs('Job', {})]
      .map((p) => (p as Promise<unknown>).catch((e: unknown) => e))
    await peer.until((m) => m.length >= 5)
    await peer.close()
    const codes = (await Promise.all(calls)).map((e) => (e as { code?: string }).code)
    expect(codes).toEqual(['ERR_RPC_OUTCOME_UNKNOWN', 'ERR_RPC_CLOSED', 'ERR_RPC_CLOSED', 'ERR_RPC_CLOSED'])
  })

  it('when reconnecting gives up, the requests kept for it reject ERR_RPC_CLOSED; close() rejects them too', async () => {
    const fake = await fakeServer()
    const remoteP = connect<typeof SourceSchema>(fake.url, { reconnect: { retries: 2, minDelay: 5, maxDelay: 5 }, keepAlive: 0,
      timeout: 5000 })
    const peer = await fake.next()
    await welcome(peer)
    const remote = c.add(await remoteP)
    const can = remote.canAdd('Start').catch((e: unknown) => e)
    await peer.until((m) => m.length >= 2)
    await fake.close()
    await peer.close()
    expect(await can).toMatchObject({ code: 'ERR_RPC_CLOSED' })
    expect(remote.client.is('Reconnecting')).toBe(false)

    const fake2 = await fakeServer()
    const remoteP2 = connect<typeof SourceSchema>(fake2.url, { reconnect: { retries: 1000, minDelay: 50, maxDelay: 50 },
      keepAlive: 0 })
    const peer2 = await fake2.next()
    await welcome(peer2)
    const remote2 = await remoteP2
    const ping = remote2.ping().catch((e: unknown) => e)
    await peer2.until((m) => m.length >= 2)
    await peer2.close()
    await remote2.client.when('Reconnecting')
    await remote2.close()
    expect(await ping).toMatchObject({ code: 'ERR_RPC_CLOSED' })
  })
})
