/**
 * Presence heartbeats against a fake KV bucket (no server): a beat while the last one's puts are unanswered is
 * skipped, so a slow or unreachable server does not pile puts up.
 */
import { describe, expect, it } from 'vitest'
import { Presence } from '../../lib/cluster/presence.js'

describe('Presence', () => {
  it('skips a heartbeat while the last one is in flight, and beats again once it is answered', async () => {
    const pending: (() => void)[] = []
    const kv = { put: () => new Promise<number>((resolve) => pending.push(() => resolve(1))) }
    const errors: unknown[] = []
    const make = Presence as unknown as new (kv: unknown, jsm: unknown, bucket: string, onError: (e: unknown) => void) => Presence
    const p = new make(kv, {}, 'b', (e) => errors.push(e))
    const add = p.add({ id: 'm', tags: [], parent: null, node: 'n' })
    pending.shift()!()
    await add
    p.beat()
    p.beat() // the server has not answered the first: nothing more is sent
    p.beat()
    expect(pending).toHaveLength(1)
    pending.shift()!()
    await new Promise((r) => setTimeout(r, 0))
    p.beat()
    expect(pending).toHaveLength(1)
    p.beat(true) // after a reconnection: beats even with one in flight
    expect(pending).toHaveLength(2)
    expect(errors).toEqual([])
    p.stop()
  })
})
