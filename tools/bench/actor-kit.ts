/**
 * Shared by the actor scenarios (actors, supervision) and their heap child: the message schema, percentiles of
 * single-operation latencies, rows for figures that are not batch timings, and the heap child runner.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { schema } from '../../lib/machine/index.js'
import type { Row } from './run.js'

/** Messages are multi states; Work counts, Echo answers, Crash throws. */
export const MSGS = schema({ Work: { multi: true }, Echo: { multi: true }, Crash: { multi: true } })

export const now = (): bigint => process.hrtime.bigint()

/** What the heap child prints: retained bytes per actor, and how many actors were live (Ready or answered). */
export interface ActorHeap {
  readonly bytes: number
  readonly live: number
  readonly count: number
}

export type HeapMode = 'actor' | 'keyed'

const run = promisify(execFile)
const CHILD = fileURLToPath(new URL('./actor-heap-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Retained heap per actor, measured in a child process with --expose-gc (a clean heap, forced GCs). */
export async function actorHeap(mode: HeapMode, count: number): Promise<ActorHeap> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, mode, String(count)], {
    cwd: ROOT,
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as ActorHeap
}

/**
 * Quick runs start the heap child at once, overlapping the timings (their figures are meaningless anyway, and the
 * child's startup is most of a quick run); full runs start it when asked, so that it competes with nothing.
 */
export function heapLater(quick: boolean, mode: HeapMode, count: number): () => Promise<ActorHeap> {
  if (!quick) return () => actorHeap(mode, count)
  const p = actorHeap(mode, count)
  p.catch(() => undefined) // rejections surface where it is awaited, not as unhandled
  return () => p
}

/** Quantile of an ascending list (nearest rank: a value that was actually observed). */
export function pct(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

/** p50 and p99 rows for single-operation latencies (ns); `best` is the fastest one. */
export function latencyRows(label: string, ns: readonly number[]): Row[] {
  const s = [...ns].sort((a, b) => a - b)
  const row = (q: number): Row => {
    const v = pct(s, q)
    return {
      label: `${label} p${q * 100}`, lib: 'polymachine', nsPerOp: v, bestNs: s[0] ?? NaN, opsPerSec: 1e9 / v,
      ratio: null, spread: null,
    }
  }
  return [row(0.5), row(0.99)]
}

/** A row that carries text instead of a timing (memory). */
export function textRow(label: string, unit: string): Row {
  return { label, lib: 'polymachine', nsPerOp: NaN, bestNs: NaN, opsPerSec: NaN, ratio: null, spread: null, unit }
}

/** A row for one timed run of `ops` operations (no samples to take a median of). */
export function onceRow(label: string, ns: number, ops: number): Row {
  const per = ns / ops
  return { label, lib: 'polymachine', nsPerOp: per, bestNs: per, opsPerSec: 1e9 / per, ratio: null, spread: null }
}
