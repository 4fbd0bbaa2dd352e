/**
 * The body of the hostile-values property test, run in a child process by hostile.spec.ts (a regression may crash
 * or hang the process; the parent then reports it instead of dying). fast-check drives random machines, pipes and
 * actors with hostile values — getters that throw, proxies whose traps throw, revoked proxies, null-prototype
 * objects, throwing toString, thenables whose `then` throws or never settles, primitives, symbols, cycles — as
 * mutation args, handler return values, thrown values and waiter arguments. It asserts, for every run:
 * - every call either returns or throws a PolymachineError (never a raw TypeError from inside the library);
 * - every promise the library handed out settles within a bound;
 * - the machine invariants hold (odd tick ⇔ active, ticks never decrease, requires met);
 * and the parent checks that the process exited 0 with no uncaught exception or unhandled rejection.
 */
import fc from 'fast-check'
import { isPolymachineError, LogLevel, Machine, schema, type Event } from '../../lib/index.js'
import { pipe } from '../../lib/states/index.js'
import { ActorSystem, Keyed, Supervisor, type ActorEvent, type Directive } from '../../lib/actor/index.js'

type Kind = (typeof KINDS)[number]
const KINDS = [
  'undefined', 'null', 'number', 'string', 'symbol', 'bigint', 'nullProto', 'throwingGetter', 'throwingToString',
  'trapProxy', 'revokedProxy', 'throwingThen', 'pendingThen', 'rejectingThen', 'cycle', 'plain', 'error',
  'errorThrowingMessage', 'frozen',
] as const

function make(kind: Kind): unknown {
  switch (kind) {
    case 'undefined': return undefined
    case 'null': return null
    case 'number': return 42
    case 'string': return 'str'
    case 'symbol': return Symbol('hostile')
    case 'bigint': return 10n
    case 'nullProto': return Object.assign(Object.create(null) as object, { err: Object.create(null) as object })
    case 'throwingGetter': return { get err() { throw new Error('getter') }, get id() { throw new Error('getter') } }
    case 'throwingToString': return { toString() { throw new Error('toString') }, id: { toString() { throw new Error('x') } } }
    case 'trapProxy': {
      const trap = (): never => { throw new Error('trap') }
      return new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap })
    }
    case 'revokedProxy': {
      const p = Proxy.revocable({}, {})
      p.revoke()
      return p.proxy
    }
    case 'throwingThen': return { get then() { throw new Error('then getter') } }
    case 'pendingThen': return { then(): void { /* never settles */ } }
    case 'rejectingThen': return { then(_ok: unknown, fail: (e: unknown) => void): void { fail(make('throwingGetter')) } }
    case 'cycle': { const o: Record<string, unknown> = { id: 'c' }; o.self = o; o.err = o; return o }
    case 'plain': return { id: 'ok', n: 1 }
    case 'error': return new Error('plain error')
    case 'errorThrowingMessage': {
      const e = new Error('x')
      Object.defineProperty(e, 'message', { get() { throw new Error('message getter') } })
      return e
    }
    case 'frozen': return Object.freeze({ id: 'frozen' })
  }
}

const kindArb = fc.constantFrom(...KINDS)
type Behaviour = 'ok' | 'throw' | 'return' | 'reject' | 'mutate'
const behaviourArb = fc.constantFrom<Behaviour>('ok', 'throw', 'return', 'reject', 'mutate')

interface Plan {
  handlers: Array<{ state: number; kind: 'Enter' | 'State' | 'End' | 'Exit'; does: Behaviour; value: Kind; target: number }>
  steps: Array<{ op: 'add' | 'remove' | 'set' | 'toggle'; state: number; args: Kind; wait: Kind | null }>
  actor: Array<{ tell: boolean; msg: number; args: Kind; does: Behaviour; value: Kind }>
  /** Supervision: what decide() returns, what keyed load()/save() give back, and the messages to both. */
  decide: Kind | 'restart' | 'resume' | 'stop' | 'escalate'
  load: Kind | 'snapshot'
  save: Behaviour
  supervised: Array<{ tell: boolean; msg: number; keyed: boolean; key: number }>
  logLevel: LogLevel
}

