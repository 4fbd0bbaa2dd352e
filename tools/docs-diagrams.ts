/**
 * Regenerates the schema diagrams of the library's own components in the docs, so they are drawn from the code, never
 * by hand. A diagram sits between two markers naming a module and one of its exports:
 *
 *   <!-- diagram: lib/actor/actor.schema.ts#ActorSchema -->
 *   ```mermaid
 *   …what toMermaid(ActorSchema) prints…
 *   ```
 *   <!-- /diagram -->
 *
 * Usage: `npx tsx tools/docs-diagrams.ts [--check] [file.md …]` (default: docs/manual.md and docs/actors.md).
 * Without `--check` the blocks are rewritten in place; with it nothing is written and the exit code tells whether
 * every block matches the code. Exit codes: 0 up to date (or rewritten), 1 a block is stale or a marker names a
 * module or export that does not exist, 2 bad usage. spec/tools/docs-diagrams.spec.ts runs the same check.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { toMermaid, type DiagramSchema } from '../lib/telemetry/diagram.js'

const root = resolve(fileURLToPath(import.meta.url), '../..')

/** The pages whose diagrams this script owns. */
export const DIAGRAM_PAGES = ['docs/manual.md', 'docs/actors.md'] as const

/** A marked region: `<!-- diagram: module#Export -->`, anything, `<!-- /diagram -->`. */
const REGION = /(<!-- diagram: ([^#\s]+)#([A-Za-z_$][\w$]*) -->\n)([\s\S]*?)(<!-- \/diagram -->)/g

export interface DiagramRegion {
  /** Module path relative to the repository root, e.g. `lib/actor/actor.schema.ts`. */
  readonly module: string
  readonly exportName: string
  /** What the page holds between the markers. */
  readonly current: string
  /** What it should hold: a mermaid block of the export's current schema. */
  readonly expected: string
}

const isSchema = (v: unknown): v is DiagramSchema =>
  typeof v === 'object' && v !== null && Array.isArray((v as { names?: unknown }).names) &&
  typeof (v as { states?: unknown }).states === 'object'

/** The block the markers should hold for this schema. */
export const mermaidBlock = (s: DiagramSchema): string => '```mermaid\n' + toMermaid(s) + '```\n'

/** Every marked region of a page's text, with what it should hold. Throws when a marker names nothing drawable. */
export async function diagramRegions(text: string): Promise<DiagramRegion[]> {
  const out: DiagramRegion[] = []
  for (const m of text.matchAll(REGION)) {
    const [, , module, exportName, current] = m as unknown as [string, string, string, string, string]
    const mod = await import(pathToFileURL(join(root, module)).href) as Record<string, unknown>
    const value = mod[exportName]
    if (!isSchema(value)) throw new Error(`${module} has no schema export named ${exportName}`)
    out.push({ module, exportName, current, expected: mermaidBlock(value) })
  }
  return out
}

/** The page's text with every marked region holding its current diagram. */
export async function renderDiagrams(text: string): Promise<string> {
  const regions = await diagramRegions(text)
  let i = 0
  return text.replace(REGION, (_all, open: string, _m: string, _e: string, _cur: string, close: string) =>
    open + (regions[i++] as DiagramRegion).expected + close)
}

async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check')
  const bad = argv.find((a) => a.startsWith('-') && a !== '--check')
  if (bad !== undefined) {
    process.stderr.write(`docs-diagrams: unknown option ${bad}\nusage: npx tsx tools/docs-diagrams.ts [--check] [file.md …]\n`)
    return 2
  }
  const files = argv.filter((a) => !a.startsWith('-'))
  let stale = 0
  for (const md of files.length > 0 ? files : DIAGRAM_PAGES) {
    const path = resolve(root, md)
    const text = readFileSync(path, 'utf8')
    let next: string
    try {
      next = await renderDiagrams(text)
    } catch (err) {
      process.stderr.write(`docs-diagrams: ${md}: ${err instanceof Error ? err.message : String(err)}\n`)
      return 1
    }
    const count = (await diagramRegions(text)).length
    if (next === text) {
      process.stdout.write(`${md}: ${count} diagram(s) up to date\n`)
    } else if (check) {
      stale++
      process.stderr.write(`${md}: diagrams differ from the code; run npx tsx tools/docs-diagrams.ts ${md}\n`)
    } else {
      writeFileSync(path, next)
      process.stdout.write(`${md}: ${count} diagram(s) rewritten\n`)
    }
  }
  return stale > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2))
}
