/**
 * Logging, in asyncmachine-go's line format: the exact lines of each level for a scripted sequence, the
 * `[<first 5 chars of id>] ` prefix, plain text unless writing to a TTY, `mach.log()` at External, the args mapper,
 * and no work at all at `LogLevel.Nothing`.
 */
import chalk from 'chalk'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LogLevel, Machine, argsMapper, schema, type Args, type Event, type LogArgs } from '../../lib/machine/index.js'

const ss = schema({
  A: {},
  B: { auto: true, require: ['A'] },
  C: { require: ['D'] },
  D: {},
  E: { remove: ['A'] },
  F: {},
})

/** Every line of the scripted sequence at LogLevel.Decisions, with the level it is emitted at. */
const DECISIONS: Array<[LogLevel, string]> = [
  [3, '[logge] [handlers] bind 1:h'],
  [1, '[logge] [exter] hello world'],
  [3, '[logge] [add] A (id=abcdefghijklmnopq...)'],
  [2, '[logge] [state] +A'],
  [3, '[logge] [handler:1] AState'],
  [3, '[logge] [queue:add] D'],
  [3, '[logge] [queue:skipped] Duplicate detected for [add] D'],
  [3, '[logge] [auto] B'],
  [4, '[logge] [add:auto] B'],
  [2, '[logge] [auto_] +B'],
  [3, '[logge] [add] D'],
  [2, '[logge] [state] +D'],
  [3, '[logge] [add] F'],
  [3, '[logge] [handler:1] FEnter'],
  [3, '[logge] [cancel] (F A B D) by FEnter'],
  [3, '[logge] [remove] D'],
  [2, '[logge] [state] -D'],
  [3, '[logge] [add] C'],
  [3, '[logge] [reject] C(-D)'],
  [3, '[logge] [cancel:reject] C'],
  [3, '[logge] [add] E (name=n url=http://x)'],
  [3, '[logge] [rel:remove] A by E'],
  [3, '[logge] [reject] B(-A)'],
  [2, '[logge] [state] +E -A -B'],
  [3, '[logge] [auto] B'],
  [4, '[logge] [add:auto] B'],
  [4, '[logge] [reject:auto] B(-A)'],
  [3, '[logge] [cancel:reject] B'],
  [3, '[logge] [set] D'],
  [2, '[logge] [state] +D -E'],
  [3, '[logge] [auto] B'],
  [4, '[logge] [add:auto] B'],
  [4, '[logge] [reject:auto] B(-A)'],
  [3, '[logge] [cancel:reject] B'],
  [2, '[logge] [error] bad'],
  [3, '[logge] [add] Exception (err=bad)'],
  [2, '[logge] [state] +Exception'],
  [3, '[logge] [auto] B'],
  [4, '[logge] [add:auto] B'],
  [4, '[logge] [reject:auto] B(-A)'],
  [3, '[logge] [cancel:reject] B'],
]

/** Runs the scripted sequence on a machine logging at `level`; returns what the logger received. */
function script(level: LogLevel): Array<[LogLevel, string]> {
  const got: Array<[LogLevel, string]> = []
  const m = new Machine(ss, { id: 'logger1', logLevel: level, logger: (l, line) => got.push([l, line]) })
  m.bind({
    AState: (e: Event) => {
      e.machine.add('D')
      e.machine.add('D')
    },
    FEnter: () => false,
  }, { id: 'h' })
  m.log('hello\nworld')
  m.add('A', { id: 'abcdefghijklmnopqrstuvwxyz', foo: 1 })
  m.add('F')
  m.remove('D')
  m.add('C')
  m.add('E', { url: 'http://x', name: 'n', foo: 2 })
  m.set('D')
  m.addErr(new Error('bad'))
  return got
}

