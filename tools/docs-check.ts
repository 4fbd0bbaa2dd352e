/**
 * `npm run docs:check`: type-checks every ```ts snippet of README.md and docs/*.md against the library's source, so
 * the documentation cannot drift from the API. How snippets make programs:
 * - a snippet with an `import` starts a program; one without continues the program before it;
 * - a snippet fenced as ```` ```ts (continued) ```` continues the file's first program, the running example of a
 *   page (its imports may add names: ES imports can come anywhere at a module's top level).
 * Errors are reported at their Markdown line.
 *
 * Snippets are compiled with the project's strict settings; `polymachine` and `polymachine/<entry>` resolve to
 * lib/ (no build needed). Exit code: 0 when all compile, 1 otherwise, 2 on bad usage.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const outDir = join(root, '.docs-check')

interface Line {
  /** Markdown file, relative to the repository root. */
  readonly md: string
  /** 1-based line in that file. */
  readonly line: number
}

interface Program {
  readonly name: string
  readonly code: string[]
  /** Source position of each line of `code`. */
  readonly origin: Line[]
}

function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))
  return ['README.md', ...docs.sort()]
}

/** The programs of one Markdown file (see the file comment for how snippets combine). */
function programs(md: string): Program[] {
  const lines = readFileSync(join(root, md), 'utf8').split('\n')
  const out: Program[] = []
  let current: Program | null = null
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```ts(\s+\(continued\))?\s*$/.exec(lines[i] as string)
    if (!fence) continue
    const start = i + 1
    let end = start
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++
    const body = lines.slice(start, end)
    if (fence[1]) {
      current = out[0] ?? null
      if (current === null) throw new Error(`${md}:${i + 1}: a (continued) snippet needs an earlier one to continue`)
    } else if (current === null || body.some((l) => /^import\s/.test(l))) {
      current = { name: `${basename(md, '.md')}-${out.length + 1}`, code: [], origin: [] }
      out.push(current)
    }
    body.forEach((l, k) => {
      current?.code.push(l)
      current?.origin.push({ md, line: start + k + 1 })
    })
    i = end
  }
  return out
}

function writeProject(all: Program[]): void {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  for (const p of all) writeFileSync(join(outDir, `${p.name}.ts`), `${p.code.join('\n')}\nexport {}\n`)
  const entries = readdirSync(join(root, 'lib'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
  const paths: Record<string, string[]> = { polymachine: ['../lib/index.ts'] }
  for (const e of entries) paths[`polymachine/${e}`] = [`../lib/${e}/index.ts`]
  const tsconfig = {
    extends: '../tsconfig.json',
    compilerOptions: { noEmit: true, paths },
    include: ['*.ts'],
  }
  writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
}

/** Maps `file.ts(line,col): error …` lines of tsc's output back to Markdown positions. */
function report(output: string, all: Program[]): string[] {
  const byName = new Map(all.map((p) => [`${p.name}.ts`, p]))
  const errors: string[] = []
  for (const raw of output.split('\n')) {
    const m = /^(?:\.docs-check\/)?([\w.-]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(raw.trim())
    if (!m) {
      if (raw.trim() !== '' && errors.length > 0) errors[errors.length - 1] += `\n    ${raw.trim()}`
      continue
    }
    const [, file, line, col, msg] = m as unknown as [string, string, string, string, string]
    const at = byName.get(file)?.origin[Number(line) - 1]
    errors.push(at ? `${at.md}:${at.line}:${col}: ${msg}` : `${file}(${line},${col}): ${msg}`)
  }
  return errors
}

function main(): number {
  if (process.argv.length > 2) {
    console.error('usage: npm run docs:check')
    return 2
  }
  const all = docFiles().flatMap(programs)
  writeProject(all)
  const snippets = all.reduce((n, p) => n + p.origin.filter((o, i) => i === 0 || o.line !== (p.origin[i - 1] as Line).line + 1).length, 0)
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', relative(root, outDir)], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    })
  } catch (err) {
    const out = String((err as { stdout?: unknown }).stdout ?? '') + String((err as { stderr?: unknown }).stderr ?? '')
    const errors = report(out, all)
    console.error(errors.join('\n'))
    console.error(`\ndocs:check: ${errors.length} error(s) in ${all.length} programs from ${snippets} snippets`)
    return 1
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
  console.log(`docs:check: ${all.length} programs from ${snippets} snippets compile`)
  return 0
}

process.exitCode = main()
