/**
 * The shared runner. Sub-microsecond operations cannot be timed one call at a time (a timer read costs more than a
 * polymachine mutation), so each sample times a calibrated batch of calls. Libraries are interleaved round by round,
 * in a rotating order, so CPU frequency drift and neighbours on a shared machine hit every library alike; the
 * median sample is reported.
 */

export type Lib = 'polymachine' | 'xstate' | 'asyncmachine'
export const LIBS: readonly Lib[] = ['polymachine', 'xstate', 'asyncmachine']

interface CaseBase {
  /** Row label; defaults to the library name. */
  readonly label?: string
  readonly lib: Lib
  /** Operations (mutations, creations, resolutions) done by one call. */
  readonly opsPerCall: number
  /** Active states after the run, compared across libraries. */
  readonly final?: () => readonly string[]
}
export interface SyncCase extends CaseBase {
  readonly fn: () => void
}
export interface AsyncCase extends CaseBase {
  readonly afn: () => Promise<void>
}
export type Case = SyncCase | AsyncCase

export interface RunOptions {
  /** Measuring time per case, in ms (split over the rounds). */
  readonly timeMs: number
  /** Target duration of one sample, in ms. */
  readonly sampleMs: number
}

export const FULL: RunOptions = { timeMs: 1500, sampleMs: 20 }
export const QUICK: RunOptions = { timeMs: 40, sampleMs: 4 }

export interface Measured {
  readonly label: string
  readonly lib: Lib
  readonly nsPerOp: number
  /** The fastest sample: on a busy machine, closer to the cost without interference than the median. */
  readonly bestNs: number
  readonly opsPerSec: number
  /** Interquartile range of the samples relative to the median: a noise indicator. */
  readonly spread: number
  readonly samples: number
  readonly final: readonly string[] | null
}

export interface Row {
  readonly label: string
  readonly lib: Lib
  readonly nsPerOp: number
  readonly bestNs: number
  readonly opsPerSec: number
  /** nsPerOp / polymachine's nsPerOp in the same scenario (> 1: slower than polymachine). */
  readonly ratio: number | null
  readonly spread: number | null
  /** Free text for non-timing rows (memory). */
  readonly unit?: string
}

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

export interface Goal {
  readonly name: string
  readonly pass: boolean
  readonly detail: string
}

export interface Report {
  readonly rows: Row[]
  readonly checks: Check[]
  readonly goals: Goal[]
  readonly notes: string[]
}

export interface Scenario {
  readonly name: string
  readonly title: string
  run(opts: RunOptions, quick: boolean): Promise<Report>
}

const now = (): bigint => process.hrtime.bigint()

/** Times `calls` calls of a case; returns nanoseconds. */
async function sample(c: Case, calls: number): Promise<number> {
  if ('fn' in c) {
    const fn = c.fn
    const t0 = now()
    for (let i = 0; i < calls; i++) fn()
    return Number(now() - t0)
  }
  const afn = c.afn
  const t0 = now()
  for (let i = 0; i < calls; i++) await afn()
  return Number(now() - t0)
}

/** Finds the number of calls that takes about `sampleMs`; doubles as warm-up (lets the JIT settle). */
async function calibrate(c: Case, sampleMs: number): Promise<number> {
  const target = sampleMs * 1e6
  let calls = 1
  for (;;) {
    const ns = await sample(c, calls)
    if (ns >= target / 4 || calls >= 1 << 24) return Math.max(1, Math.round((calls * target) / Math.max(ns, 1)))
    calls *= ns < target / 64 ? 8 : 2
  }
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const a = sorted[lo] as number
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number
  return a + (b - a) * (pos - lo)
}

/** Measures every case, interleaved; returns them in input order. */
export async function measure(cases: readonly Case[], opts: RunOptions): Promise<Measured[]> {
  const calls: number[] = []
  for (const c of cases) calls.push(await calibrate(c, opts.sampleMs))
  const samples: number[][] = cases.map(() => [])
  const rounds = Math.max(3, Math.round(opts.timeMs / opts.sampleMs))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length
      const c = cases[i] as Case
      const n = calls[i] as number
      ;(samples[i] as number[]).push((await sample(c, n)) / (n * c.opsPerCall))
    }
  }
  return cases.map((c, i) => {
    const s = (samples[i] as number[]).slice().sort((a, b) => a - b)
    const median = quantile(s, 0.5)
    return {
      label: c.label ?? c.lib,
      lib: c.lib,
      nsPerOp: median,
      bestNs: s[0] as number,
      opsPerSec: 1e9 / median,
      spread: (quantile(s, 0.75) - quantile(s, 0.25)) / median,
      samples: s.length,
      final: c.final ? [...c.final()].sort() : null,
    }
  })
}

/** Rows with the ratio to the polymachine case of the same list (the first polymachine one). */
export function rows(measured: readonly Measured[]): Row[] {
  const base = measured.find((m) => m.lib === 'polymachine')
  return measured.map((m) => ({
    label: m.label,
    lib: m.lib,
    nsPerOp: m.nsPerOp,
    bestNs: m.bestNs,
    opsPerSec: m.opsPerSec,
    ratio: base ? m.nsPerOp / base.nsPerOp : null,
    spread: m.spread,
  }))
}

/** Every case that reported final states must report the same ones. */
export function sameFinal(name: string, measured: readonly Measured[]): Check {
  const withFinal = measured.filter((m) => m.final !== null)
  const show = (m: Measured): string => `${m.label}: (${(m.final ?? []).join(' ')})`
  const first = withFinal[0]
  if (!first) return { name, ok: false, detail: 'no case reported its final states' }
  const key = (m: Measured): string => (m.final ?? []).join(' ')
  const ok = withFinal.every((m) => key(m) === key(first))
  return { name, ok, detail: ok ? `all ended in (${key(first)})` : withFinal.map(show).join('; ') }
}

/** `ratio ≥ factor` for every named library: "polymachine at least `factor`× faster". */
export function fasterGoal(name: string, measured: readonly Measured[], factor: number, libs: readonly Lib[]): Goal {
  const poly = measured.find((m) => m.lib === 'polymachine')
  if (!poly) return { name, pass: false, detail: 'no polymachine case' }
  const parts = libs.map((lib) => {
    const other = measured.find((m) => m.lib === lib)
    return { lib, ratio: other ? other.nsPerOp / poly.nsPerOp : 0 }
  })
  const pass = parts.every((p) => p.ratio >= factor)
  const detail = parts.map((p) => `${p.lib} ${fmtRatio(p.ratio)}`).join(', ') + ` (need ≥${factor}×)`
  return { name, pass, detail }
}

/** The "≈≤250 ns per mutation" for polymachine. */
export function perMutationGoal(what: string, measured: readonly Measured[]): Goal {
  const poly = measured.find((m) => m.lib === 'polymachine')
  if (!poly) return { name: `${what} ≤250 ns per mutation`, pass: false, detail: 'no polymachine case' }
  return { name: `${what}: polymachine ≤250 ns per mutation`, pass: poly.nsPerOp <= 250, detail: `${poly.nsPerOp.toFixed(0)} ns` }
}

export function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`
  return `${ns.toFixed(ns >= 100 ? 0 : 1)} ns`
}

export function fmtOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M/s`
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k/s`
  return `${ops.toFixed(0)} /s`
}

export function fmtRatio(r: number): string {
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`
}