describe('log levels: exact lines of a scripted sequence', () => {
  it('Nothing: no line at all', () => {
    expect(script(LogLevel.Nothing)).toEqual([])
  })

  it('External: only mach.log() lines, newlines replaced by spaces', () => {
    expect(script(LogLevel.External)).toEqual([[1, '[logge] [exter] hello world']])
  })

  it('Changes: adds state changes ([state], [auto_]) and errors', () => {
    expect(script(LogLevel.Changes)).toEqual([
      [1, '[logge] [exter] hello world'],
      [2, '[logge] [state] +A'],
      [2, '[logge] [auto_] +B'],
      [2, '[logge] [state] +D'],
      [2, '[logge] [state] -D'],
      [2, '[logge] [state] +E -A -B'],
      [2, '[logge] [state] +D -E'],
      [2, '[logge] [error] bad'],
      [2, '[logge] [state] +Exception'],
    ])
  })

  it('Ops: adds mutations, handlers, queue, auto, relation rejects and cancels', () => {
    expect(script(LogLevel.Ops)).toEqual(DECISIONS.filter(([l]) => l <= LogLevel.Ops))
    expect(script(LogLevel.Ops)).toHaveLength(34)
  })

  it('Decisions: adds [add:auto] and [reject:auto]; Ops lines are exactly the non-Decisions ones', () => {
    expect(script(LogLevel.Decisions)).toEqual(DECISIONS)
  })

  it('each line reaches the logger with the level it belongs to', () => {
    const got: Array<[LogLevel, string]> = []
    const m = new Machine(ss, { id: 'lv', logLevel: LogLevel.Changes, logger: (l, line) => got.push([l, line]) })
    m.add('A')
    m.log('x')
    m.logLevel = LogLevel.External
    m.remove('A')
    m.log('y')
    expect(got).toEqual([
      [2, '[lv] [state] +A'], [2, '[lv] [auto_] +B'], [1, '[lv] [exter] x'], [1, '[lv] [exter] y'],
    ])
  })
})

/** Runs `fn` with `process.stdout.isTTY` set as given and chalk allowed to colour, then restores both. */
function withStdout(isTTY: boolean, fn: () => void): void {
  const saved = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  const savedLevel = chalk.level
  Object.defineProperty(process.stdout, 'isTTY', { value: isTTY, configurable: true })
  chalk.level = 1
  try {
    fn()
  } finally {
    chalk.level = savedLevel
    if (saved) Object.defineProperty(process.stdout, 'isTTY', saved)
    else delete (process.stdout as { isTTY?: boolean }).isTTY
  }
}

describe('log prefix and output', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('prefixes every line with the first 5 chars of the id in brackets (shorter ids whole)', () => {
    const got: string[] = []
    const long = new Machine(ss, { id: 'abcdefgh', logLevel: LogLevel.Changes, logger: (_, l) => got.push(l) })
    const short = new Machine(ss, { id: 'ab', logLevel: LogLevel.Changes, logger: (_, l) => got.push(l) })
    long.add('D')
    short.add('D')
    expect(got).toEqual(['[abcde] [state] +D', '[ab] [state] +D'])
  })

  it('without a logger, writes plain text (no ANSI codes) to console.log when stdout is not a TTY', () => {
    const out: unknown[] = []
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(...a))
    withStdout(false, () => {
      const m = new Machine(ss, { id: 'plain', logLevel: LogLevel.Changes })
      m.add(['A', 'D'])
      m.log('hi')
    })
    expect(out).toEqual(['[plain] [state] +A +D', '[plain] [auto_] +B', '[plain] [exter] hi'])
  })

  it('on a TTY, colours the line with chalk (same text once the codes are stripped)', () => {
    const out: string[] = []
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(String(a[0])))
    withStdout(true, () => {
      const m = new Machine(ss, { id: 'tty01', logLevel: LogLevel.Changes })
      m.add('D')
    })
    expect(out).toHaveLength(1)
    // eslint-disable-next-line no-control-regex
    const ansi = /\u001b\[[0-9;]*m/g
    expect(out[0]).toMatch(ansi)
    expect(out[0]?.replace(ansi, '')).toBe('[tty01] [state] +D')
  })

  it('a custom logger receives the prefixed plain line, never coloured', () => {
    const got: string[] = []
    withStdout(true, () => {
      new Machine(ss, { id: 'cust1', logLevel: LogLevel.Changes, logger: (_, l) => got.push(l) }).add('D')
    })
    expect(got).toEqual(['[cust1] [state] +D'])
  })
})

describe('mach.log', () => {
  it('logs [exter] <msg> at External and above, nothing at Nothing', () => {
    const got: Array<[LogLevel, string]> = []
    const m = new Machine(ss, { id: 'ext', logger: (l, line) => got.push([l, line]) })
    m.log('silent')
    for (const level of [LogLevel.External, LogLevel.Everything]) {
      m.logLevel = level
      m.log(`at ${level}\nsecond line`)
    }
    expect(got).toEqual([[1, '[ext] [exter] at 1 second line'], [1, '[ext] [exter] at 5 second line']])
  })
})

