/**
 * A polymachine-only loop for CPU profiles (no other library in the process, so the profile is all polymachine):
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx tools/bench/profile.ts <toggle|relations|handlers> [seconds]
 * Summarise the .cpuprofile with `npx tsx tools/bench/prof-summary.ts <file>` (see there for per-line profiles).
 */
import { CYCLE, polyKit, relDriver } from './models/relations.js'
import { toggleCases } from './scenarios/toggle.js'

const LOOPS: Readonly<Record<string, () => { fn: () => void; ops: number }>> = {
  toggle: () => {
    const c = toggleCases()[0]
    if (!c || !('fn' in c)) throw new Error('toggle: no polymachine case')
    return { fn: c.fn, ops: c.opsPerCall }
  },
  relations: () => ({ fn: relDriver(polyKit, false).cycle, ops: CYCLE.length }),
  handlers: () => ({ fn: relDriver(polyKit, true).cycle, ops: CYCLE.length }),
}

const name = process.argv[2] ?? 'toggle'
const seconds = Number(process.argv[3] ?? 5)
const make = LOOPS[name]
if (!make) {
  console.error(`usage: profile.ts <${Object.keys(LOOPS).join('|')}> [seconds]`)
  process.exit(2)
}
const { fn, ops } = make()
const end = Date.now() + seconds * 1000
let calls = 0
while (Date.now() < end) {
  for (let i = 0; i < 10_000; i++) fn()
  calls += 10_000
}
console.log(`${name}: ${((seconds * 1e9) / (calls * ops)).toFixed(0)} ns per mutation`)
