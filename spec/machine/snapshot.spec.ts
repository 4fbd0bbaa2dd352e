/**
 * import(): a snapshot must be one this schema's machine could have exported — types, tick ranges, relations, and
 * `Exception` only with its error — and every field is read once.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Machine, PolymachineError, SchemaError, schema, type Snapshot } from '../../lib/machine/index.js'
import { modelArb } from '../support/model.js'

const ss = schema({
  A: { remove: ['B'] },
  B: { remove: ['A'] },
  C: { require: ['A'] },
  MachineRestored: {},
})
const fresh = (): Machine<'A' | 'B' | 'C' | 'MachineRestored' | 'Exception'> => new Machine(ss, { id: 'snap' })
const snap = (time: number[], extra: Partial<Snapshot> = {}): Snapshot =>
  ({ id: 'x', names: [...ss.names], time, queueTick: 1, ...extra })

function rejects(s: unknown, message: RegExp | string): void {
  const m = fresh()
  const before = m.time()
  let err: unknown
  try {
    m.import(s as Snapshot)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(SchemaError)
  expect(err).toBeInstanceOf(PolymachineError)
  expect((err as SchemaError).code).toBe('ERR_SNAPSHOT')
  expect((err as Error).message).toMatch(message)
  expect((err as Error).message).toContain('machine snap: import()')
  expect(m.time()).toEqual(before) // nothing applied
}

describe('import(): relations', () => {
  it('rejects both sides of a mutual remove active', () => {
    rejects(snap([1, 1, 0, 0, 0]), "'A' and 'B' are both active, but they remove each other")
  })

  it('accepts both sides of a one-way remove: the core reaches such states (an add implied after removals)', () => {
    const s = schema({ S6: { remove: ['S15'], auto: true }, S7: { remove: ['S6'] }, S9: { remove: ['S7'], add: ['S6'], auto: true },
      S15: { auto: true } })
    const m = new Machine(s)
    m.add('S7')
    expect(m.is(['S6', 'S15'])).toBe(true) // S6 removes S15, yet both are active until the next transition
    const copy = new Machine(s)
    copy.import(m.export())
    expect(copy.time()).toEqual(m.time())
  })

  it('rejects an active state whose require is inactive', () => {
    rejects(snap([0, 0, 1, 0, 0]), "'C' is active but the state it requires, 'A', is not")
  })

  it('rejects Exception active without err; accepts it with err and restores mach.err', () => {
    rejects(snap([0, 0, 0, 0, 1]), "'Exception' is active but the snapshot has no 'err'")
    const m = fresh()
    m.import(snap([0, 0, 0, 0, 1], { err: 'disk full' }))
    expect(m.is('Exception')).toBe(true)
    expect(m.err).toBeInstanceOf(PolymachineError)
    expect((m.err as PolymachineError).code).toBe('ERR_RESTORED')
    expect((m.err as Error).message).toBe('machine snap: restored in Exception: disk full')
  })

  it('export() of a machine in Exception carries err, and the round trip works (also through JSON)', () => {
    const a = fresh()
    a.add('A')
    a.addErr(new Error('boom'))
    const s = a.export()
    expect(s.err).toBe('boom')
    const b = fresh()
    b.import(JSON.parse(JSON.stringify(s)) as Snapshot)
    expect(b.is(['A', 'Exception', 'MachineRestored'])).toBe(true)
    expect((b.err as Error).message).toContain('boom')
    // no Exception: no err field, and an inactive Exception leaves mach.err alone
    const c = fresh()
    c.add('B')
    expect('err' in c.export()).toBe(false)
    b.import(c.export())
    expect((b.err as Error).message).toContain('boom')
  })

  it('export → import round trips for every reachable state of random schemas', () => {
    fc.assert(fc.property(modelArb, (model) => {
      const s = schema(model.defs)
      const m = new Machine(s)
      const handlers: Record<string, () => void> = {}
      for (const [from, to] of model.reactions) handlers[`S${from}State`] = () => void m.add(`S${to}`)
      m.bind(handlers)
      for (const step of model.steps) {
        const states = step.states.map((i) => `S${i}`)
        m[step.op](states)
        const copy = new Machine(s)
        copy.import(m.export())
        expect(copy.time()).toEqual(m.time())
      }
      m.dispose() // a reaction cycle would otherwise go on in macrotasks (drain budget)
    }), { numRuns: 400 })
  })
})

describe('import(): types and ranges', () => {
  it('rejects ticks that are not integers from 0 to MAX_SAFE_INTEGER - 1', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER, 2 ** 60, '1', null]) {
      rejects(snap([0, bad as number, 0, 0, 0]), /tick of B is not an integer from 0 to 9007199254740990/)
    }
    const m = fresh()
    m.import(snap([0, Number.MAX_SAFE_INTEGER - 2, 0, 0, 0])) // odd: B active; its next tick is still safe
    expect(m.is('B')).toBe(true)
    m.remove('B')
    expect(m.tick('B')).toBe(Number.MAX_SAFE_INTEGER - 1)
  })

  it('rejects queueTick out of range or of the wrong type', () => {
    for (const bad of [0, -3, 2.5, Number.MAX_SAFE_INTEGER, '2', undefined]) {
      rejects(snap([0, 0, 0, 0, 0], { queueTick: bad as number }), /queueTick must be an integer from 1/)
    }
  })

  it('rejects wrong types anywhere', () => {
    rejects(null, 'the snapshot must be an object')
    rejects(42, 'the snapshot must be an object')
    rejects([], 'the snapshot must be an object')
    rejects({ ...snap([0, 0, 0, 0, 0]), names: 'A' }, "'names' must be an array")
    rejects({ ...snap([0, 0, 0, 0, 0]), names: [...ss.names].reverse() }, "state names differ from the schema's")
    rejects({ ...snap([0, 0, 0, 0, 0]), time: { length: 5 } }, "'time' must be an array")
    rejects(snap([0, 0, 0]), 'time must have 5 ticks, got 3')
    rejects(snap([0, 0, 0, 0, 0], { id: 42 as unknown as string }), "'id' must be a string")
    rejects(snap([0, 0, 0, 0, 0], { err: {} as unknown as string }), "'err' must be a string")
  })

  it('turns a throwing getter or proxy trap into ERR_SNAPSHOT', () => {
    const getter = snap([0, 0, 0, 0, 0])
    Object.defineProperty(getter, 'time', { get: () => { throw new Error('nope') } })
    rejects(getter, "reading 'time' threw: nope")
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    rejects(revoked.proxy, /reading 'id' threw/)
    rejects(snap(new Proxy([0, 0, 0, 0, 0], { get: (t, k) => (k === 'length' ? 5 : (() => { throw new Error('trap') })()) })),
      "reading 'time' threw: trap")
  })

  it('reads every field once: a getter cannot swap a value between check and use', () => {
    let reads = 0
    const tricky = {
      id: 'x',
      names: [...ss.names],
      get time(): number[] {
        reads++
        return reads === 1 ? [1, 0, 1, 0, 0] : [1, 1, 1, 0, 0] // valid first, invalid later
      },
      get queueTick(): number {
        reads++
        return reads <= 2 ? 5 : -1
      },
    }
    const m = fresh()
    m.import(tricky as Snapshot)
    expect(reads).toBe(2)
    expect(m.activeStates).toEqual(expect.arrayContaining(['A', 'C', 'MachineRestored']))
    expect(m.is('B')).toBe(false)
    expect(m.queueTick).toBeGreaterThanOrEqual(5)
    // the time array itself is copied: changing it after import changes nothing
    const arr = [0, 1, 0, 0, 0]
    const m2 = fresh()
    m2.import(snap(arr))
    arr[1] = 99
    expect(m2.tick('B')).toBe(1)
  })

  it('a snapshot still seeds another machine (id is not compared) and MachineRestored is added', () => {
    const a = new Machine(ss, { id: 'a' })
    a.add('A')
    a.add('C')
    const b = new Machine(ss, { id: 'b' })
    b.import(a.export())
    expect(b.is(['A', 'C', 'MachineRestored'])).toBe(true)
  })

  it('import() from a handler is an InvalidOperationError', () => {
    const m = fresh()
    let err: unknown
    m.bind({ AState: () => {
      try {
        m.import(snap([0, 0, 0, 0, 0]))
      } catch (e) {
        err = e
      }
    } })
    m.add('A')
    expect((err as PolymachineError).code).toBe('ERR_INVALID_OPERATION')
  })
})
