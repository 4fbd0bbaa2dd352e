/**
 * Summarises a V8 .cpuprofile: self time per function, or with --lines per source line (with the line's text when
 * the script is a readable file). tsx puts each module on one line, so for --lines profile an esbuild bundle:
 *   npx esbuild tools/bench/profile.ts --bundle --platform=node --format=esm --outfile=/tmp/prof/profile.mjs
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/prof/profile.mjs relations 8
 *   npx tsx tools/bench/prof-summary.ts /tmp/prof/CPU.*.cpuprofile --lines 30
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  positionTicks?: Array<{ line: number; ticks: number }>
}

const args = process.argv.slice(2)
const byLine = args.includes('--lines')
const [file, top = '25'] = args.filter((a) => a !== '--lines')
if (!file) {
  console.error('usage: npx tsx tools/bench/prof-summary.ts <file.cpuprofile> [--lines] [top]')
  process.exit(2)
}
const nodes = (JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] }).nodes
const short = (url: string): string => url.replace(/^.*\/(lib|tools|node_modules)\//, '$1/').replace(/^file:\/\/.*\//, '')

const sources = new Map<string, string[]>()
function text(url: string, line: number): string {
  let src = sources.get(url)
  if (!src) {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url
    src = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []
    sources.set(url, src)
  }
  return (src[line - 1] ?? '').trim().slice(0, 90)
}

const self = new Map<string, number>()
let total = 0
const add = (key: string, ticks: number): void => {
  self.set(key, (self.get(key) ?? 0) + ticks)
  total += ticks
}
for (const n of nodes) {
  const { functionName, url } = n.callFrame
  const fn = functionName || '(anonymous)'
  if (byLine && n.positionTicks?.length && url) {
    for (const p of n.positionTicks) add(`${fn} ${short(url)}:${p.line}  ${text(url, p.line)}`, p.ticks)
    const rest = n.hitCount - n.positionTicks.reduce((s, p) => s + p.ticks, 0)
    if (rest > 0) add(`${fn} ${short(url)}`, rest)
  } else if (n.hitCount > 0) add(`${fn} ${url ? short(url) : ''}`.trim(), n.hitCount)
}
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`)
}
