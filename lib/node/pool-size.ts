/**
 * Sizing the pool: how many workers are live, how many are wanted for the load, and which worker takes the next
 * job or client: functions over the supervisor's worker records (and `showStatus`, which writes them to its states).
 */
import type { Machine } from '../machine/index.js'
import type { PoolConfig } from './options.js'
import type { PoolWorker } from './pool-worker.js'
import type { SupervisorStateNames } from './supervisor.schema.js'

/** Workers that count towards the size: starting or ready (not retiring). */
export function liveCount(workers: Iterable<PoolWorker>): number {
  let n = 0
  for (const w of workers) if (w.status === 'spawning' || w.status === 'ready') n++
  return n
}

/** Wanted: enough for the runs (in flight and queued), every lease (held or awaited), `warm` spares; min..max. */
export function wantedSize(workers: Iterable<PoolWorker>, queued: number, waitingLeases: number,
  cfg: Pick<PoolConfig, 'min' | 'max' | 'warm' | 'tasksPerWorker'>): number {
  let load = queued
  let leased = waitingLeases
  for (const w of workers) {
    if (w.lease !== null) leased++
    else load += w.inFlight
  }
  const need = Math.ceil(load / cfg.tasksPerWorker) + leased + cfg.warm
  return Math.min(cfg.max, Math.max(cfg.min, need))
}

/** Ready and starting workers, and whether a ready one has room for a job. */
export function poolCounts(workers: Iterable<PoolWorker>, tasksPerWorker: number):
  { ready: number; spawning: number; available: boolean } {
  let ready = 0
  let spawning = 0
  let available = false
  for (const w of workers) {
    if (w.status === 'spawning') spawning++
    if (w.status !== 'ready') continue
    ready++
    if (w.lease === null && w.inFlight < tasksPerWorker) available = true
  }
  return { ready, spawning, available }
}

/** The least busy ready, unleased worker with room (for a lease: with nothing in flight); null if none. */
export function pickWorker(workers: Iterable<PoolWorker>, forLease: boolean, tasksPerWorker: number): PoolWorker | null {
  let best: PoolWorker | null = null
  for (const w of workers) {
    if (w.status !== 'ready' || w.lease !== null || w.jobs === null || w.jobs.lost !== null) continue
    if (forLease ? w.inFlight > 0 : w.inFlight >= tasksPerWorker) continue
    if (best === null || w.inFlight < best.inFlight) best = w
  }
  return best
}

/**
 * Shows the counts as the pool's states (PoolReady or PoolStarting, NormalizingPool, WorkersAvailable). Called twice
 * per job, so the machine is read only when the counts say something else than `last`; returns the new `last`
 * (bits: ready ≥ min, spawning, available).
 */
export function showStatus(m: Machine<SupervisorStateNames>, workers: Iterable<PoolWorker>,
  cfg: Pick<PoolConfig, 'min' | 'tasksPerWorker'>, last: number): number {
  const { ready, spawning, available } = poolCounts(workers, cfg.tasksPerWorker)
  const key = (ready >= cfg.min ? 1 : 0) | (spawning > 0 ? 2 : 0) | (available ? 4 : 0)
  if (key === last && m.is('PoolReady') === (key & 1) > 0) return key
  if (ready >= cfg.min) {
    if (m.not('PoolReady')) m.add('PoolReady')
  } else if (m.not('PoolStarting')) m.add('PoolStarting')
  if (spawning > 0 !== m.is('NormalizingPool')) m[spawning > 0 ? 'add' : 'remove']('NormalizingPool')
  if (available !== m.is('WorkersAvailable')) m[available ? 'add' : 'remove']('WorkersAvailable')
  return key
}
