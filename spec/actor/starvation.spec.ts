/**
 * Delivery yields to the event loop: an actor that tells itself forever (sync or async handler) or two actors
 * ping-ponging must not keep timers from firing. Runs in a child process: a regression would spin its event loop
 * for ever, which the child's kill time-out turns into a failure.
 */
import { expect, it } from 'vitest'
import { runChild } from '../support/child.js'

it('self-telling and ping-ponging actors let a setTimeout fire, and stop when asked', async () => {
  const run = await runChild(`
import { schema } from 'polymachine-src'
import { ActorSystem, type ActorEvent } from 'polymachine-src/actor'
const s = schema({ Loop: { multi: true }, Ping: { multi: true } })
const system = new ActorSystem()
let sync = 0, async_ = 0, pings = 0
const a = system.spawn(s, { LoopState: (e: ActorEvent) => { sync++; e.self.tell('Loop') } }, { id: 'sync' })
const b = system.spawn(s, { LoopState: async (e: ActorEvent) => { async_++; e.self.tell('Loop') } }, { id: 'async' })
const refs: Record<string, { tell(m: string): void }> = {}
const h = (other: string) => ({ PingState: () => { pings++; refs[other]?.tell('Ping') } })
refs.p = system.spawn(s, h('q'), { id: 'p' })
refs.q = system.spawn(s, h('p'), { id: 'q' })
a.tell('Loop'); b.tell('Loop'); refs.p.tell('Ping')
const t0 = Date.now()
await new Promise((r) => setTimeout(r, 20))
const waited = Date.now() - t0
const counts = { sync, async_, pings }
await system.shutdown({ timeout: 100 })
console.log(JSON.stringify({ waited, ...counts }))
`, 20_000)
  expect(run.timedOut).toBe(false)
  expect(run.faults).toBe(0)
  const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>
  // the timer fired (not starved), and every loop made progress meanwhile
  expect(out.waited).toBeLessThan(5_000)
  expect(out.sync).toBeGreaterThan(0)
  expect(out.async_).toBeGreaterThan(0)
  expect(out.pings).toBeGreaterThan(0)
})