const N = 6
const idx = fc.integer({ min: 0, max: N - 1 })
const planArb: fc.Arbitrary<Plan> = fc.record({
  handlers: fc.array(fc.record({
    state: idx, kind: fc.constantFrom('Enter' as const, 'State' as const, 'End' as const, 'Exit' as const),
    does: behaviourArb, value: kindArb, target: idx,
  }), { maxLength: 6 }),
  steps: fc.array(fc.record({
    op: fc.constantFrom('add' as const, 'remove' as const, 'set' as const, 'toggle' as const),
    state: idx, args: kindArb, wait: fc.option(kindArb, { nil: null }),
  }), { minLength: 1, maxLength: 12 }),
  actor: fc.array(fc.record({ tell: fc.boolean(), msg: fc.integer({ min: 0, max: 2 }), args: kindArb, does: behaviourArb, value: kindArb }),
    { maxLength: 8 }),
  decide: fc.oneof(fc.constantFrom('restart' as const, 'resume' as const, 'stop' as const, 'escalate' as const), kindArb),
  load: fc.oneof(fc.constant('snapshot' as const), kindArb),
  save: behaviourArb,
  supervised: fc.array(fc.record({ tell: fc.boolean(), msg: fc.integer({ min: 0, max: 2 }), keyed: fc.boolean(),
    key: fc.integer({ min: 0, max: 2 }) }), { maxLength: 8 }),
  logLevel: fc.constantFrom(LogLevel.Nothing, LogLevel.Changes, LogLevel.Everything),
})

const ss = schema({
  S0: { multi: true },
  S1: { require: ['S0'] },
  S2: { remove: ['S3'] },
  S3: { remove: ['S2'], auto: true },
  S4: { add: ['S5'] },
  S5: { after: ['S4'] },
})
const names = ['S0', 'S1', 'S2', 'S3', 'S4', 'S5'] as const

const messages = schema({ M0: { multi: true }, M1: { multi: true }, M2: { multi: true } })

/** A call must return or throw a library error; anything else fails the run. */
function guarded<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    if (!isPolymachineError(err)) throw new Error(`${what} threw a non-library error: ${String((err as Error)?.message ?? typeof err)}`)
    return undefined
  }
}

function behave(does: Behaviour, value: Kind, e: { machine: { add(s: never): unknown } }, target: string): unknown {
  switch (does) {
    case 'ok': return undefined
    case 'throw': throw make(value)
    case 'return': return make(value)
    case 'reject': return Promise.reject(make(value))
    case 'mutate': return e.machine.add(target as never)
  }
}

const BOUND = 2000

/** Resolves to an error message when `p` has not settled within BOUND ms. */
async function settles(what: string, p: Promise<unknown>, pending: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), BOUND)))
  const r = await Promise.race([p.then(() => 'ok', () => 'ok'), late])
  clearTimeout(timer)
  if (r === 'late') pending.push(what)
}

function checkInvariants(m: Machine<string>, last: number[]): number[] {
  const time = m.time()
  const active = new Set(m.activeStates)
  m.names.forEach((s, i) => {
    if (((time[i] as number) % 2 === 1) !== active.has(s)) throw new Error(`${s}: tick ${time[i]} vs active ${active.has(s)}`)
    if ((time[i] as number) < (last[i] ?? 0)) throw new Error(`${s}: tick went back`)
  })
  if (active.has('S1') && !active.has('S0')) throw new Error(`S1 active without its require S0: ${m.toString()}`)
  if (active.has('S2') && active.has('S3')) throw new Error(`S2 and S3 remove each other: ${m.toString()}`)
  return time
}

