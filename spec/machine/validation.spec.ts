/**
 * Bad input to every public function and option of the core, states and helpers: each is rejected synchronously
 * with a library error (class, code) whose message names the function, the argument and what was expected.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ContractError, InExceptionError, StateLoopError, addAsync, addSync, cond, mutationRequest, schemaImplements, stateLoop,
  waitForAll, waitForErrAll,
} from '../../lib/helpers/index.js'
import {
  InvalidArgumentError, InvalidOperationError, LogLevel, Machine, OutOfRangeError, PolymachineError, SchemaError, extend,
  isPolymachineError, schema, type Tracer,
} from '../../lib/machine/index.js'
import { DisposedHandlers, dispose, pipe, registerDisposal } from '../../lib/states/index.js'

type Ctor = abstract new (...a: never[]) => Error
type Case = readonly [label: string, run: () => unknown, cls: Ctor, code: string, message: string | RegExp]

const ss = schema({ A: {}, B: {}, Connecting: {}, Connected: {}, Disconnecting: {}, Disconnected: {} })
const mk = (id = 'v'): Machine<(typeof ss.names)[number]> => new Machine(ss, { id })
const any = (v: unknown): never => v as never
const throwing = (key: string): object =>
  Object.defineProperty({}, key, { enumerable: true, get: () => { throw new Error('getter boom') } })
const revoked = (): object => {
  const r = Proxy.revocable({}, {})
  r.revoke()
  return r.proxy
}

const ARG = [InvalidArgumentError, 'ERR_INVALID_ARG'] as const
const RANGE = [OutOfRangeError, 'ERR_OUT_OF_RANGE'] as const
const SCHEMA = [SchemaError, 'ERR_SCHEMA'] as const

function check(cases: readonly Case[]): void {
  for (const [label, run, cls, code, message] of cases) {
    let err: unknown
    try {
      run()
    } catch (e) {
      err = e
    }
    expect(err, label).toBeInstanceOf(cls)
    expect(isPolymachineError(err), label).toBe(true)
    expect((err as PolymachineError).code, label).toBe(code)
    if (typeof message === 'string') expect((err as Error).message, label).toContain(message)
    else expect((err as Error).message, label).toMatch(message)
  }
}

describe('new Machine(): schema and options', () => {
  it('rejects each bad option with the option named', () => {
    check([
      ['no schema', () => new Machine(any(undefined)), ...ARG, 'new Machine(): schema must be a schema made by schema(), got undefined'],
      ['a schema look-alike', () => new Machine(any({ names: ['A'], states: { A: {} } })), ...ARG, 'got object Object'],
      ['options 42', () => new Machine(ss, any(42)), ...ARG, 'new Machine(): options must be an options object or undefined, got number 42'],
      ['id empty', () => new Machine(ss, { id: '' }), ...ARG, "options.id must be a non-empty string, got string ''"],
      ['id number', () => new Machine(ss, { id: any(5) }), ...ARG, 'options.id must be a non-empty string, got number 5'],
      ['logger 42', () => new Machine(ss, { logger: any(42) }), ...ARG, 'options.logger must be a function'],
      ['logLevel str', () => new Machine(ss, { logLevel: any('str') }), ...ARG, "options.logLevel must be a LogLevel (an integer 0..5), got string 'str'"],
      ['logLevel 7', () => new Machine(ss, { logLevel: any(7) }), ...RANGE, 'options.logLevel must be a LogLevel'],
      ['logLevel -1', () => new Machine(ss, { logLevel: any(-1) }), ...RANGE, 'got number -1'],
      ['logLevel 1.5', () => new Machine(ss, { logLevel: any(1.5) }), ...RANGE, 'got number 1.5'],
      ['logArgs 42', () => new Machine(ss, { logArgs: any(42) }), ...ARG, 'options.logArgs must be an array of arg names or a function'],
      ['logArgs entry', () => new Machine(ss, { logArgs: any(['id', 1]) }), ...ARG, 'options.logArgs[1] must be a string, got number 1'],
      ['tracers 42', () => new Machine(ss, { tracers: any(42) }), ...ARG, 'options.tracers must be an array of Tracer objects'],
      ['tracers [null]', () => new Machine(ss, { tracers: any([null]) }), ...ARG, 'options.tracers[0] must be a Tracer object, got null'],
      ['tracers [42]', () => new Machine(ss, { tracers: any([{}, 42]) }), ...ARG, 'options.tracers[1] must be a Tracer object'],
      ['tags str', () => new Machine(ss, { tags: any('x') }), ...ARG, 'options.tags must be an array of strings'],
      ['tags [1]', () => new Machine(ss, { tags: any([1]) }), ...ARG, 'options.tags[0] must be a string'],
      ['parent {}', () => new Machine(ss, { parent: any({ id: 'p' }) }), ...ARG, 'options.parent must be a Machine, got object Object'],
      ['handlers 42', () => new Machine(ss, { handlers: any(42) }), ...ARG, 'options.handlers must be a handler object, got number 42'],
      ['handlers null', () => new Machine(ss, { handlers: any(null) }), ...ARG, 'options.handlers must be a handler object, got null'],
      ['queueLimit 0', () => new Machine(ss, { queueLimit: 0 }), ...RANGE, 'options.queueLimit must be a positive integer, got number 0'],
      ['queueLimit str', () => new Machine(ss, { queueLimit: any('5') }), ...ARG, 'options.queueLimit must be a positive integer'],
      ['throwing getter', () => new Machine(ss, any(throwing('logger'))), ...ARG, 'options.logger must be readable (reading it threw: getter boom)'],
      ['revoked options', () => new Machine(ss, any(revoked())), ...ARG, /options(\.\w+)? must be/],
    ])
  })

  it('reads every option once', () => {
    let reads = 0
    const opts = { get logLevel(): LogLevel { reads++; return reads === 1 ? LogLevel.Nothing : any(99) } }
    const m = new Machine(ss, opts)
    expect(reads).toBe(1)
    expect(m.logLevel).toBe(LogLevel.Nothing)
  })

  it('accepts undefined for every option (the default)', () => {
    const m = new Machine(ss, { id: undefined, handlers: undefined, tags: undefined, logger: undefined, logArgs: undefined,
      tracers: undefined, parent: undefined, queueLimit: undefined, logLevel: undefined } as never)
    expect(m.add('A')).toBe(0)
  })
})

describe('Machine methods', () => {
  it('reject bad arguments with the function and value named', () => {
    const m = mk()
    m.bind({}, { id: 'x' })
    const prox = new Proxy({}, { ownKeys: () => { throw new Error('trap boom') } })
    check([
      ['bind(undefined)', () => m.bind(any(undefined)), ...ARG, 'machine v: bind(): handlers must be a handler object, got undefined'],
      ['bind(42)', () => m.bind(any(42)), ...ARG, 'machine v: bind(): handlers must be a handler object, got number 42'],
      ['bind opts null', () => m.bind({}, any(null)), ...ARG, 'bind(): options must be an object, got null'],
      ['bind id 5', () => m.bind({}, { id: any(5) }), ...ARG, 'bind(): options.id must be a non-empty string, got number 5'],
      ['bind id getter', () => m.bind({}, any(throwing('id'))), ...ARG, 'bind(): options.id must be readable'],
      ['bind id twice', () => m.bind({}, { id: 'x' }), InvalidOperationError, 'ERR_INVALID_OPERATION', "bind(): a binding with id 'x' exists"],
      ['bind revoked', () => m.bind(any(revoked())), ...ARG, 'bind(): handlers must be an object whose members can be listed'],
      ['bind proxy', () => m.bind(any(prox)), ...ARG, 'reading it threw: trap boom'],
      ['unbind(42)', () => m.unbind(any(42)), ...ARG, 'machine v: unbind(): id must be a binding id (string), got number 42'],
      ['log(42)', () => m.log(any(42)), ...ARG, 'machine v: log(): msg must be a string, got number 42'],
      ['logLevel = str', () => (m.logLevel = any('x')), ...ARG, 'machine v: logLevel: level must be a LogLevel'],
      ['logLevel = 9', () => (m.logLevel = any(9)), ...RANGE, 'got number 9'],
      ['bindTracer(null)', () => m.bindTracer(any(null)), ...ARG, 'machine v: bindTracer(): tracer must be a Tracer object, got null'],
      ['bindTracer(42)', () => m.bindTracer(any(42)), ...ARG, 'got number 42'],
      ['detachTracer(undefined)', () => m.detachTracer(any(undefined)), ...ARG, 'machine v: detachTracer(): tracer must be a Tracer object'],
      ['onDispose(42)', () => m.onDispose(any(42)), ...ARG, 'machine v: onDispose(): fn must be a function, got number 42'],
      ['add args 42', () => m.add('A', any(42)), ...ARG, 'machine v: add(): args must be an object or undefined, got number 42'],
      ['add args null', () => m.add('A', any(null)), ...ARG, 'add(): args must be an object or undefined, got null'],
      ['add args str', () => m.add('A', any('x')), ...ARG, "got string 'x'"],
      ['add args fn', () => m.add('A', any(() => 1)), ...ARG, 'got function'],
      ['remove args', () => m.remove('A', any(1)), ...ARG, 'machine v: remove(): args'],
      ['set args', () => m.set('A', any(true)), ...ARG, 'machine v: set(): args'],
      ['toggle args', () => m.toggle('A', any(1n)), ...ARG, 'machine v: toggle(): args'],
      ['canAdd args', () => m.canAdd('A', any(1)), ...ARG, 'machine v: canAdd(): args'],
      ['canRemove args', () => m.canRemove('A', any(1)), ...ARG, 'machine v: canRemove(): args'],
      ['addErr args', () => m.addErr(new Error('x'), any(5)), ...ARG, 'machine v: addErrState(): args'],
      ['addErr throwing args', () => m.addErr(new Error('x'), any(throwing('a'))), ...ARG, 'args must be readable (copying it threw: getter boom)'],
      ['whenArgs 42', () => m.whenArgs('A', any(42)), ...ARG, 'machine v: whenArgs(): args must be an object'],
      ['add revoked states', () => m.add(any(revoked())), ...ARG, 'machine v: add(): states must be a readable state name or array of them (reading it threw'],
      ['is trap states', () => m.is(any(new Proxy(['A'], { get: () => { throw new Error('trap') } }))), ...ARG, 'machine v: is(): states must be a readable'],
      ['isTime 5', () => m.isTime(any(5)), ...ARG, 'machine v: isTime(): time must be an array of 7 ticks, got number 5'],
    ])
    // nothing above changed the machine or left a tracer behind that would throw later
    expect(m.is('Exception')).toBe(false)
    expect(m.add('A')).toBe(0)
  })

  it('bindTracer(null) no longer breaks every later add()', () => {
    const m = mk()
    expect(() => m.bindTracer(any(null))).toThrow(InvalidArgumentError)
    expect(m.add('A')).toBe(0)
    const t: Tracer = { transitionEnd: () => undefined }
    m.bindTracer(t)
    expect(m.detachTracer(t)).toBe(true)
  })

  it('a tracer whose hooks cannot be read is reported, never fails a mutation', () => {
    const lines: string[] = []
    const m = new Machine(ss, { id: 'tr', logLevel: LogLevel.Changes, logger: (_, l) => lines.push(l) })
    m.bindTracer(any(new Proxy({}, { get: () => { throw new Error('hook trap') } })))
    m.bindTracer(any(revoked()))
    expect(m.add('A')).toBe(0)
    expect(m.is('A')).toBe(true)
    expect(lines.some((l) => l.includes('[error] tracer transitionEnd threw: hook trap'))).toBe(true)
  })

  it('args: an object (also an array or null-prototype object) or undefined are accepted', () => {
    const m = mk()
    expect(m.add('A', Object.create(null) as never)).toBe(0)
    expect(m.add('B', any([1, 2]))).toBe(0)
    expect(m.remove('A', undefined)).toBe(0)
  })
})

describe('schema() and extend()', () => {
  it('rejects every Object.prototype member name (also from JSON.parse and computed keys)', () => {
    const names = ['__proto__', 'constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
      'propertyIsEnumerable', '__defineGetter__', '__lookupSetter__']
    check(names.map((n): Case => [n, () => schema(any({ [n]: {} })), ...SCHEMA, `state name '${n}' is reserved: it is a member of Object.prototype`]))
    check([['JSON __proto__', () => schema(any(JSON.parse('{"A": {}, "__proto__": {}}'))), ...SCHEMA, "'__proto__' is reserved"]])
    // names that merely look alike are ordinary states
    const ok = schema({ Proto: {}, ToString: {}, Constructor: {}, proto_: {} })
    const m = new Machine(ok)
    m.add(['ToString', 'Constructor'])
    expect(m.clock()).toEqual({ Proto: 0, ToString: 1, Constructor: 1, proto_: 0, Exception: 0 })
  })

  it('turns hostile definitions into SchemaError', () => {
    const proxyDef = new Proxy({ add: ['B'] }, { get: () => { throw new Error('trap boom') } })
    check([
      ['getter def', () => schema(any({ B: {}, ...{}, get A() { throw new Error('getter boom') } })), ...SCHEMA, "schema(): reading state 'A' threw: getter boom"],
      ['revoked part', () => schema(any(revoked())), ...SCHEMA, /schema\(\) part #1 is not a state definition object|reading part #1 threw/],
      ['revoked def', () => schema(any({ A: revoked() })), ...SCHEMA, "reading state 'A' threw"],
      ['proxy def', () => schema(any({ A: proxyDef, B: {} })), ...SCHEMA, "reading state 'A' threw: trap boom"],
      ['list string', () => schema(any({ A: { require: 'B' }, B: {} })), ...SCHEMA, "state 'A': 'require' must be an array of state names"],
      ['list object', () => schema(any({ A: { remove: { 0: 'B', length: 1 } }, B: {} })), ...SCHEMA, "'remove' must be an array"],
      ['entry number', () => schema(any({ A: { add: [1] }, B: {} })), ...SCHEMA, "state 'A': add relation names unknown state '1'"],
      ['entry object', () => schema(any({ A: { after: [{}] }, B: {} })), ...SCHEMA, 'names unknown state'],
      ['entry null-proto', () => schema(any({ A: { after: [Object.create(null)] }, B: {} })), ...SCHEMA, 'names unknown state'],
      ['tags', () => schema(any({ A: { tags: 'x' } })), ...SCHEMA, "'tags' must be an array of strings"],
      ['part 42', () => schema(any(42)), ...SCHEMA, 'schema() part #1 is not a state definition object'],
      ['extend undefined', () => extend(any(undefined), {}), ...ARG, 'extend(): def must be a state definition object, got undefined'],
      ['extend list', () => extend({}, any({ add: 'A' })), ...ARG, 'extend(): overlay.add must be an array of state names'],
    ])
  })

  it('reads each definition and list once', () => {
    let reads = 0
    const def = { get require(): string[] { reads++; return reads === 1 ? ['B'] : ['Nope'] } }
    const s = schema({ A: def, B: {} } as never)
    expect(reads).toBe(1)
    expect(s.states['A' as never]).toEqual({ require: ['B'] })
    let listReads = 0
    const list = new Proxy(['B'], { get: (t, k, r) => { if (k === '0') listReads++; return Reflect.get(t, k, r) as unknown } })
    schema({ A: { add: list }, B: {} } as never)
    expect(listReads).toBe(1)
  })
})

describe('states: pipes and disposal', () => {
  it('reject bad machines, state names and maps', () => {
    const src = mk('src')
    const dst = mk('dst')
    check([
      ["bindConnected 'Down'", () => pipe.bindConnected(src, dst, any('Down')), ...ARG,
        'pipe.bindConnected(): states must be a { connecting, connected, disconnecting, disconnected } record of target state names'],
      ['bindConnected typo', () => pipe.bindConnected(src, dst, any({ conected: 'A' })), ...ARG,
        'pipe.bindConnected(): states.conected must be one of connecting, connected, disconnecting, disconnected'],
      ['bindConnected empty', () => pipe.bindConnected(src, dst, {}), ...ARG, 'at least one'],
      ['bindConnected value', () => pipe.bindConnected(src, dst, any({ connected: 5 })), ...ARG, 'states.connected must be a target state name, got number 5'],
      ['add source', () => pipe.add(any(undefined), dst, 'A'), ...ARG, 'pipe.add(): source must be a Machine, got undefined'],
      ['add target', () => pipe.add(src, any({}), 'A'), ...ARG, 'pipe.add(): target must be a Machine'],
      ['add state', () => pipe.add(src, dst, any(42)), ...ARG, 'pipe.add(): sourceState must be a state name, got number 42'],
      ['add target state', () => pipe.add(src, dst, 'A', any(null)), ...ARG, 'pipe.add(): targetState must be a state name, got null'],
      ['remove state', () => pipe.remove(src, dst, any({})), ...ARG, 'pipe.remove(): sourceState'],
      ['bind inactive', () => pipe.bind(src, dst, 'A', 'A', any(5)), ...ARG, 'pipe.bind(): inactive must be a state name or undefined'],
      ['bindMany [1]', () => pipe.bindMany(src, dst, any([1])), ...ARG, 'pipe.bindMany(): states[0] must be a state name, got number 1'],
      ['bindMany {A:5}', () => pipe.bindMany(src, dst, any({ A: 5 })), ...ARG, 'pipe.bindMany(): states.A must be a target state name'],
      ["bindMany 'A'", () => pipe.bindMany(src, dst, any('A')), ...ARG, 'pipe.bindMany(): states must be an array of state names or a { source: target } record'],
      ['bindMany getter', () => pipe.bindMany(src, dst, any(throwing('A'))), ...ARG, 'reading it threw: getter boom'],
      ['bindAny except', () => pipe.bindAny(src, dst, any({ except: 'A' })), ...ARG, 'pipe.bindAny(): options.except must be an array of state names'],
      ['bindAny source', () => pipe.bindAny(any(null), dst), ...ARG, 'pipe.bindAny(): source must be a Machine'],
      ['bindErr', () => pipe.bindErr(src, dst, any(5)), ...ARG, 'pipe.bindErr(): targetErr must be a state name or undefined'],
      ['bindStart', () => pipe.bindStart(src, dst, any(5)), ...ARG, 'pipe.bindStart(): active'],
      ['bindReady', () => pipe.bindReady(src, dst, undefined, any(5)), ...ARG, 'pipe.bindReady(): inactive'],
      ['sync', () => pipe.sync(src, dst, any('A')), ...ARG, 'pipe.sync(): states must be'],
      ['registerDisposal mach', () => registerDisposal(any(undefined), () => undefined), ...ARG, 'registerDisposal(): mach must be a Machine'],
      ['registerDisposal fn', () => registerDisposal(src, any('x')), ...ARG, "machine src: registerDisposal(): fn must be a function, got string 'x'"],
      ['dispose mach', () => dispose(any(42)), ...ARG, 'dispose(): mach must be a Machine, got number 42'],
      ['DisposedHandlers onError', () => new DisposedHandlers(any({ onError: 5 })), ...ARG, 'new DisposedHandlers(): options.onError must be a function'],
    ])
    // nothing was bound
    expect(src.add('A')).toBe(0)
  })
})

describe('helpers', () => {
  it('throw library errors for bad input', () => {
    const m = mk()
    check([
      ['waitForAll 42', () => waitForAll(any(42)), ...ARG, 'waitForAll(): waiters must be an array of promises or functions, got number 42'],
      ['waitForAll [42]', () => waitForAll(any([42])), ...ARG, 'waitForAll(): waiters[0] must be a promise or a function that returns one'],
      ['waitForAll timeout', () => waitForAll([], { timeout: -1 }), ...RANGE, 'waitForAll(): options.timeout must be a number ≥ 0 (ms), got number -1'],
      ['waitForAll signal', () => waitForAll([], { signal: any({}) }), ...ARG, 'waitForAll(): options.signal must be an AbortSignal'],
      ['waitForAll fn no promise', () => waitForAll([any(() => 42)]), ...ARG, 'waiters[0] must be a function that returns a promise, got number 42'],
      ['waitForErrAll machines', () => waitForErrAll(any([{}]), []), ...ARG, 'waitForErrAll(): machines[0] must be a Machine'],
      ['mutationRequest type', () => mutationRequest(m, any('toggle'), 'A'), ...ARG, "machine v: mutationRequest(): type must be 'add', 'remove' or 'set', got string 'toggle'"],
      ['mutationRequest mach', () => mutationRequest(any(undefined), 'add', 'A'), ...ARG, 'mutationRequest(): mach must be a Machine, got undefined'],
      ['mutationRequest args', () => mutationRequest(m, 'add', 'A', any(42)), ...ARG, 'mutationRequest(): args must be an object or undefined'],
      ['mutationRequest retries', () => mutationRequest(m, 'add', 'A').retries(-1), ...RANGE, 'retries(): n must be an integer ≥ 0, got number -1'],
      ['mutationRequest states', () => mutationRequest(m, 'add', any([1])), ...ARG, 'mutationRequest(): states must be state names'],
      ['stateLoop max', () => stateLoop(m, 'A', { maxIterations: 0 }), ...RANGE, 'machine v: stateLoop(): options.maxIterations must be an integer ≥ 1'],
      ['stateLoop window', () => stateLoop(m, 'A', { window: 0 }), ...RANGE, 'options.window must be a number > 0'],
      ['stateLoop opts', () => stateLoop(m, 'A', any(null)), ...ARG, 'stateLoop(): options must be an object'],
      ['stateLoop mach', () => stateLoop(any(42), 'A'), ...ARG, 'stateLoop(): mach must be a Machine'],
      ['stateLoop state', () => stateLoop(m, any(['A'])), ...ARG, 'stateLoop(): state must be a state name'],
      ['schemaImplements subject', () => schemaImplements(any({}), []), ...ARG, 'schemaImplements(): subject must be a schema or a machine'],
      ['schemaImplements required', () => schemaImplements(ss, any('A')), ...ARG, 'schemaImplements(): required must be a schema or an array of state names'],
      ['cond.is(42)', () => cond.is(any(42)), ...ARG, 'cond.is(): states must be a state name or an array of them, got number 42'],
      ['cond.any', () => cond.any('A', any(5)), ...ARG, 'cond.any(): groups[1]'],
      ['cond.all(42)', () => cond.all(any(42)), ...ARG, 'cond.all(): conds[0] must be a condition (function)'],
      ['cond.ticks(null)', () => cond.ticks(any(null)), ...ARG, 'cond.ticks(): clock must be a { state: tick } record'],
      ['cond.ticks value', () => cond.ticks(any({ A: 'x' })), ...ARG, 'cond.ticks(): clock.A must be a tick (number)'],
      ['cond.of(null)', () => cond.of(any(null)), ...ARG, 'cond.of(): spec must be a CondSpec object'],
      ['cond.when fn', () => cond.when(m, any(42)), ...ARG, 'cond.when(): cond must be a condition (function)'],
      ['cond.when mach', () => cond.when(any(undefined), () => true), ...ARG, 'cond.when(): mach must be a Machine'],
      ['addSync mach', () => addSync(any(undefined), 'A'), ...ARG, 'addSync(): mach must be a Machine'],
      ['addSync args', () => addSync(m, 'A', any(42)), ...ARG, 'machine v: add(): args must be an object'],
      ['addAsync timeout', () => addAsync(m, 'A', 'B', undefined, { timeout: any('5') }), ...RANGE, 'addAsync(): options.timeout'],
    ])
  })

  it('their own errors are PolymachineErrors with codes', () => {
    const loop = new StateLoopError('m', 'A', 3, 10)
    expect(loop).toBeInstanceOf(PolymachineError)
    expect(loop.code).toBe('ERR_STATE_LOOP')
    const contract = new ContractError('schema', ['A'], [])
    expect(contract).toBeInstanceOf(PolymachineError)
    expect(contract.code).toBe('ERR_CONTRACT')
    const inExc = new InExceptionError('m', 'text')
    expect(inExc.code).toBe('ERR_IN_EXCEPTION')
    expect(inExc.message).toBe('machine m is in Exception: text')
    expect(inExc.cause).toBe('text')
    // a hostile err is described, never thrown while building the message
    expect(new InExceptionError('m', Object.create(null)).message).toBe('machine m is in Exception: [unprintable]')
  })
})

describe('a property: any value given to a public function either works or throws a library error', () => {
  // Thunks: fast-check itself probes the values it generates, and a revoked proxy would break it.
  const hostile = fc.constantFrom<() => unknown>(
    revoked, () => throwing('x'), () => Object.create(null), () => new Proxy({}, { get: () => { throw new Error('trap') } }),
    () => ({ toString: () => { throw new Error('toString') } }), () => Symbol('s'), () => 10n, () => () => 1,
    () => [undefined], () => NaN, () => ({ A: revoked() }), () => [revoked()],
  )
  const value = fc.oneof(fc.anything().map((v) => () => v), hostile)

  it('for options, args, handlers, tracers, log and import', () => {
    fc.assert(fc.property(value, fc.constantFrom(...OPS), (thunk, op) => {
      const v = thunk()
      const m = mk()
      try {
        op(m, v)
      } catch (err) {
        expect(isPolymachineError(err), `${String(op)} threw ${String(err)}`).toBe(true)
      }
    }), { numRuns: 600 })
  })
})

const OPS: Array<(m: Machine<string>, v: unknown) => unknown> = [
  (_, v) => new Machine(ss, any(v)),
  (_, v) => new Machine(ss, any({ logArgs: v, logLevel: LogLevel.Everything, logger: () => undefined })),
  (_, v) => new Machine(ss, any({ tracers: [v] })),
  (_, v) => new Machine(any(v)),
  (m, v) => m.bind(any(v)),
  (m, v) => m.bindTracer(any(v)),
  (m, v) => m.add('A', any(v)),
  (m, v) => m.add(any(v)),
  (m, v) => m.time(any(v)),
  (m, v) => {
    m.logLevel = LogLevel.Everything
    m.bind({ AState: () => undefined })
    return m.add('A', any(v))
  },
  (m, v) => m.addErr(v, any(v)),
  (m, v) => m.log(any(v)),
  (m, v) => m.import(any(v)),
  (m, v) => m.import(any({ ...m.export(), time: v })),
  (_, v) => schema(any(v)),
  (_, v) => schema(any({ A: v })),
  (_, v) => schema(any({ A: { require: v } })),
  (m, v) => pipe.bindMany(m, mk('dst'), any(v)),
  (m, v) => pipe.bindConnected(m, mk('dst'), any(v)),
  (m, v) => cond.of(any(v)),
  (_, v) => cond.ticks(any(v)),
  (_, v) => cond.is(any(v)),
  (_, v) => cond.all(any(v)),
  (m, v) => pipe.bindAny(m, mk('dst'), any(v)),
  (m, v) => pipe.add(m, any(v), 'A'),
  (m, v) => m.bind({}, any(v)),
  (m, v) => m.whenArgs('A', any(v)).catch(() => undefined),
  (_, v) => waitForAll(any(v)),
  (_, v) => waitForAll([], any(v)),
  (_, v) => waitForErrAll(any(v), []),
  (m, v) => addSync(m, any(v)).catch(() => undefined),
  (m, v) => stateLoop(m, 'A', any(v)),
  (m, v) => mutationRequest(m, 'add', any(v)),
  (_, v) => schemaImplements(ss, any(v)),
  (_, v) => extend(any(v), any(v)),
]
