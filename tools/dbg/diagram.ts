/**
 * `polymachine-dbg diagram <module>`: imports a module and writes Mermaid (or D2) diagrams of the schemas it exports.
 * Schemas are found by shape (frozen `names` + `states`), not by `isSchema`: the module's copy of polymachine may not
 * be this tool's.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { toD2, toMermaid, type DiagramSchema } from '../../lib/telemetry/index.js'
import type { CliIo } from './cli.js'

export const DIAGRAM_USAGE = `usage: polymachine-dbg diagram <module> [--d2] [--out FILE] [--schema NAME] [--tb]

  Imports <module> (a path; .ts needs a TypeScript loader such as tsx) and writes a diagram of each exported
  schema: Markdown with a heading and a fenced mermaid (or d2) block per schema, or with --schema NAME that
  schema's bare diagram text.
  --d2           D2 instead of Mermaid
  --out FILE     write to FILE instead of stdout
  --schema NAME  only the export NAME, as bare diagram text
  --tb           top to bottom instead of left to right`

/** The arguments of a diagram command: a module, `--out FILE`, `--schema NAME`, and on/off flags. */
export interface DiagramArgs {
  module: string
  out: string | null
  schema: string | null
  /** The flags given, of those the command knows (e.g. `--tb`). */
  flags: Set<string>
}

/** Parses a diagram command's arguments; `flags` are the on/off options it knows. */
export function parseDiagramArgs(argv: readonly string[], flags: readonly string[]):
  DiagramArgs | { error: string } | { help: true } {
  const o: DiagramArgs = { module: '', out: null, schema: null, flags: new Set() }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '-h' || a === '--help') return { help: true }
    if (flags.includes(a)) o.flags.add(a)
    else if (a === '--out' || a === '--schema') {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) return { error: `${a} needs a value` }
      if (a === '--out') o.out = v
      else o.schema = v
    } else if (a.startsWith('-')) return { error: `unknown option ${a}` }
    else if (o.module !== '') return { error: `one module only, got ${o.module} and ${a}` }
    else o.module = a
  }
  return o.module === '' ? { error: 'a module is needed' } : o
}

/** A schema by shape: frozen, with a `names` list of strings and a definition object for each. */
function isSchemaShaped(v: unknown): v is DiagramSchema {
  try {
    if (typeof v !== 'object' || v === null || !Object.isFrozen(v)) return false
    const { names, states } = v as { names?: unknown; states?: unknown }
    return Array.isArray(names) && names.length > 0 && typeof states === 'object' && states !== null &&
      names.every((n) => typeof n === 'string' && typeof (states as Record<string, unknown>)[n] === 'object')
  } catch {
    return false
  }
}

/**
 * Imports a module (a path) and returns its exported schemas, sorted by export name. Rejects when the import fails.
 *
 * ```ts
 * await exportedSchemas('lib/actor/actor.schema.ts') // [['ActorSchema', ActorSchema], …]
 * ```
 */
export async function exportedSchemas(path: string): Promise<Array<readonly [string, DiagramSchema]>> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>
  return Object.keys(mod).sort().flatMap((name) => {
    const v = mod[name]
    return isSchemaShaped(v) ? [[name, v] as const] : []
  })
}

/** Runs `diagram`; resolves with the exit code (0 written, 1 import/write failure or no schema, 2 usage). */
export async function runDiagram(argv: readonly string[], io: CliIo): Promise<number> {
  const o = parseDiagramArgs(argv, ['--d2', '--tb'])
  if ('help' in o) {
    io.out(DIAGRAM_USAGE + '\n')
    return 0
  }
  if ('error' in o) {
    io.err(`polymachine-dbg diagram: ${o.error}\n${DIAGRAM_USAGE}\n`)
    return 2
  }
  const d2 = o.flags.has('--d2')
  let schemas: ReadonlyArray<readonly [string, DiagramSchema]>
  try {
    schemas = await exportedSchemas(o.module)
  } catch (err) {
    io.err(`polymachine-dbg diagram: cannot import ${o.module}: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
  const chosen = o.schema === null ? schemas : schemas.filter(([name]) => name === o.schema)
  if (chosen.length === 0) {
    io.err(`polymachine-dbg diagram: ${o.module} exports ${o.schema === null ? 'no schema' : `no schema ${o.schema}`}` +
      (schemas.length > 0 ? ` (it exports ${schemas.map(([n]) => n).join(', ')})` : '') + '\n')
    return 1
  }
  const render = (s: DiagramSchema): string => (d2 ? toD2 : toMermaid)(s, { direction: o.flags.has('--tb') ? 'TB' : 'LR' })
  let text: string
  try {
    text = o.schema !== null ? render((chosen[0] as readonly [string, DiagramSchema])[1])
      : chosen.map(([name, s]) => `## ${name}\n\n\`\`\`${d2 ? 'd2' : 'mermaid'}\n${render(s)}\`\`\`\n`).join('\n')
  } catch (err) {
    io.err(`polymachine-dbg diagram: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
  if (o.out === null) {
    io.out(text)
    return 0
  }
  try {
    await writeFile(o.out, text)
  } catch (err) {
    io.err(`polymachine-dbg diagram: cannot write ${o.out}: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
  io.err(`polymachine-dbg diagram: ${chosen.length} schema(s) written to ${o.out}\n`)
  return 0
}
