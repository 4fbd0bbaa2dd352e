/**
 * The Prometheus adapter (issue 16 item 4) with a real prom-client `Registry`: the exposition text parsed back
 * (counters by result, exceptions, queue length and active states at scrape time, the histogram's buckets), series
 * removed on dispose and detach, shared registries, sub-machines, OpenMetrics, a scrape over HTTP, and failures.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Registry, type OpenMetricsContentType } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { Machine, Result, schema, type Event } from '../../lib/index.js'
import { ActorSystem } from '../../lib/actor/index.js'
import { actorMetrics, machineMetrics, type MetricsRegistry } from '../../lib/telemetry/prometheus-entry.js'

/** Samples of an exposition text: `name{a="1",b="2"}` → value (labels sorted, so keys are stable). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`bad sample line: ${line}`)
    const labels = m[2] ? [...m[2].matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((x) => `${x[1]}="${x[2]}"`) : []
    out.set(`${m[1]}{${labels.sort().join(',')}}`, m[3] === '+Inf' ? Infinity : Number(m[3]))
  }
  return out
}

/** The key `parse` gives a sample. */
function key(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`
}

async function scrape(reg: Registry<OpenMetricsContentType> | Registry): Promise<Map<string, number>> {
  return parse(await reg.metrics())
}

const ss = schema({ Start: {}, Ready: { auto: true, require: ['Start'] }, Busy: { remove: ['Ready'] }, Job: {} })
const P = 'polymachine_'

describe('machineMetrics: series', () => {
  it('transitions by result, exceptions, active states and the duration histogram, parsed from the text', async () => {
    const reg = new Registry()
    const m = new Machine(ss, { id: 'app' })
    machineMetrics(m, { registry: reg, labels: { service: 'api' } })
    m.bind({ BusyEnter: (e: Event) => e.args.ok === true, JobState: () => { throw new Error('boom') } }, { id: 'h' })
    m.add('Start') // + auto Ready
    expect(m.add('Busy')).toBe(Result.Canceled)
    expect(m.add('Busy', { ok: true })).toBe(Result.Executed)
    m.add('Job') // JobState throws: Job is rolled back (canceled), then Exception is added
    expect(m.canAdd('Busy')).toBe(Result.Executed) // a dry run: not counted
    const s = await scrape(reg)
    const l = { machine: 'app', service: 'api' }
    expect(s.get(key(`${P}transitions_total`, { ...l, result: 'executed' }))).toBe(4)
    expect(s.get(key(`${P}transitions_total`, { ...l, result: 'canceled' }))).toBe(2)
    expect(s.get(key(`${P}exceptions_total`, l))).toBe(1)
    expect(s.get(key(`${P}active_states`, l))).toBe(m.activeStates.length)
    expect(m.activeStates.length).toBe(3)
    expect(s.get(key(`${P}queue_length`, l))).toBe(0)
    expect(s.get(key(`${P}transition_duration_seconds_count`, l))).toBe(6)
    expect(s.get(key(`${P}transition_duration_seconds_bucket`, { ...l, le: '+Inf' }))).toBe(6)
    expect(s.get(key(`${P}transition_duration_seconds_sum`, l))).toBeGreaterThan(0)
    const buckets = [...s.entries()].filter(([k]) => k.startsWith(`${P}transition_duration_seconds_bucket`))
      .map(([k, v]) => [Number(/le="([^"]+)"/.exec(k)?.[1]), v] as const).sort((a, b) => a[0] - b[0])
    expect(buckets.length).toBe(13)
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]?.[1]).toBeGreaterThanOrEqual(buckets[i - 1]?.[1] ?? 0)
  })

  it('queue length is read at scrape time: inside a handler, the mutations it queued', async () => {
    const reg = new Registry()
    const m = new Machine(ss, { id: 'q' })
    machineMetrics(m, { registry: reg })
    let during: Promise<string> | undefined
    m.bind({
      StartState: (e: Event) => {
        e.machine.add('Job')
        e.machine.add('Busy')
        during = reg.metrics() // the metrics' values are read now, synchronously
      },
    }, { id: 'h' })
    m.add('Start')
    expect(parse(await (during as Promise<string>)).get(`${P}queue_length{machine="q"}`)).toBe(2)
    expect((await scrape(reg)).get(`${P}queue_length{machine="q"}`)).toBe(0)
  })

  it('custom buckets put durations in the right bucket', async () => {
    const reg = new Registry()
    const m = new Machine(ss, { id: 'b' })
    machineMetrics(m, { registry: reg, buckets: [60, 120] })
    m.add('Start')
    const s = await scrape(reg)
    // two transitions (Start, auto Ready), each well under a minute
    expect(s.get(`${P}transition_duration_seconds_bucket{le="60",machine="b"}`)).toBe(2)
    expect(s.get(`${P}transition_duration_seconds_bucket{le="120",machine="b"}`)).toBe(2)
    expect(s.get(`${P}transition_duration_seconds_bucket{le="+Inf",machine="b"}`)).toBe(2)
  })

  it('machines share a registry; sub-machines are counted by their own id; dispose and detach remove series', async () => {
    const reg = new Registry()
    const a = new Machine(ss, { id: 'a' })
    const b = new Machine(ss, { id: 'b' })
    const ma = machineMetrics(a, { registry: reg })
    machineMetrics(b, { registry: reg })
    const child = new Machine(ss, { id: 'a.child', parent: a })
    a.add('Start')
    child.add('Busy')
    let s = await scrape(reg)
    expect(s.get(`${P}transitions_total{machine="a",result="executed"}`)).toBe(2)
    expect(s.get(`${P}transitions_total{machine="a.child",result="executed"}`)).toBe(1)
    expect(s.get(`${P}transitions_total{machine="b",result="executed"}`)).toBe(0)
    b.dispose()
    s = await scrape(reg)
    expect([...s.keys()].some((k) => k.includes('machine="b"'))).toBe(false)
    expect(s.has(`${P}active_states{machine="a"}`)).toBe(true)
    ma.detach()
    expect(ma.detached).toBe(true)
    s = await scrape(reg)
    expect(s.size).toBe(0)
    a.add('Busy') // no longer counted, and no error
    expect((await reg.metrics())).toContain(`# TYPE ${P}transitions_total counter`)
    // the id is free again
    const again = machineMetrics(a, { registry: reg })
    a.add('Job')
    expect((await scrape(reg)).get(`${P}transitions_total{machine="a",result="executed"}`)).toBe(1)
    again.detach()
  })

  it('children: false leaves sub-machines out; prefixes keep sets apart; resetMetrics zeroes', async () => {
    const reg = new Registry()
    const p = new Machine(ss, { id: 'p' })
    machineMetrics(p, { registry: reg, children: false, prefix: 'app_' })
    machineMetrics(p, { registry: reg, prefix: 'other_' })
    new Machine(ss, { id: 'c', parent: p }).add('Start')
    p.add('Start')
    let s = await scrape(reg)
    expect([...s.keys()].some((k) => k.startsWith('app_') && k.includes('machine="c"'))).toBe(false)
    expect(s.get('other_transitions_total{machine="c",result="executed"}')).toBe(2)
    expect(s.get('app_transitions_total{machine="p",result="executed"}')).toBe(2)
    expect(s.get('other_transitions_total{machine="p",result="executed"}')).toBe(2)
    reg.resetMetrics()
    s = await scrape(reg)
    expect(s.get('app_transitions_total{machine="p",result="executed"}')).toBe(0)
    expect(s.get('app_transition_duration_seconds_count{machine="p"}')).toBe(0)
    expect(s.get('app_active_states{machine="p"}')).toBe(2)
  })

  it('an OpenMetrics registry, and a scrape over HTTP next to prom-client’s own metrics', async () => {
    const om = new Registry<OpenMetricsContentType>()
    om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    const m = new Machine(ss, { id: 'om' })
    machineMetrics(m, { registry: om })
    m.add('Start')
    const text = await om.metrics()
    expect(text).toContain(`${P}transitions_total{machine="om",result="executed"} 2`)
    expect(text).not.toContain('_total_total')

    const reg = new Registry()
    const own = new Counter({ name: 'app_requests_total', help: 'requests', registers: [reg] })
    own.inc(3)
    machineMetrics(m, { registry: reg })
    m.add('Job')
    const server = createServer((_req, res) => {
      void reg.metrics().then((body) => {
        res.setHeader('content-type', reg.contentType)
        res.end(body)
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { port } = server.address() as AddressInfo
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })
      const s = parse(await res.text())
      expect(s.get('app_requests_total{}')).toBe(3)
      expect(s.get(`${P}transitions_total{machine="om",result="executed"}`)).toBe(1)
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})

describe('machineMetrics: dispose', () => {
  it('onDispose callbacks registered after the adapters still run (theirs does not unregister itself mid-dispose)', () => {
    const reg = new Registry()
    const m = new Machine(ss, { id: 'od' })
    machineMetrics(m, { registry: reg })
    machineMetrics(m, { registry: reg, prefix: 'two_' })
    const system = new ActorSystem()
    const ref = system.spawn(schema({ Job: {} }), {}, { id: 'od-actor' })
    actorMetrics(ref, { registry: reg })
    const ran: string[] = []
    m.onDispose(() => void ran.push('machine'))
    ref.machine.onDispose(() => void ran.push('actor'))
    m.dispose()
    ref.machine.dispose()
    expect(ran).toEqual(['machine', 'actor'])
    return system.shutdown({ timeout: 50 })
  })
})

describe('machineMetrics: failures', () => {
  it('bad options, a duplicate machine id and a taken metric name throw library errors', () => {
    const reg = new Registry()
    const m = new Machine(ss, { id: 'dup' })
    const code = expect.objectContaining({ code: expect.any(String) })
    expect(() => machineMetrics(m, { registry: {} as MetricsRegistry })).toThrow(code)
    expect(() => machineMetrics({} as Machine<string>, { registry: reg })).toThrow(code)
    expect(() => machineMetrics(m, { registry: reg, prefix: '1bad' })).toThrow(/opts\.prefix/)
    expect(() => machineMetrics(m, { registry: reg, labels: { machine: 'x' } })).toThrow(/opts\.labels/)
    expect(() => machineMetrics(m, { registry: reg, labels: { ok: 5 as unknown as string } })).toThrow(/opts\.labels/)
    expect(() => machineMetrics(m, { registry: reg, buckets: [1, 1] })).toThrow(/opts\.buckets/)
    machineMetrics(m, { registry: reg })
    expect(() => machineMetrics(new Machine(ss, { id: 'dup' }), { registry: reg })).toThrow(/dup/)
    const reg2 = new Registry()
    new Counter({ name: 'polymachine_queue_length', help: 'taken', registers: [reg2] })
    expect(() => machineMetrics(m, { registry: reg2 })).toThrow(/opts\.prefix/)
  })

  it('a disposed machine has no series: the handle is detached', async () => {
    const reg = new Registry()
    const m = new Machine(ss, { id: 'gone' })
    m.dispose()
    expect(machineMetrics(m, { registry: reg }).detached).toBe(true)
    expect((await scrape(reg)).size).toBe(0)
  })

  it('a throwing registry fails machineMetrics, never the machine; a cleared registry gets the metrics again', async () => {
    const m = new Machine(ss, { id: 'r' })
    const hostile: MetricsRegistry = {
      getSingleMetric: () => undefined,
      registerMetric: () => { throw new Error('registry full') },
    }
    expect(() => machineMetrics(m, { registry: hostile })).toThrow('registry full')
    expect(m.add('Start')).toBe(Result.Executed)
    expect(m.is('Exception')).toBe(false)

    const reg = new Registry()
    machineMetrics(m, { registry: reg })
    reg.clear()
    expect(await reg.metrics()).toBe('\n')
    const m2 = new Machine(ss, { id: 'r2' })
    machineMetrics(m2, { registry: reg })
    m2.add('Start')
    expect((await scrape(reg)).get(`${P}transitions_total{machine="r2",result="executed"}`)).toBe(2)
  })
})

describe('actorMetrics', () => {
  it('mailbox depth, in flight, received and dropped at scrape time; series gone when the actor stops', async () => {
    const system = new ActorSystem()
    try {
      let release = (): void => undefined
      const gate = new Promise<void>((r) => (release = r))
      const worker = { GateState: () => gate, JobState: () => undefined }
      const ref = system.spawn(schema({ Gate: { multi: true }, Job: { multi: true } }), worker,
        { id: 'w', mailbox: { capacity: 2, overflow: 'drop-newest' } })
      const reg = new Registry()
      const handle = actorMetrics(ref, { registry: reg, labels: { pool: 'p1' } })
      await ref.machine.when('Ready')
      ref.tell('Gate')
      await new Promise((r) => setTimeout(r, 0))
      for (const n of [1, 2, 3, 4]) ref.tell('Job', { n })
      const l = { actor: 'w', pool: 'p1' }
      let s = await scrape(reg)
      expect(s.get(key(`${P}actor_mailbox_depth`, l))).toBe(2)
      expect(s.get(key(`${P}actor_in_flight`, l))).toBe(1)
      expect(s.get(key(`${P}actor_dropped_total`, l))).toBe(2)
      expect(s.get(key(`${P}actor_received_total`, l))).toBe(ref.stats.received)
      expect(ref.stats.received).toBe(5)
      release()
      await gate
      for (let i = 0; i < 50 && ref.stats.processed < 3; i++) await new Promise((r) => setTimeout(r, 1))
      s = await scrape(reg)
      expect(s.get(key(`${P}actor_processed_total`, l))).toBe(3)
      expect(s.get(key(`${P}actor_mailbox_depth`, l))).toBe(0)
      expect(() => actorMetrics(ref, { registry: reg })).toThrow(/not measured yet/)
      await system.shutdown({ timeout: 200 })
      expect(handle.detached).toBe(true)
      expect((await scrape(reg)).size).toBe(0)
    } finally {
      await system.shutdown({ timeout: 50 })
    }
  })

  it('bad arguments throw library errors; an actor and its machine can be measured side by side', async () => {
    const system = new ActorSystem()
    try {
      const reg = new Registry()
      const code = expect.objectContaining({ code: expect.any(String) })
      expect(() => actorMetrics({} as never, { registry: reg })).toThrow(code)
      const ref = system.spawn(schema({ Job: { multi: true } }), { JobState: () => undefined }, { id: 'a1' })
      expect(() => actorMetrics(ref, { registry: reg, labels: { actor: 'x' } })).toThrow(/opts\.labels/)
      actorMetrics(ref, { registry: reg })
      machineMetrics(ref.machine, { registry: reg })
      await ref.ask('Job')
      const s = await scrape(reg)
      expect(s.get(`${P}actor_processed_total{actor="a1"}`)).toBe(1)
      expect(s.get(`${P}transitions_total{machine="a1",result="executed"}`)).toBeGreaterThan(0)
    } finally {
      await system.shutdown({ timeout: 50 })
    }
  })
})
