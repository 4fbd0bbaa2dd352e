/**
 * Every public function of the actor runtime checks its arguments and throws InvalidArgumentError (a TypeError) or
 * OutOfRangeError (a RangeError), both PolymachineErrors, naming the function, the bad value and what is expected.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, OutOfRangeError, PolymachineError, schema } from '../../lib/machine/index.js'
import {
  ActorSystem, Mailbox, Receptionist, Router, seededRandom, serviceKey, type ActorEvent, type ActorTimers,
} from '../../lib/actor/index.js'

const ss = schema({ Job: { multi: true } })
const Jobs = serviceKey<typeof ss>('jobs')

let system: ActorSystem
afterEach(async () => {
  await system.shutdown({ timeout: 20 })
})

/** Runs `fn`; returns the error it threw (fails when it did not throw). */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('did not throw')
}

function argError(fn: () => unknown, message: RegExp): void {
  const err = thrown(fn)
  expect(err).toBeInstanceOf(InvalidArgumentError)
  expect(err).toBeInstanceOf(TypeError)
  expect(err).toBeInstanceOf(PolymachineError)
  expect(err.code).toBe('ERR_INVALID_ARG')
  expect(err.message).toMatch(message)
}

function rangeError(fn: () => unknown, message: RegExp): void {
  const err = thrown(fn)
  expect(err).toBeInstanceOf(OutOfRangeError)
  expect(err).toBeInstanceOf(RangeError)
  expect(err.code).toBe('ERR_OUT_OF_RANGE')
  expect(err.message).toMatch(message)
}

/** Calls spawn with arbitrary (untyped) arguments. */
function spawnAny(...args: unknown[]): unknown {
  return (system.spawn as (...a: unknown[]) => unknown)(...args)
}

describe('spawn', () => {
  it('rejects a missing schema, handlers that are not an object, missing options and bad ids', () => {
    system = new ActorSystem()
    argError(() => spawnAny(undefined, {}, { id: 'a' }), /system\.spawn\(\): schema must be a schema made by schema\(\), got undefined/)
    argError(() => spawnAny({ states: {} }, {}, { id: 'a' }), /schema must be/)
    argError(() => spawnAny(ss, 42, { id: 'a' }), /handlers must be a handler object, got number 42/)
    argError(() => spawnAny(ss, null, { id: 'a' }), /handlers must be a handler object, got null/)
    argError(() => spawnAny(ss, {}), /options must be an options object/)
    argError(() => spawnAny(ss, {}, 'a'), /options must be/)
    argError(() => spawnAny(ss, {}, { id: '' }), /options\.id must be a non-empty string, got string ''/)
    argError(() => spawnAny(ss, {}, { id: 7 }), /options\.id must be a non-empty string, got number 7/)
    argError(() => spawnAny(ss, {}, { id: 'a', key: 'jobs' }), /options\.key must be a service key/)
    argError(() => spawnAny(ss, {}, { id: 'a', logger: 'console' }), /options\.logger must be a function/)
    expect(system.size).toBe(0)
  })

  it('rejects unknown overflow policies, listing the valid ones', () => {
    system = new ActorSystem()
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: { overflow: 'drop_oldest' } }),
      /options\.mailbox\.overflow must be one of 'block', 'drop-newest', 'drop-oldest', 'reject', 'red', got string 'drop_oldest'/)
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: 5 }), /options\.mailbox must be a mailbox options object/)
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: { protected: 'Job' } }), /options\.mailbox\.protected must be an array/)
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: { random: 0.5 } }), /options\.mailbox\.random must be a function/)
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: { get capacity() { throw new Error('x') } } }), /options\.mailbox\.capacity must be readable/)
  })

  it('rejects bad capacities, watermarks and concurrency', () => {
    system = new ActorSystem()
    rangeError(() => spawnAny(ss, {}, { id: 'a', mailbox: { capacity: 0 } }), /options\.mailbox\.capacity must be an integer ≥ 1, got number 0/)
    rangeError(() => spawnAny(ss, {}, { id: 'a', mailbox: { capacity: 2.5 } }), /capacity/)
    rangeError(() => spawnAny(ss, {}, { id: 'a', mailbox: { capacity: Infinity } }), /capacity/)
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: { capacity: '10' } }), /capacity must be an integer ≥ 1, got string '10'/)
    rangeError(() => spawnAny(ss, {}, { id: 'a', mailbox: { capacity: 10, red: { low: 8, high: 4 } } }), /red must be watermarks with 0 ≤ low < high ≤ capacity \(10\)/)
    argError(() => spawnAny(ss, {}, { id: 'a', mailbox: { red: { low: 'x', high: 4 } } }), /red\.low must be a number/)
    rangeError(() => spawnAny(ss, {}, { id: 'a', concurrency: 0 }), /actor a: spawn\(\): options\.concurrency must be an integer ≥ 1, got number 0/)
    rangeError(() => spawnAny(ss, {}, { id: 'a', concurrency: NaN }), /concurrency/)
    argError(() => spawnAny(ss, {}, { id: 'a', concurrency: '2' }), /concurrency must be an integer ≥ 1, got string '2'/)
    expect(system.size).toBe(0)
  })

  it('the system itself checks its options; a block default mailbox is refused', () => {
    system = new ActorSystem()
    const make = (o: unknown) => () => new ActorSystem(o as never)
    argError(make(42), /new ActorSystem\(\): options must be/)
    argError(make({ id: '' }), /options\.id must be a non-empty string/)
    rangeError(make({ stopTimeout: -1 }), /options\.stopTimeout must be a number of ms ≥ 0/)
    argError(make({ mailbox: { overflow: 'block' } }), /options\.mailbox\.overflow must be a policy other than 'block'/)
    argError(make({ mailbox: { overflow: 'nope' } }), /overflow must be one of/)
  })
})

