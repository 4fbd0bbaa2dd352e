/**
 * Pipes that feed each other: a multi state piped both ways re-enters forever. Replays share a budget per turn of
 * the event loop, so the cycle runs in macrotasks past it: timers still fire and dispose() ends it. Runs in a child
 * process, since a regression would starve the runner's event loop.
 */
import { expect, it } from 'vitest'
import { schema, Machine } from '../../lib/index.js'
import { pipe } from '../../lib/states/index.js'
import { runChild } from '../support/child.js'

it('a multi state piped both ways does not starve timers; disposing a pipe ends the cycle', async () => {
  const r = await runChild(`
import { schema, Machine } from 'polymachine-src'
import { pipe } from 'polymachine-src/states'
const ss = schema({ Ping: { multi: true } })
const a = new Machine(ss, { id: 'a' })
const b = new Machine(ss, { id: 'b' })
const ab = pipe.add(a, b, 'Ping')
pipe.add(b, a, 'Ping')
a.add('Ping')
const t0 = Date.now()
await new Promise((res) => setTimeout(res, 20))
const during = a.tick('Ping')
ab.dispose()
await new Promise((res) => setTimeout(res, 20))
const after = a.tick('Ping')
await new Promise((res) => setTimeout(res, 20))
console.log(JSON.stringify({ during, stopped: a.tick('Ping') === after, late: Date.now() - t0 }))
`, 20_000)
  expect(r.timedOut, r.stderr).toBe(false)
  expect(r.faults).toBe(0)
  expect(r.code, r.stderr).toBe(0)
  const out = JSON.parse(r.stdout.trim()) as { during: number; stopped: boolean }
  // the cycle was running (many re-entries) when the timer fired, and stopped once one pipe was gone
  expect(out.during).toBeGreaterThan(1000)
  expect(out.stopped).toBe(true)
}, 30_000)

it('replays keep the source order when a burst spans many transitions', async () => {
  const ss = schema({ A: {}, B: { multi: true } })
  const src = new Machine(ss)
  const dst = new Machine(ss)
  pipe.bind(src, dst, 'A')
  pipe.add(src, dst, 'B')
  for (let i = 0; i < 6000; i++) {
    src.toggle('A')
    src.add('B')
  }
  src.add('A')
  await new Promise((res) => setTimeout(res, 50))
  expect(dst.tick('A')).toBe(src.tick('A'))
  expect(dst.tick('B')).toBe(src.tick('B'))
  expect(dst.is('A')).toBe(true)
})
