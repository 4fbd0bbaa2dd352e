/**
 * `npm run bench [-- [--quick] [--markdown] [scenario…]]`
 *
 * Runs the scenarios (all, or those named), prints ns/op, ops/s and the ratio to polymachine, checks that every
 * library ended in the same states, and reports the goals as PASS/MISS. Exits non-zero when a check fails or a
 * scenario throws; a MISS is reported, not failed (speed depends on the machine), so `--quick` works as a CI smoke
 * check.
 */
import os from 'node:os'
import { type Check, fmtNs, fmtOps, fmtRatio, FULL, type Goal, QUICK, type Report, type Row, type Scenario } from './run.js'
import { actors } from './scenarios/actors.js'
import { cluster, clusterKeyed } from './scenarios/cluster.js'
import { create } from './scenarios/create.js'
import { dbg } from './scenarios/dbg.js'
import { handlers } from './scenarios/handlers.js'
import { memo } from './scenarios/memo.js'
import { node } from './scenarios/node.js'
import { otelProm } from './scenarios/otel-prom.js'
import { relations } from './scenarios/relations.js'
import { rpc } from './scenarios/rpc.js'
import { scale } from './scenarios/scale.js'
import { store } from './scenarios/store.js'
import { supervision } from './scenarios/supervision.js'
import { toggle } from './scenarios/toggle.js'
import { waiters } from './scenarios/waiters.js'

const SCENARIOS: readonly Scenario[] = [toggle, relations, handlers, scale, memo, create, waiters, actors, supervision, rpc, node, dbg, otelProm, store, cluster, clusterKeyed]

interface Args {
  quick: boolean
  markdown: boolean
  only: string[]
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, markdown: false, only: [] }
  for (const a of argv) {
    if (a === '--quick') args.quick = true
    else if (a === '--markdown' || a === '--md') args.markdown = true
    else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--markdown] [${SCENARIOS.map((s) => s.name).join('|')} …]`)
      process.exit(0)
    } else if (a.startsWith('-')) fail(`unknown option ${a}`)
    else if (SCENARIOS.some((s) => s.name === a)) args.only.push(a)
    else fail(`unknown scenario '${a}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`)
  }
  return args
}

function fail(msg: string): never {
  console.error(`bench: ${msg}`)
  process.exit(2)
}

function cells(r: Row): [string, string, string, string, string, string] {
  const timing = Number.isFinite(r.nsPerOp)
  return [
    r.label,
    timing ? fmtNs(r.nsPerOp) : (r.unit ?? ''),
    timing ? fmtNs(r.bestNs) : '',
    timing ? fmtOps(r.opsPerSec) : '',
    r.ratio === null ? '' : fmtRatio(r.ratio),
    r.spread === null ? '' : `±${(r.spread * 50).toFixed(0)}%`,
  ]
}

const HEAD = ['case', 'ns/op', 'best', 'ops/s', '× polymachine', 'noise'] as const

function printTable(rows: readonly Row[]): void {
  const table = [HEAD.slice(), ...rows.map(cells)]
  const widths = HEAD.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)))
  for (const [i, row] of table.entries()) {
    console.log('  ' + row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '))
    if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

function markdown(results: ReadonlyArray<{ s: Scenario; r: Report }>, goals: readonly Goal[]): string {
  const out: string[] = [`| scenario | ${HEAD.join(' | ')} |`, `|---|---|${'---:|'.repeat(HEAD.length - 1)}`]
  for (const { s, r } of results) for (const row of r.rows) out.push(`| ${s.name} | ${cells(row).join(' | ')} |`)
  out.push('', '| goal | result | detail |', '|---|---|---|')
  for (const g of goals) out.push(`| ${g.name} | ${g.pass ? 'PASS' : 'MISS'} | ${g.detail} |`)
  return out.join('\n')
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  const opts = args.quick ? QUICK : FULL
  const picked = SCENARIOS.filter((s) => args.only.length === 0 || args.only.includes(s.name))
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(`polymachine bench${args.quick ? ' (--quick: smoke run, figures meaningless)' : ''}`)
  console.log(`${new Date().toISOString()}  node ${process.version}  ${cpu} × ${os.cpus().length}  ${os.platform()} ${os.arch()}`)
  console.log('ns/op: median of interleaved samples; best: fastest sample; ops/s: from the median;')
  console.log('× polymachine: median time relative to polymachine (higher = slower); noise: half the interquartile')
  console.log('range of the samples relative to the median.')

  const results: Array<{ s: Scenario; r: Report }> = []
  const checks: Check[] = []
  const goals: Goal[] = []
  let crashed = false
  for (const s of picked) {
    console.log(`\n${s.title}`)
    try {
      const r = await s.run(opts, args.quick)
      results.push({ s, r })
      printTable(r.rows)
      for (const n of r.notes) console.log(`  note: ${n}`)
      for (const c of r.checks) console.log(`  check ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)
      checks.push(...r.checks)
      goals.push(...r.goals)
    } catch (err) {
      crashed = true
      console.log(`  FAIL scenario threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    }
  }

  console.log('\nGoals')
  for (const g of goals) console.log(`  ${g.pass ? 'PASS' : 'MISS'}  ${g.name}: ${g.detail}`)
  const failed = checks.filter((c) => !c.ok)
  console.log(`\nChecks: ${checks.length - failed.length}/${checks.length} ok${crashed ? ', a scenario threw' : ''}`)
  if (args.markdown) console.log(`\n${markdown(results, goals)}`)
  return failed.length > 0 || crashed ? 1 : 0
}

process.exitCode = await main()