describe('args in log lines', () => {
  const run = (logArgs: LogArgs | undefined, args: Args): string[] => {
    const got: string[] = []
    const m = new Machine(ss, {
      id: 'args1', logLevel: LogLevel.Ops, logger: (_, l) => got.push(l), ...(logArgs ? { logArgs } : {}),
    })
    m.add('D', args)
    return got.filter((l) => l.startsWith('[args1] [add]'))
  }

  it('by default prints name id port addr err path url uri, sorted by key, cut to 20 chars', () => {
    const got: string[] = []
    const m = new Machine(ss, { id: 'args0', logLevel: LogLevel.Ops, logger: (_, l) => got.push(l) })
    m.add('D', {
      uri: 'u', url: 'https://example.com/a/long/path', port: 8080, path: '/p', name: 'n', id: 7, err: new Error('e'),
      addr: { host: 'h' }, other: 'hidden', skipped: undefined,
    })
    expect(got[0]).toBe(
      '[args0] [add] D (addr={"host":"h"} err=e id=7 name=n path=/p port=8080 uri=u url=https://example.c...)')
  })

  it('prints nothing after the states when no selected arg is present', () => {
    expect(run(undefined, { foo: 1, id: undefined })).toEqual(['[args1] [add] D'])
  })

  it('a list of names selects which args are printed', () => {
    expect(run(['foo', 'bar'], { foo: 'x', bar: true, id: 1 })).toEqual(['[args1] [add] D (bar=true foo=x)'])
  })

  it('argsMapper(names, maxLen) keeps maxLen-3 chars plus ... when maxLen >= 5 (TestLogArgs)', () => {
    expect(run(argsMapper(['arg'], 5), { arg: 'foobar' })).toEqual(['[args1] [add] D (arg=fo...)'])
    expect(run(argsMapper(['arg'], 5), { arg: 'fooba' })).toEqual(['[args1] [add] D (arg=fooba)'])
  })

  it('argsMapper(names, maxLen) cuts hard when maxLen < 5', () => {
    expect(run(argsMapper(['arg'], 4), { arg: 'foobar' })).toEqual(['[args1] [add] D (arg=foob)'])
  })

  it('a mapper function decides the printed text', () => {
    expect(run((a) => ({ n: `#${String(a.n)}` }), { n: 3 })).toEqual(['[args1] [add] D (n=#3)'])
    expect(run(() => undefined, { id: 3 })).toEqual(['[args1] [add] D'])
  })

  it('args are printed on queued mutations too', () => {
    const got: string[] = []
    const m = new Machine(ss, { id: 'q', logLevel: LogLevel.Ops, logger: (_, l) => got.push(l) })
    m.bind({ DState: (e: Event) => void e.machine.add('F', { id: 'x' }) })
    m.add('D')
    expect(got).toContain('[q] [queue:add] F (id=x)')
    expect(got).toContain('[q] [add] F (id=x)')
  })
})

describe('LogLevel.Nothing does no work', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('never calls the logger, the args mapper or console', () => {
    const logger = vi.fn()
    const mapper = vi.fn(() => ({ x: 'y' }))
    const consoleLog = vi.spyOn(console, 'log')
    const m = new Machine(ss, { id: 'quiet', logger, logArgs: mapper })
    m.bind({ AState: (e: Event) => void e.machine.add('D', { id: 1 }), FEnter: () => false })
    m.log('x')
    m.add('A', { id: 1 })
    m.add('F', { id: 2 })
    m.add('C', { id: 3 })
    m.set('E', { id: 4 })
    m.addErr(new Error('e'))
    expect(m.logLevel).toBe(LogLevel.Nothing)
    expect(logger).not.toHaveBeenCalled()
    expect(mapper).not.toHaveBeenCalled()
    expect(consoleLog).not.toHaveBeenCalled()
    m.logLevel = LogLevel.Ops
    m.add('F', { id: 5 })
    expect(mapper).toHaveBeenCalledTimes(1)
    expect(logger).toHaveBeenCalledWith(LogLevel.Ops, '[quiet] [add] F (x=y)')
  })
})

