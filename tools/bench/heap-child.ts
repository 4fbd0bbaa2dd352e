/**
 * Child process of the create scenario: retained heap per idle machine. Run with `--expose-gc` (the create scenario
 * starts it so); prints one JSON line `{ bytes, final }`.
 *   node --expose-gc --import tsx tools/bench/heap-child.ts <polymachine|xstate|asyncmachine> <count>
 */
import { amKit, type Calls, CYCLE, type Kit, polyKit, xsKit } from './models/relations.js'
import type { Lib } from './run.js'

export interface HeapResult {
  readonly bytes: number
  readonly final: readonly string[]
}

const gc = (globalThis as { gc?: () => void }).gc

function settle(): number {
  if (!gc) throw new Error('heap-child needs node --expose-gc')
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed
}

function retained<T>(kit: Kit<T>, count: number): HeapResult {
  // One machine first: shared per-schema structures (relation tables, resolvers) are not per machine.
  const first = kit.create(null)
  const keep = new Array<T | null>(count).fill(null)
  const before = settle()
  for (let i = 0; i < count; i++) keep[i] = kit.create(null)
  const after = settle()
  const last = (keep[count - 1] ?? first) as T
  const calls: Calls = { enter: 0, state: 0 }
  const d = kit.drive(last, calls)
  d.step(CYCLE.length - 1)
  d.cycle()
  return { bytes: (after - before) / count, final: d.active() }
}

const kits: Readonly<Record<Lib, () => HeapResult>> = {
  polymachine: () => retained(polyKit, count),
  xstate: () => retained(xsKit, count),
  asyncmachine: () => retained(amKit, count),
}

const lib = process.argv[2] as Lib
const count = Number(process.argv[3] ?? 100_000)
const run = kits[lib]
if (!run || !Number.isInteger(count) || count < 1) {
  console.error('usage: heap-child.ts <polymachine|xstate|asyncmachine> <count>')
  process.exit(2)
}
process.stdout.write(`${JSON.stringify(run())}\n`)
