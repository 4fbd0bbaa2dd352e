/**
 * create: machines of the 10-state relations schema created per second (in this process), and retained heap per
 * idle machine (100 000 kept alive, measured after GC in a child process started with --expose-gc, one per library
 * so heaps do not mix).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { HeapResult } from '../heap-child.js'
import { amKit, CYCLE, type Kit, polyKit, xsKit } from '../models/relations.js'
import { type Case, type Check, LIBS, type Lib, measure, type Row, rows, type Scenario } from '../run.js'

const run = promisify(execFile)
const CHILD = fileURLToPath(new URL('../heap-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

function createCase<T>(kit: Kit<T>): Case & { last: () => T | null } {
  let last: T | null = null
  return {
    lib: kit.lib,
    opsPerCall: 1,
    fn: () => {
      last = kit.create(null)
    },
    last: () => last,
  }
}

/** The last machine created while timing, stepped through setup and a cycle: it must behave like the others. */
function finalOf<T>(kit: Kit<T>, m: T | null): string {
  if (m === null) return '(none created)'
  const d = kit.drive(m, { enter: 0, state: 0 })
  d.step(CYCLE.length - 1)
  d.cycle()
  return d.active().join(' ')
}

async function heap(lib: Lib, count: number): Promise<HeapResult> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, lib, String(count)], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as HeapResult
}

export const create: Scenario = {
  name: 'create',
  title: 'create: new idle 10-state machines (ns per machine) and retained heap per idle machine',
  async run(opts, quick) {
    const poly = createCase(polyKit)
    const xs = createCase(xsKit)
    const am = createCase(amKit)
    const m = await measure([poly, xs, am], opts)
    const finals = [
      { lib: 'polymachine', s: finalOf(polyKit, poly.last()) },
      { lib: 'xstate', s: finalOf(xsKit, xs.last()) },
      { lib: 'asyncmachine', s: finalOf(amKit, am.last()) },
    ]
    const count = quick ? 2_000 : 100_000
    // Full runs measure one library at a time (children would compete for the CPU); quick runs only need results.
    const heaps: HeapResult[] = []
    if (quick) heaps.push(...(await Promise.all(LIBS.map((lib) => heap(lib, count)))))
    else for (const lib of LIBS) heaps.push(await heap(lib, count))
    const memRows: Row[] = LIBS.map((lib, i) => {
      const bytes = (heaps[i] as HeapResult).bytes
      return {
        label: `${lib} heap`, lib, nsPerOp: NaN, bestNs: NaN, opsPerSec: NaN, spread: null,
        ratio: bytes / (heaps[0] as HeapResult).bytes, unit: `${(bytes / 1024).toFixed(2)} KB / machine`,
      }
    })
    const all = [...finals.map((f) => f.s), ...heaps.map((h) => h.final.join(' '))]
    const check: Check = {
      name: 'create: created machines behave alike (setup + one cycle)',
      ok: all.every((s) => s === all[0]),
      detail: `timed: ${finals.map((f) => `${f.lib} (${f.s})`).join(', ')}; heap children: ` +
        LIBS.map((lib, i) => `${lib} (${(heaps[i] as HeapResult).final.join(' ')})`).join(', '),
    }
    const polyBytes = (heaps[0] as HeapResult).bytes
    return {
      rows: [...rows(m), ...memRows],
      checks: [check],
      goals: [
        { name: 'memory ≤2 KB per idle 10-state machine', pass: polyBytes <= 2048, detail: `${polyBytes.toFixed(0)} bytes` },
      ],
      notes: [`Heap: ${count.toLocaleString('en')} idle machines kept alive per library, heapUsed after forced GC.`,
        'XState: an idle machine is a started actor (createActor(machine).start()); the machine definition is shared.'],
    }
  },
}