describe('log level Everything', () => {
  it('adds the unchanged active states to [state] lines and [handle:<binding>] lines', () => {
    const lines: string[] = []
    const ss = schema({ A: {}, B: {} })
    const m = new Machine(ss, { id: 'every', logLevel: LogLevel.Everything, logger: (_l, line) => lines.push(line) })
    m.bind({ BState() {} }, { id: 'h' })
    m.add('A')
    m.add('B')
    expect(lines).toContain('[every] [state] +B A')
    expect(lines).toContain('[every] [handle:h] BState')
    const ops: string[] = []
    const n = new Machine(ss, { id: 'ops', logLevel: LogLevel.Decisions, logger: (_l, line) => ops.push(line) })
    n.bind({ BState() {} }, { id: 'h' })
    n.add('A')
    n.add('B')
    expect(ops).toContain('[ops] [state] +B')
    expect(ops.some((l) => l.includes('[handle:'))).toBe(false)
  })
})

describe('hostile values in log lines (child process: a regression must not kill the runner)', () => {
  it('args, errors, custom mappers and loggers that throw never fail a mutation', async () => {
    const { runChild } = await import('../support/child.js')
    const run = await runChild(`
import { LogLevel, Machine, argsMapper, schema } from 'polymachine-src'
const lines = []
const ss = schema({ A: { multi: true }, B: {} })
const revoked = Proxy.revocable({}, {}); revoked.revoke()
const throwing = (msg) => ({ get() { throw new Error(msg) }, enumerable: true })
const args = Object.defineProperties({}, {
  name: throwing('name getter'),
  id: { value: Object.create(null), enumerable: true },
  err: { value: { toString() { throw new Error('toString') }, toJSON() { throw new Error('toJSON') } }, enumerable: true },
  url: { value: revoked.proxy, enumerable: true },
  path: { value: new Proxy({}, { getPrototypeOf() { throw new Error('proto trap') } }), enumerable: true },
  port: { value: 10n, enumerable: true },
  addr: { value: Symbol('s'), enumerable: true },
})
const m = new Machine(ss, { id: 'hostile', logLevel: LogLevel.Everything, logger: (_, l) => lines.push(l),
  handlers: { AState() {} } })
const results = []
results.push(m.add('A', args))
results.push(m.add('A', revoked.proxy))
results.push(m.addErr({ toString() { throw new Error('err toString') } }))
results.push(m.addErr(Object.create(null)))
results.push(m.addErr(revoked.proxy))
// a mapper that throws, a mapper returning a hostile record
const m2 = new Machine(ss, { id: 'mapper', logLevel: LogLevel.Ops, logger: (_, l) => lines.push(l),
  logArgs: () => { throw new Error('mapper boom') } })
results.push(m2.add('A', { x: 1 }))
const m3 = new Machine(ss, { id: 'record', logLevel: LogLevel.Ops, logger: (_, l) => lines.push(l),
  logArgs: () => Object.defineProperty({}, 'k', throwing('record getter')) })
results.push(m3.add('A', { x: 1 }))
// a logger that throws: the machine goes on, the failure goes to stderr
const m4 = new Machine(ss, { id: 'logger', logLevel: LogLevel.Everything, logger: () => { throw new Error('logger boom') } })
results.push(m4.add('B'))
results.push(m4.is('B'))
// argsMapper used directly
const mapped = argsMapper(['name', 'id', 'err', 'url', 'path'])(args)
await new Promise((r) => setTimeout(r, 10))
console.log(JSON.stringify({ results, lines, mapped }))
`)
    expect(run.faults).toBe(0)
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { results: unknown[]; lines: string[]; mapped: Record<string, string> }
    expect(out.results).toEqual([0, 0, 0, 0, 0, 0, 0, 0, true])
    const text = out.lines.join('\n')
    expect(text).toContain('[hosti] [add] A (addr=Symbol(s) err=[object Object] id={} name=? path={} port=10 url=[unprintable])')
    expect(text).toContain('[hosti] [add] A (addr=? err=? id=? name=? path=? port=? uri=? url=?)') // revoked args
    expect(text).toContain('[hosti] [error] [object Object]') // a throwing toString
    expect(text).toContain('[hosti] [error] [unprintable]') // null prototype, revoked proxy
    expect(text).toContain('[mappe] [add] A (args unprintable: mapper boom)')
    expect(text).toContain('[recor] [add] A (k=?)')
    expect(out.mapped['name']).toBe('?')
    expect(run.stderr).toContain('logger threw: logger boom')
  }, 30_000)
})
