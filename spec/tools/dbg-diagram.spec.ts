/**
 * `polymachine-dbg diagram <module>` (issue 16 item 6): Markdown of every exported schema, one bare diagram with
 * --schema, D2, --out, and the errors (no module, no schema, a module that fails to import); once end to end through
 * the executable in a child process.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { toD2, toMermaid } from '../../lib/telemetry/index.js'
import { runCli, USAGE, type CliIo } from '../../tools/dbg/cli.js'
import { AppSchema, WorkerSchema } from './dbg-diagram.fixture.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixture = fileURLToPath(new URL('./dbg-diagram.fixture.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'pm-dbg-diagram-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = { stdout: '', stderr: '' }
  const io: CliIo = { out: (t) => void (o.stdout += t), err: (t) => void (o.stderr += t) }
  const code = await runCli(['diagram', ...argv], io)
  return { code, ...o }
}

const APP = `flowchart LR
  %% polymachine schema: --> require, ==> add, --x remove, -.-> after
  Start["Start"]
  Ready["Ready (auto)"]
  Exception["Exception (multi)"]
  Ready -->|require| Start
`

describe('polymachine-dbg diagram', () => {
  it('Markdown with a mermaid block per exported schema, sorted by export name; other exports ignored', async () => {
    const r = await run(fixture)
    expect(r).toEqual({ code: 0, stderr: '', stdout:
      `## AppSchema\n\n\`\`\`mermaid\n${APP}\`\`\`\n\n## WorkerSchema\n\n\`\`\`mermaid\n${toMermaid(WorkerSchema)}\`\`\`\n` })
  })

  it('--schema NAME gives that diagram bare; --d2 and --tb', async () => {
    expect((await run(fixture, '--schema', 'AppSchema')).stdout).toBe(APP)
    expect((await run(fixture, '--schema', 'AppSchema', '--d2', '--tb')).stdout)
      .toBe(toD2(AppSchema, { direction: 'TB' }))
    expect((await run(fixture, '--d2')).stdout).toContain(`## WorkerSchema\n\n\`\`\`d2\n${toD2(WorkerSchema)}\`\`\`\n`)
  })

  it('--out writes the file', async () => {
    const out = join(dir, 'schemas.md')
    const r = await run(fixture, '--out', out)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`2 schema(s) written to ${out}`)
    expect(readFileSync(out, 'utf8')).toContain(`\`\`\`mermaid\n${APP}\`\`\``)
  })

  it('errors: usage (2), no schema, an unknown --schema, a module that throws, an unwritable --out (1)', async () => {
    expect((await run()).code).toBe(2)
    expect((await run(fixture, '--bogus')).code).toBe(2)
    expect((await run(fixture, '--out')).code).toBe(2)
    const none = join(dir, 'none.mjs')
    writeFileSync(none, 'export const x = 1\n')
    expect(await run(none)).toMatchObject({ code: 1, stderr: expect.stringContaining('exports no schema') as string })
    expect(await run(fixture, '--schema', 'Nope')).toMatchObject({ code: 1,
      stderr: expect.stringContaining('no schema Nope (it exports AppSchema, WorkerSchema)') as string })
    const bad = join(dir, 'bad.mjs')
    writeFileSync(bad, 'throw new Error("broken module")\n')
    expect(await run(bad)).toMatchObject({ code: 1, stderr: expect.stringContaining('broken module') as string })
    expect((await run(fixture, '--out', join(dir, 'no', 'such', 'dir.md'))).code).toBe(1)
    expect((await run('--help')).stdout).toContain('--schema NAME')
    expect(USAGE).toContain('polymachine-dbg diagram <module>')
  })

  it('end to end: the executable writes D2 for a module (child process, tsx)', async () => {
    const out = join(dir, 'app.d2')
    const r = await new Promise<{ code: number | null; stderr: string }>((ok) => {
      execFile(process.execPath, ['--import', 'tsx', join(root, 'tools/dbg/main.ts'), 'diagram', fixture, '--d2',
        '--schema', 'AppSchema', '--out', out], { cwd: root, timeout: 20_000 },
      (err, _stdout, stderr) => ok({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }))
    })
    expect(r).toEqual({ code: 0, stderr: `polymachine-dbg diagram: 1 schema(s) written to ${out}\n` })
    expect(readFileSync(out, 'utf8')).toBe(`direction: right
# polymachine schema: require plain, add thick, remove red dashed, after grey dotted
"Start": "Start"
"Ready": "Ready (auto)"
"Exception": "Exception (multi)"
"Ready" -> "Start": require
`)
  }, 30_000)
})
