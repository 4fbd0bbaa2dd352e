import { describe as group, expect, it } from 'vitest'
import {
  DisposedError, HandlerError, HandlerNameError, InvalidArgumentError, InvalidOperationError, OutOfRangeError,
  PolymachineError, SchemaError, TimeoutError, UnknownStateError, isPolymachineError,
} from '../../lib/index.js'
import { describe, safeGet, safeJson, safeString, thenOf } from '../../lib/machine/internals.js'

group('one error model', () => {
  const all: Array<[Error, string]> = [
    [new SchemaError('bad'), 'ERR_SCHEMA'],
    [new SchemaError('bad', 'A', 'ERR_SNAPSHOT'), 'ERR_SNAPSHOT'],
    [new UnknownStateError('m', ['X']), 'ERR_UNKNOWN_STATE'],
    [new HandlerNameError('m', 'XState', 'names no state'), 'ERR_HANDLER_NAME'],
    [new HandlerError('m', 'AEnter', 'returned a Promise'), 'ERR_HANDLER'],
    [new DisposedError('m'), 'ERR_DISPOSED'],
    [new TimeoutError('m', 'when()', 5), 'ERR_TIMEOUT'],
    [new InvalidOperationError('no'), 'ERR_INVALID_OPERATION'],
    [new InvalidArgumentError('bind()', 'handlers', 'an object', 42), 'ERR_INVALID_ARG'],
    [new OutOfRangeError('when()', 'timeout', 'a number ≥ 0', -1), 'ERR_OUT_OF_RANGE'],
  ]

  it('every error is a PolymachineError with its code', () => {
    for (const [err, code] of all) {
      expect(err).toBeInstanceOf(PolymachineError)
      expect(isPolymachineError(err)).toBe(true)
      expect((err as PolymachineError).code).toBe(code)
      expect(err.name).not.toBe('Error')
    }
  })

  it('argument errors are also TypeError / RangeError, as Node reports bad arguments', () => {
    const t = new InvalidArgumentError('bind()', 'handlers', 'an object', null)
    const r = new OutOfRangeError('when()', 'timeout', 'a number ≥ 0', Number.NaN)
    expect(t).toBeInstanceOf(TypeError)
    expect(r).toBeInstanceOf(RangeError)
    expect(t.message).toBe('bind(): handlers must be an object, got null')
    expect(r.message).toBe('when(): timeout must be a number ≥ 0, got number NaN')
  })

  it('subclasses keep their own instanceof check', () => {
    expect(new DisposedError('m')).not.toBeInstanceOf(TimeoutError)
    expect(new TypeError('x')).not.toBeInstanceOf(PolymachineError)
    expect(new Error('x')).not.toBeInstanceOf(PolymachineError)
    expect(isPolymachineError(null)).toBe(false)
    expect(isPolymachineError({ code: 'ERR_SCHEMA' })).toBe(false)
  })
})

group('formatting hostile values never throws', () => {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  const hostile: unknown[] = [
    Object.create(null),
    { toString() { throw new Error('no') } },
    { get message() { throw new Error('no') } },
    new Proxy({}, { get() { throw new Error('trap') }, getPrototypeOf() { throw new Error('trap') } }),
    revoked.proxy,
    Symbol('s'),
    10n,
    (() => { const o: Record<string, unknown> = {}; o.self = o; return o })(),
    Object.assign(new Error('boom'), { toString() { throw new Error('no') } }),
  ]

  it('describe, safeString, safeJson and safeGet return strings for all of them', () => {
    for (const v of hostile) {
      expect(typeof describe(v)).toBe('string')
      expect(typeof safeString(v)).toBe('string')
      expect(typeof safeJson(v)).toBe('string')
      expect(() => safeGet(v, 'x')).not.toThrow()
    }
    expect(describe(Object.create(null))).toBe('object (null prototype)')
    expect(safeString(new Error('boom'))).toBe('boom')
  })

  it('thenOf reports a throwing then getter as an error instead of throwing', () => {
    const bad = { get then() { throw new Error('then!') } }
    expect((thenOf(bad).error as Error).message).toBe('then!')
    expect(typeof thenOf(Promise.resolve(1)).then).toBe('function')
    expect(thenOf(42)).toEqual({})
  })
})
