/**
 * A pipe replays source transitions in a microtask, copying their args: hostile args (a throwing getter, a revoked
 * proxy) must not crash the process. The states are still mirrored, without the args, and the target gets a
 * `PipeError` (ERR_PIPE) as its Exception. Runs in a child process, so a regression fails the test, not the runner.
 */
import { expect, it } from 'vitest'
import { runChild } from '../support/child.js'

it('hostile args reach the target as a PipeError, the states are still mirrored, nothing is uncaught', async () => {
  const run = await runChild(`
import { LogLevel, Machine, schema } from 'polymachine-src'
import { pipe } from 'polymachine-src/states'
const ss = schema({ A: {}, B: {}, C: {} })
const out = {}
const lines = []
const mk = (id) => new Machine(ss, { id, logLevel: LogLevel.Everything, logger: (_, l) => lines.push(l) })
const tick = () => new Promise((r) => setTimeout(r, 5))

// a getter that throws
{
  const src = mk('src1'), dst = mk('dst1')
  pipe.bindMany(src, dst, ['A', 'B'])
  const args = Object.defineProperty({ ok: 1 }, 'x', { enumerable: true, get() { throw new Error('getter boom') } })
  src.add('A', args)
  await tick()
  out.getter = { a: dst.is('A'), exc: dst.is('Exception'), code: dst.err?.code, name: dst.err?.name,
    msg: dst.err?.message, cause: dst.err?.cause?.message }
  // the pipe still works afterwards, with readable args
  let seen
  dst.bind({ BState: (e) => { seen = e.args.n } })
  src.add('B', { n: 7 })
  await tick()
  out.after = { b: dst.is('B'), seen }
}
// a revoked proxy as args, piped to an Err state, and removal through a pipe
{
  const es = schema({ A: {}, ErrPipe: { multi: true } })
  const src = new Machine(es, { id: 'src2' }), dst = new Machine(es, { id: 'dst2' })
  pipe.add(src, dst, 'A', 'ErrPipe')
  const r = Proxy.revocable({}, {})
  r.revoke()
  src.add('A', r.proxy)
  await tick()
  out.revoked = { err: dst.is('ErrPipe'), exc: dst.is('Exception'), code: dst.err?.code }
}
// a throwing ownKeys trap on a removal
{
  const src = mk('src3'), dst = mk('dst3')
  src.add('C'); dst.add('C')
  pipe.remove(src, dst, 'C')
  src.remove('C', new Proxy({}, { ownKeys() { throw new Error('keys boom') } }))
  await tick()
  out.remove = { c: dst.is('C'), code: dst.err?.code }
}
// the target is disposed between the source transition and the microtask: nothing happens, nothing throws
{
  const src = mk('src4'), dst = mk('dst4')
  pipe.bind(src, dst, 'A')
  src.add('A', Object.defineProperty({}, 'x', { enumerable: true, get() { throw new Error('late') } }))
  dst.dispose()
  await tick()
  out.disposed = dst.disposed
}
console.log(JSON.stringify(out))
`)
  expect(run.faults).toBe(0)
  expect(run.code).toBe(0)
  const out = JSON.parse(run.stdout.trim().split('\n').pop() as string) as Record<string, Record<string, unknown> | boolean>
  expect(out['getter']).toEqual({ a: true, exc: true, code: 'ERR_PIPE', name: 'PipeError',
    msg: expect.stringContaining("the source's args could not be read, states were piped without them: getter boom") as unknown,
    cause: 'getter boom' })
  expect(out['after']).toEqual({ b: true, seen: 7 })
  expect(out['revoked']).toEqual({ err: true, exc: true, code: 'ERR_PIPE' })
  expect(out['remove']).toEqual({ c: false, code: 'ERR_PIPE' })
  expect(out['disposed']).toBe(true)
}, 30_000)
