/**
 * `npx tsx tools/diagram-svg-cli.ts <module> [--schema NAME] [--out PATH] [--tb] [--text-labels]`: the schemas a
 * module exports, rendered to SVG files by Mermaid in headless Chromium (tools/diagram-svg.ts). A repository tool:
 * it needs the devDependencies playwright-core and mermaid and a Chromium, so it is not part of the published
 * `polymachine-dbg` (whose `diagram` command writes the Mermaid text).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { exportedSchemas, parseDiagramArgs } from './dbg/diagram.js'
import { MermaidSvgRenderer } from './diagram-svg.js'

export const DIAGRAM_SVG_USAGE = `usage: npx tsx tools/diagram-svg-cli.ts <module> [--schema NAME] [--out PATH] [--tb] [--text-labels]

  Renders each schema <module> exports to SVG with Mermaid in headless Chromium (CHROMIUM_BIN, default
  /usr/bin/chromium).
  --out PATH     a directory: one NAME.svg per schema (default .); with --schema, the SVG file itself
  --schema NAME  only the export NAME
  --tb           top to bottom instead of left to right
  --text-labels  plain SVG <text> labels instead of HTML ones (for viewers other than browsers)`

export interface DiagramSvgIo {
  out(text: string): void
  err(text: string): void
}

/** Runs the command; resolves with the exit code (0 written; 1 import, render or write failure, no schema; 2 usage). */
export async function runDiagramSvg(argv: readonly string[], io: DiagramSvgIo): Promise<number> {
  const o = parseDiagramArgs(argv, ['--tb', '--text-labels'])
  if ('help' in o) {
    io.out(DIAGRAM_SVG_USAGE + '\n')
    return 0
  }
  if ('error' in o) {
    io.err(`diagram-svg: ${o.error}\n${DIAGRAM_SVG_USAGE}\n`)
    return 2
  }
  const fail = (what: string, err: unknown): number => {
    io.err(`diagram-svg: ${what}: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
  let schemas
  try {
    schemas = await exportedSchemas(o.module)
  } catch (err) {
    return fail(`cannot import ${o.module}`, err)
  }
  const chosen = o.schema === null ? schemas : schemas.filter(([name]) => name === o.schema)
  if (chosen.length === 0) {
    io.err(`diagram-svg: ${o.module} exports ${o.schema === null ? 'no schema' : `no schema ${o.schema}`}\n`)
    return 1
  }
  let renderer: MermaidSvgRenderer
  try {
    renderer = await MermaidSvgRenderer.launch({ htmlLabels: !o.flags.has('--text-labels') })
  } catch (err) {
    return fail('cannot start the renderer', err)
  }
  try {
    const single = o.schema !== null && o.out !== null
    const dir = single ? null : resolve(o.out ?? '.')
    if (dir !== null) await mkdir(dir, { recursive: true })
    for (const [name, s] of chosen) {
      const { svg } = await renderer.renderSchema(s, { direction: o.flags.has('--tb') ? 'TB' : 'LR' })
      await writeFile(dir === null ? resolve(o.out as string) : join(dir, `${name}.svg`), svg)
    }
    io.err(`diagram-svg: ${chosen.length} SVG file(s) written to ${dir ?? resolve(o.out as string)}\n`)
    return 0
  } catch (err) {
    return fail('cannot render or write', err)
  } finally {
    await renderer.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runDiagramSvg(process.argv.slice(2), { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) })
    .then((code) => { process.exitCode = code }, (err: unknown) => {
      process.stderr.write(`diagram-svg: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
      process.exitCode = 1
    })
}
