/**
 * The tracer's receive hook around an incoming message: whatever the hook does, the message runs exactly once (a
 * hook that forgets to call `handle()` must not drop it: a tell would be acknowledged and never run).
 */
import { afterEach, expect, it } from 'vitest'
import { setClusterTracing } from '../../lib/cluster/index.js'
import { received, type MessageMeta } from '../../lib/cluster/trace.js'

const meta: MessageMeta = { id: 'm1', trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }
afterEach(() => { setClusterTracing(null) })

it('a receive hook that returns without handling: the message still runs, once', () => {
  setClusterTracing({ receive: () => undefined as never })
  let runs = 0
  expect(received('tell', 'echo', 'Note', meta, () => ++runs)).toBe(1)
  expect(runs).toBe(1)
})

it('a receive hook that handles it: runs once, its result is returned', () => {
  const seen: string[] = []
  setClusterTracing({ receive: (m, handle) => { seen.push(`${m.kind} ${m.target} ${m.id}`); return handle() } })
  let runs = 0
  expect(received('ask', 'echo', 'Echo', meta, () => ++runs)).toBe(1)
  expect(runs).toBe(1)
  expect(seen).toEqual(['ask echo m1'])
})
