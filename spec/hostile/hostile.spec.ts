/**
 * Hostile values against machines, pipes and actors (fast-check, in a child process): the process survives, no
 * uncaught exception or unhandled rejection, every promise settles, invariants hold. See hostile-run.ts.
 */
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { runChild } from '../support/child.js'

const body = fileURLToPath(new URL('./hostile-run.ts', import.meta.url))

it('machines, pipes and actors survive hostile values; every promise settles', async () => {
  const runs = Number(process.env.HOSTILE_RUNS ?? 100)
  const r = await runChild(`import { main } from ${JSON.stringify(body)}\nawait main(${runs})`, 110_000)
  expect(r.timedOut, r.stdout + r.stderr).toBe(false)
  // The only lines allowed on stderr are the library's own one-line reports (e.g. an Exception storm it stopped).
  const foreign = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('polymachine ['))
  expect(foreign, r.stderr).toEqual([])
  expect(r.faults).toBe(0)
  expect(r.code, r.stdout).toBe(0)
  expect(r.stdout).toContain(`hostile: ${runs} runs passed`)
}, 120_000)