describe('ask, tell and stop', () => {
  it('check args, options, timeouts and signals synchronously', async () => {
    system = new ActorSystem()
    const ref = system.spawn(ss, { JobState: () => 1 }, { id: 'a' })
    const r = ref as unknown as { ask(...a: unknown[]): unknown; tell(...a: unknown[]): unknown }
    argError(() => r.tell('Job', 42), /actor a: tell\(\): args must be an object or undefined, got number 42/)
    argError(() => r.ask('Job', [1]), /actor a: ask\(\): args must be/)
    argError(() => r.ask('Job', null), /args must be/)
    argError(() => r.ask('Job', {}, 5), /actor a: ask\(\): options must be an object \{ timeout\?, signal\?, deadline\? \}/)
    rangeError(() => r.ask('Job', {}, { timeout: -1 }), /options\.timeout must be a number of ms ≥ 0 \(or Infinity\), got number -1/)
    rangeError(() => r.ask('Job', {}, { timeout: NaN }), /got number NaN/)
    argError(() => r.ask('Job', {}, { timeout: '5' }), /options\.timeout must be a number/)
    argError(() => r.ask('Job', {}, { signal: 'stop' }), /options\.signal must be an AbortSignal/)
    argError(() => r.tell(42), /tell\(\)\/ask\(\): msg must be a message name \(string\), got number 42/)
    rangeError(() => system.stop(ref, { timeout: -5 }), /system\.stop\(\): options\.timeout/)
    argError(() => system.stop({ id: 'x', stopped: false }), /system\.stop\(\): ref must be an actor ref/)
    argError(() => system.watch({ id: 'x', stopped: false }), /system\.watch\(\): ref must be an actor ref/)
    argError(() => system.link(ref, {} as never), /system\.link\(\): ref must be an actor ref/)
    rangeError(() => system.shutdown({ timeout: -1 }), /system\.shutdown\(\): options\.timeout/)
    expect(await ref.ask('Job', {}, { timeout: Infinity })).toBe(1)
  })
})

describe('routers, keys, the receptionist, timers and seededRandom', () => {
  it('router: bad strategy lists the valid ones; bad key', () => {
    system = new ActorSystem()
    argError(() => system.router(Jobs, 'fastest' as 'random'),
      /system\.router\(\): strategy must be one of 'round-robin', 'random', 'least-queued', got string 'fastest'/)
    argError(() => system.router(undefined as never), /system\.router\(\): key must be a service key/)
    argError(() => new Router({} as never, Jobs, 'random', () => undefined), /new Router\(\): receptionist must be a Receptionist/)
    argError(() => system.get(7 as never), /system\.get\(\): id must be an actor id \(string\), got number 7/)
  })

  it('serviceKey and the receptionist', () => {
    system = new ActorSystem()
    argError(() => serviceKey(''), /serviceKey\(\): name must be a non-empty string/)
    argError(() => serviceKey(5 as never), /got number 5/)
    const rec = new Receptionist()
    argError(() => rec.register(Jobs, { id: 'fake' } as never), /receptionist\.register\(\): ref must be an actor ref/)
    argError(() => rec.register(null as never, {} as never), /receptionist\.register\(\): key must be a service key/)
    argError(() => rec.find({} as never), /receptionist\.find\(\): key/)
    argError(() => rec.subscribe({ name: '' } as never), /receptionist\.subscribe\(\): key/)
  })

  it('timers: bad keys, delays and args', async () => {
    system = new ActorSystem()
    let timers!: ActorTimers
    const ref = system.spawn(ss, { JobState: (e: ActorEvent) => void (timers = e.timers) }, { id: 'a' })
    await ref.ask('Job')
    const t = timers as unknown as Record<string, (...a: unknown[]) => unknown>
    argError(() => t.once?.(5, 'Job', 10), /actor a: timers\.once\(\): key must be a string, got number 5/)
    rangeError(() => t.once?.('k', 'Job', -1), /timers\.once\(\): delay must be a finite number of ms ≥ 0, got number -1/)
    rangeError(() => t.every?.('k', 'Job', Infinity), /timers\.every\(\): interval must be a finite number/)
    argError(() => t.every?.('k', 'Job', '10'), /interval must be a finite number of ms ≥ 0, got string '10'/)
    argError(() => t.once?.('k', 'Job', 10, 42), /timers\.once\(\): args must be/)
    argError(() => t.cancel?.(null), /timers\.cancel\(\): key must be a string/)
    expect(timers.size).toBe(0)
  })

  it('seededRandom and new Mailbox()', () => {
    system = new ActorSystem()
    rangeError(() => seededRandom(NaN), /seededRandom\(\): seed must be a finite number, got number NaN/)
    argError(() => seededRandom('1' as never), /seed must be a finite number, got string '1'/)
    rangeError(() => new Mailbox({ capacity: 0 }, () => undefined), /new Mailbox\(\): options\.capacity must be an integer ≥ 1/)
    argError(() => new Mailbox({ overflow: 'drop_oldest' as never }, () => undefined), /new Mailbox\(\): options\.overflow must be one of/)
  })
})
