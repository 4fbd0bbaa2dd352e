/**
 * otel-prom (polymachine/telemetry only): the cost of `traceMachine` and `machineMetrics` on the toggle workload (two
 * mutually exclusive states, alternated). Cases, interleaved: no tracer; an empty tracer (what the core itself pays
 * once any tracer is bound); `traceMachine` with the API's no-op tracer (no SDK registered: what a library pays when
 * the application did not set OpenTelemetry up); `traceMachine` with the SDK and a span processor that drops spans
 * (the span creation cost, no export); `machineMetrics` into a prom-client Registry.
 */
import { trace } from '@opentelemetry/api'
import { BasicTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { Registry } from 'prom-client'
import { Machine, schema } from '../../../lib/index.js'
import { traceMachine } from '../../../lib/telemetry/otel-entry.js'
import { machineMetrics } from '../../../lib/telemetry/prometheus-entry.js'
import { type Case, type Check, measure, rows, type Scenario } from '../run.js'

const AB = schema({ A: { remove: ['B'] }, B: { remove: ['A'] } })

function toggler(id: string): Machine<'A' | 'B' | 'Exception'> {
  const m = new Machine(AB, { id })
  m.add('A')
  return m
}

function toggle(m: Machine<'A' | 'B' | 'Exception'>): () => void {
  return () => {
    m.add('B')
    m.add('A')
  }
}

export const otelProm: Scenario = {
  name: 'otel-prom',
  title: 'otel-prom: toggle with the OpenTelemetry and Prometheus adapters (ns per mutation)',
  async run(opts) {
    const plain = toggler('plain')
    const empty = toggler('empty')
    empty.bindTracer({ transitionEnd: () => undefined })
    const noopApi = toggler('noop-api')
    const tNoop = traceMachine(noopApi, { tracer: trace.getTracer('bench') })
    const sdk = toggler('sdk')
    const provider = new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] })
    const tSdk = traceMachine(sdk, { tracer: provider.getTracer('bench') })
    const prom = toggler('prom')
    const registry = new Registry()
    const mProm = machineMetrics(prom, { registry })
    const cases: Case[] = [
      { lib: 'polymachine', label: 'no tracer', opsPerCall: 2, fn: toggle(plain) },
      { lib: 'polymachine', label: 'an empty tracer (the core\'s own cost of tracing)', opsPerCall: 2, fn: toggle(empty) },
      { lib: 'polymachine', label: 'traceMachine, @opentelemetry/api no-op tracer', opsPerCall: 2, fn: toggle(noopApi) },
      { lib: 'polymachine', label: 'traceMachine, SDK tracer, spans dropped', opsPerCall: 2, fn: toggle(sdk) },
      { lib: 'polymachine', label: 'machineMetrics, prom-client Registry', opsPerCall: 2, fn: toggle(prom) },
    ]
    const m = await measure(cases, opts)
    const text = await registry.metrics()
    const executed = /polymachine_transitions_total\{machine="prom",result="executed"\} (\d+)/.exec(text)?.[1]
    const checks: Check[] = [
      { name: 'otel-prom: the adapters stayed attached', ok: !tNoop.detached && !tSdk.detached && !mProm.detached,
        detail: `errors: noop ${tNoop.errors}, sdk ${tSdk.errors}` },
      { name: 'otel-prom: the registry counted the toggles', ok: Number(executed) > 0 && prom.tick('A') > 1,
        detail: `transitions_total executed=${executed ?? 'missing'}, tick(A)=${prom.tick('A')}` },
    ]
    tNoop.detach()
    tSdk.detach()
    mProm.detach()
    await provider.shutdown()
    for (const x of [plain, empty, noopApi, sdk, prom]) x.dispose()
    return {
      rows: rows(m),
      checks,
      goals: [],
      notes: ['× polymachine is the ratio to "no tracer".'],
    }
  },
}
