import { expect, it } from 'vitest'
import { runChild } from './child.js'

it('runChild reports exit codes, output, faults and time-outs', async () => {
  const ok = await runChild(`import { schema, Machine } from 'polymachine-src'
const m = new Machine(schema({ A: {} })); m.add('A'); console.log(m.toString())`)
  expect(ok).toMatchObject({ code: 0, timedOut: false, faults: 0 })
  expect(ok.stdout.trim()).toBe('(A:1)')
  const crash = await runChild(`queueMicrotask(() => { throw new Error('boom') })`)
  expect(crash.faults).toBe(1)
  const hang = await runChild(`setInterval(() => undefined, 1000)`, 1500)
  expect(hang.timedOut).toBe(true)
})
