/**
 * Shared by the actor scenarios (actors, supervision, store) and their heap child: the message schema, percentiles of
 * single-operation latencies, rows for figures that are not batch timings, the heap child runner, and the nact
 * counterparts of the actors scenario.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as nact from 'nact'
import type { Ref } from 'nact'
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

/**
 * nact 7, the same work as the polymachine actors: a counter actor (stateful `spawn`, so messages are handled one
 * at a time in order, like a polymachine actor's mailbox) that answers a query with its count, and an echo actor
 * that answers a query with the number it got. nact's `query` requires a timeout, so every nact ask arms a timer.
 */
export interface NactKit {
  /** Told messages handled so far by the counter. */
  readonly counted: () => number
  tell(): void
  /** A query to the counter: resolves to its count, once every earlier tell was handled. */
  count(): Promise<number>
  /** A query to the echo actor: resolves to `i`. */
  echo(i: number): Promise<number>
  stop(): void
}

type NactMsg = { readonly kind: 'work' } | { readonly kind: 'count'; readonly sender: Ref<number> } |
  { readonly kind: 'echo'; readonly i: number; readonly sender: Ref<number> }

/** The timeout given to every nact query (never reached: a reply comes in microseconds). */
export const NACT_QUERY_TIMEOUT = 60_000

export function nactKit(): NactKit {
  const system = nact.start()
  let handled = 0
  const counter = nact.spawn(system, (state: number, msg: NactMsg): number => {
    if (msg.kind === 'work') {
      handled++
      return state + 1
    }
    if (msg.kind === 'count') nact.dispatch(msg.sender, state)
    return state
  }, 'counter', { initialState: 0 })
  const echo = nact.spawn(system, (state: number, msg: NactMsg): number => {
    if (msg.kind === 'echo') nact.dispatch(msg.sender, msg.i)
    return state
  }, 'echo', { initialState: 0 })
  const work: NactMsg = { kind: 'work' }
  return {
    counted: () => handled,
    tell: () => nact.dispatch(counter, work),
    count: () => nact.query(counter, (sender: Ref<number>): NactMsg => ({ kind: 'count', sender }), NACT_QUERY_TIMEOUT),
    echo: (i) => nact.query(echo, (sender: Ref<number>): NactMsg => ({ kind: 'echo', i, sender }), NACT_QUERY_TIMEOUT),
    stop: () => nact.stop(system),
  }
}
