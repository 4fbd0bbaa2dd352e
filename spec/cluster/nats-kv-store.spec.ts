/**
 * NatsKvStore against a private nats-server: what a shared bucket adds to the Store contract — two connections
 * (two processes) see each other's writes and race on compare-and-set, keys with any characters survive the subject
 * escaping, foreign or damaged entries do not break reads, and a lost server is a StoreIoError, not a hang.
 * (The Store contract itself lives in spec/store/contract.spec.ts, which does not export it yet: see docs/cluster.md.)
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NatsKvStore } from '../../lib/cluster/index.js'
import { decodeKey, encodeKey } from '../../lib/cluster/nats-kv-store.js'
import { compareKeys, StoreConflictError } from '../../lib/store/index.js'
import { storeContract } from '../store/contract.js'
import { hasNatsServer, NatsServer } from '../../tools/nats-server.js'

let server: NatsServer
let nc1: NatsConnection
let nc2: NatsConnection
let buckets = 0

describe.skipIf(!hasNatsServer)('NatsKvStore', () => {
  beforeAll(async () => {
    server = await NatsServer.start()
    nc1 = await connect({ servers: server.url })
    nc2 = await connect({ servers: server.url })
  })
  afterAll(async () => {
    await Promise.all([nc1.close(), nc2.close()])
    await server.stop()
  })
  // The contract every Store passes (spec/store/contract.ts), on a fresh bucket per test.
  storeContract('NatsKvStore', () => NatsKvStore.open(nc1, { bucket: `contract${++buckets}` }))

  const pair = async (): Promise<[NatsKvStore, NatsKvStore]> => {
    const bucket = `kv${++buckets}`
    return [await NatsKvStore.open(nc1, { bucket }), await NatsKvStore.open({ nc: nc2 }, { bucket })]
  }

  it('two connections share one bucket: writes are seen, compare-and-set races have one winner', async () => {
    const [a, b] = await pair()
    const r1 = await a.put('acct/1', { balance: 5 }, { expected: 0 })
    expect(await b.get('acct/1')).toEqual({ key: 'acct/1', value: { balance: 5 }, revision: r1 })
    const racers = await Promise.allSettled([a.put('acct/1', { balance: 6 }, { expected: r1 }), b.put('acct/1', { balance: 7 }, { expected: r1 })])
    expect(racers.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected'])
    const lost = racers.find((x) => x.status === 'rejected')!.reason as StoreConflictError
    expect(lost).toBeInstanceOf(StoreConflictError)
    expect(lost.expected).toBe(r1)
    expect(lost.actual).toBe((await a.get('acct/1'))?.revision)
    // creating races too: a delete, then both recreate with expected 0 — several rounds, as the interleaving varies
    // (a second read of the delete marker once let the loser see the winner's write as the marker and win too)
    for (let round = 0; round < 20; round++) {
      expect(await b.delete('acct/1')).toBe(true)
      const creators = await Promise.allSettled([a.put('acct/1', 'a', { expected: 0 }), b.put('acct/1', 'b', { expected: 0 })])
      expect(creators.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected'])
    }
    await Promise.all([a.close(), b.close()])
  })

  it('keys with any characters survive the subject escaping and keep code point order', async () => {
    const [a] = await pair()
    const keys = ['a.b', 'a*', 'a>', 'sp ace', 'eq=', '=41', 'ünï/😀', '.', 'a..b', '$KV', '\t']
    for (const k of keys) {
      expect(decodeKey(encodeKey(k))).toBe(k)
      expect(encodeKey(k)).toMatch(/^[A-Za-z0-9/_=-]+$/)
      await a.put(k, k)
    }
    const listed = await a.list()
    expect(listed.map((e) => e.key)).toEqual([...keys].sort(compareKeys))
    expect(listed.every((e) => e.value === e.key)).toBe(true)
    expect(decodeKey('=4')).toBeUndefined()
    expect(decodeKey('a.b')).toBeUndefined()
    expect(decodeKey('=61')).toBeUndefined() // 'a' is written as itself, never escaped
    await a.close()
  })

  it('entries written by others: foreign key names are not listed, undecodable values are StoreCorruptError', async () => {
    const [a] = await pair()
    const kv = await new Kvm(nc1).open(`kv${buckets}`)
    await kv.put('=ZZ', 'not ours')
    await a.put('good', 1)
    expect((await a.list()).map((e) => e.key)).toEqual(['good'])
    await kv.put('bad', new Uint8Array([0xc1])) // 0xc1 is never valid msgpack
    await expect(a.get('bad')).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT', key: 'bad' })
    await expect(a.list()).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' }) // as the other stores: not skipped silently
    expect(await a.get('good')).toMatchObject({ value: 1 })
    await a.close()
  })

  it('a lost server rejects with ERR_STORE_IO (no hang); bad arguments are refused at once', async () => {
    const own = await NatsServer.start()
    const nc = await connect({ servers: own.url, maxReconnectAttempts: 0 })
    const store = await NatsKvStore.open(nc, { bucket: 'io' })
    await store.put('k', 1)
    await own.stop()
    await nc.closed()
    await expect(store.get('k')).rejects.toMatchObject({ code: 'ERR_STORE_IO' })
    await expect(store.put('k', 2)).rejects.toMatchObject({ code: 'ERR_STORE_IO' })
    await expect(NatsKvStore.open(nc1, { bucket: 'a.b' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(NatsKvStore.open({} as never, { bucket: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(NatsKvStore.open(nc1, null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })
})
