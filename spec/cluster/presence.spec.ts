/**
 * Presence heartbeats and session sweeps against fakes (no server): a beat while the last one's puts are unanswered is
 * skipped, and so is a probe of a session whose last probe is: a slow or unreachable peer piles nothing up.
 */
import { describe, expect, it } from 'vitest'
import { SESSION_HEADER, SessionRouter } from '../../lib/cluster/nats-port.js'
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

describe('SessionRouter', () => {
  it('probes a session once at a time: an unanswered probe is not joined by more at every sweep', async () => {
    let route: ((err: unknown, msg: unknown) => void) | undefined
    const probes: (() => void)[] = []
    const nc = {
      subscribe: (_s: string, o: { callback: (err: unknown, msg: unknown) => void }) => { route = o.callback; return { unsubscribe: () => undefined } },
      request: () => new Promise<void>((resolve) => probes.push(resolve)),
      publish: () => undefined,
      isClosed: () => false,
    }
    const router = new SessionRouter(nc as never, 'pm', 'pm.m.x', () => undefined, 5, () => true)
    route!(null, { headers: { get: (k: string) => k === SESSION_HEADER ? 'session01' : undefined }, data: new Uint8Array(), reply: '', respond: () => undefined })
    expect(router.sessions).toBe(1)
    await new Promise((r) => setTimeout(r, 60))
    expect(probes).toHaveLength(1)
    probes.shift()!()
    await new Promise((r) => setTimeout(r, 30))
    expect(probes).toHaveLength(1) // answered: probed again
    router.close()
  })
})