async function runPlan(plan: Plan): Promise<void> {
  const pending: string[] = []
  const waits: Array<Promise<void>> = []
  const lines: string[] = []
  const handlers: Record<string, (e: Event<string>) => unknown> = {}
  for (const h of plan.handlers) {
    const name = `${names[h.state]}${h.kind}`
    handlers[name] = (e) => behave(h.does, h.value, e as never, names[h.target] as string)
  }
  const m = new Machine(ss, { id: 'hostile', logLevel: plan.logLevel, logger: (_l, line) => void lines.push(line) })
  const mirror = new Machine(ss, { id: 'mirror' })
  guarded('bind', () => m.bind(handlers as never))
  guarded('pipe', () => pipe.bind(m, mirror, ['S0', 'S2', 'S4'] as never))
  let last = m.time()
  for (const step of plan.steps) {
    const state = names[step.state] as string
    if (step.wait !== null) {
      const w = guarded('whenArgs', () => m.whenArgs(state as never, make(step.wait as Kind) as never, { timeout: 50 }))
      if (w) waits.push(settles('whenArgs', w, pending))
      const t = guarded('whenTicks', () => m.whenTicks(state as never, 1, { timeout: 50 }))
      if (t) waits.push(settles('whenTicks', t, pending))
    }
    guarded(step.op, () => m[step.op](state as never, make(step.args) as never))
    await new Promise((r) => setImmediate(r))
    last = checkInvariants(m, last)
    checkInvariants(mirror, mirror.time().map(() => 0))
  }

  const system = new ActorSystem({ logLevel: plan.logLevel, logger: () => undefined })
  const actorHandlers: Record<string, (e: ActorEvent) => unknown> = {}
  plan.actor.forEach((a, i) => {
    actorHandlers[`M${a.msg}State`] ??= (e) => {
      const step = plan.actor[i] as (typeof plan.actor)[number]
      return behave(step.does, step.value, { machine: { add: () => e.machine.add('M0' as never) } }, 'M0')
    }
  })
  const ref = guarded('spawn', () => system.spawn(messages, actorHandlers as never, { id: 'hostile-actor' }))
  if (ref) {
    for (const a of plan.actor) {
      const msg = `M${a.msg}` as 'M0'
      if (a.tell) {
        const r: unknown = guarded('tell', () => ref.tell(msg, make(a.args) as never))
        if (r instanceof Promise) waits.push(settles('tell', r, pending))
      } else {
        const p = guarded('ask', () => ref.ask(msg, make(a.args) as never, { timeout: 200 }))
        if (p) waits.push(settles('ask', p, pending))
      }
    }
  }
  superviseHostile(system, plan, actorHandlers, waits, pending)
  await settles('shutdown', system.shutdown({ timeout: 500 }), pending)
  await Promise.all(waits)
  m.dispose()
  mirror.dispose()
  if (pending.length > 0) throw new Error(`promises that did not settle within ${BOUND} ms: ${pending.join(', ')}`)
}

/** A supervisor and a keyed set whose user functions (decide, load, save, handlers) misbehave as the plan says. */
function superviseHostile(system: ActorSystem, plan: Plan, handlers: Record<string, (e: ActorEvent) => unknown>,
  waits: Array<Promise<void>>, pending: string[]): void {
  const sup = guarded('new Supervisor', () => new Supervisor(system, {
    id: 'hostile-sup', maxRestarts: 3, period: 1000, backoff: { min: 0, max: 1, jitter: 0 },
    decide: () => (typeof plan.decide === 'string' && ['restart', 'resume', 'stop', 'escalate'].includes(plan.decide)
      ? plan.decide as Directive : make(plan.decide as Kind) as Directive),
  }))
  const child = sup && guarded('supervise', () => sup.supervise({ id: 'hostile-child', schema: messages,
    handlers: () => handlers as never }))
  const saved = new Map<string, unknown>()
  const keyed = guarded('new Keyed', () => new Keyed(system, {
    id: 'hostile-keyed', schema: messages, handlers: () => handlers as never, backoff: { min: 0, max: 1, jitter: 0 },
    idleTimeout: 20, maxActive: 2,
    load: (key: string) => (plan.load === 'snapshot' ? saved.get(key) : make(plan.load)) as never,
    save: (key: string, snap: unknown) => {
      saved.set(key, snap)
      return behave(plan.save, 'throwingGetter', { machine: { add: () => undefined } }, 'M0') as never
    },
  }))
  for (const s of plan.supervised) {
    const msg = `M${s.msg}` as 'M0'
    const ref = s.keyed ? keyed?.ref(`k${s.key}`) : child
    if (!ref) continue
    if (s.tell) guarded('supervised tell', () => ref.tell(msg))
    else {
      const p = guarded('supervised ask', () => ref.ask(msg, undefined, { timeout: 300 }))
      if (p) waits.push(settles('supervised ask', p, pending))
    }
  }
}

export async function main(runs: number, seed?: number): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(planArb, runPlan), { numRuns: runs, ...(seed !== undefined && { seed }) })
    console.log(`hostile: ${runs} runs passed`)
  } catch (err) {
    console.log(String(err instanceof Error ? `${err.message}\n${String(err.cause)}` : err))
    process.exitCode = 1
  }
}
