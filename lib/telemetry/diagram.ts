/**
 * Schema diagrams: `toMermaid(schema)` and `toD2(schema)` draw a schema's states and relations (require, add,
 * remove, after; auto and multi marked) and, given a machine, highlight its active states. Mermaid renders in GitHub
 * Markdown; D2 (https://d2lang.com) renders with the `d2` tool. The text is stable: the same schema gives the same
 * output, so diagrams can be committed and diffed.
 */
import { InvalidArgumentError, type Schema, type StateDef } from '../machine/index.js'
import { safeGet } from '../machine/internals.js'

/** What the diagrams read of a schema: any `schema()` result (or an object of the same shape). */
export type DiagramSchema = Pick<Schema<string>, 'names' | 'states'>

/** Options of {@link toMermaid} and {@link toD2}. */
export interface DiagramOptions {
  /** A machine of this schema (anything with `activeStates`): its active states are highlighted. */
  machine?: { readonly activeStates: readonly string[] }
  /** Layout direction: `LR` (default, left to right) or `TB` (top to bottom). */
  direction?: 'LR' | 'TB'
}

/** The relations drawn, in this order, with how each looks. */
const RELATIONS = ['require', 'add', 'remove', 'after'] as const
type Rel = (typeof RELATIONS)[number]

/** A schema read once into plain values, checked. */
interface Read {
  readonly states: ReadonlyArray<{ name: string; auto: boolean; multi: boolean; rel: Record<Rel, string[]> }>
  readonly active: ReadonlySet<string>
  readonly direction: 'LR' | 'TB'
}

function read(where: string, schema: DiagramSchema, opts: DiagramOptions | undefined): Read {
  const bad = (what: string, expected: string, v: unknown): never => {
    throw new InvalidArgumentError(where, what, expected, v)
  }
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) bad('opts', 'an object', opts)
  const names = safeGet(schema, 'names')
  const defs = safeGet(schema, 'states')
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) ||
    typeof defs !== 'object' || defs === null) {
    return bad('schema', 'a schema (from schema())', schema)
  }
  const known = new Set<string>(names as string[])
  const states = (names as string[]).map((name) => {
    const def = safeGet(defs, name) as StateDef | undefined
    if (typeof def !== 'object' || def === null) return bad(`schema.states.${name}`, 'a state definition', def)
    const rel = {} as Record<Rel, string[]>
    for (const r of RELATIONS) {
      const list = safeGet(def, r) ?? []
      if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && known.has(t))) {
        return bad(`schema.states.${name}.${r}`, 'a list of states of the schema', list)
      }
      rel[r] = [...(list as string[])]
    }
    return { name, auto: safeGet(def, 'auto') === true, multi: safeGet(def, 'multi') === true, rel }
  })
  const active = new Set<string>()
  if (opts?.machine !== undefined) {
    const list = safeGet(opts.machine, 'activeStates')
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && known.has(s))) {
      bad('opts.machine', 'a machine of this schema', opts.machine)
    }
    for (const s of list as string[]) active.add(s)
  }
  const direction = opts?.direction ?? 'LR'
  if (direction !== 'LR' && direction !== 'TB') bad('opts.direction', "'LR' or 'TB'", direction)
  return { states, active, direction }
}

function marks(s: { auto: boolean; multi: boolean }): string {
  const m = [s.auto ? 'auto' : '', s.multi ? 'multi' : ''].filter(Boolean)
  return m.length > 0 ? ` (${m.join(', ')})` : ''
}

/** Mermaid ids: names starting with an upper-case letter as they are, others prefixed (`end`, `class`… are keywords). */
function mermaidId(name: string): string {
  return /^[A-Z]/.test(name) ? name : `s_${name}`
}

const MERMAID_ARROW: Record<Rel, string> = { require: '-->', add: '==>', remove: '--x', after: '-.->' }

/**
 * A Mermaid flowchart of a schema: a node per state (`(auto)`, `(multi)` after its name), an edge per relation —
 * `-->` require, `==>` add, `--x` remove, `-.->` after, each labelled — and, with `machine`, its active states in
 * the `active` class (green). Throws `InvalidArgumentError` for a value that is not a schema, or a machine whose
 * active states are not all of the schema.
 *
 * ```ts
 * const ss = schema({ Start: {}, Ready: { auto: true, require: ['Start'] } })
 * toMermaid(ss)
 * // flowchart LR
 * //   Start["Start"]
 * //   Ready["Ready (auto)"]
 * //   …
 * //   Ready -->|require| Start
 * ```
 */
export function toMermaid(schema: DiagramSchema, opts?: DiagramOptions): string {
  const r = read('toMermaid()', schema, opts)
  const lines = [`flowchart ${r.direction}`, '  %% polymachine schema: --> require, ==> add, --x remove, -.-> after']
  for (const s of r.states) lines.push(`  ${mermaidId(s.name)}["${s.name}${marks(s)}"]`)
  for (const s of r.states) {
    for (const rel of RELATIONS) {
      for (const t of s.rel[rel]) lines.push(`  ${mermaidId(s.name)} ${MERMAID_ARROW[rel]}|${rel}| ${mermaidId(t)}`)
    }
  }
  if (r.active.size > 0) {
    lines.push('  classDef active fill:#bbf7d0,stroke:#15803d,stroke-width:2px')
    lines.push(`  class ${r.states.filter((s) => r.active.has(s.name)).map((s) => mermaidId(s.name)).join(',')} active`)
  }
  return lines.join('\n') + '\n'
}

const D2_STYLE: Record<Rel, string> = {
  require: '',
  add: ' {style.stroke-width: 3}',
  remove: ' {style.stroke: "#b91c1c"; style.stroke-dash: 3}',
  after: ' {style.stroke: "#6b7280"; style.stroke-dash: 5}',
}

/**
 * A D2 diagram of a schema: a shape per state (`(auto)`, `(multi)` in its label; keys quoted, so no name clashes
 * with a D2 keyword), a labelled connection per relation — require plain, add thick, remove red and dashed, after
 * grey and dotted — and, with `machine`, its active states filled green and bold. Throws like {@link toMermaid}.
 *
 * ```ts
 * toD2(schema({ Start: {}, Busy: { remove: ['Start'] } }), { machine: mach })
 * ```
 */
export function toD2(schema: DiagramSchema, opts?: DiagramOptions): string {
  const r = read('toD2()', schema, opts)
  const lines = [`direction: ${r.direction === 'LR' ? 'right' : 'down'}`,
    '# polymachine schema: require plain, add thick, remove red dashed, after grey dotted']
  for (const s of r.states) {
    const style = r.active.has(s.name) ? ' {style.fill: "#bbf7d0"; style.stroke: "#15803d"; style.bold: true}' : ''
    lines.push(`"${s.name}": "${s.name}${marks(s)}"${style}`)
  }
  for (const s of r.states) {
    for (const rel of RELATIONS) {
      for (const t of s.rel[rel]) lines.push(`"${s.name}" -> "${t}": ${rel}${D2_STYLE[rel]}`)
    }
  }
  return lines.join('\n') + '\n'
}
