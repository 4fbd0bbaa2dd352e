/**
 * `npm run pack:entries [-- --write]`: package.json's entry points, derived from tsup.config.ts's `entry` map so a
 * new subpath cannot be half-published.
 *
 * For each tsup entry `name` (built to dist/name.{js,cjs,d.ts,d.cts}) the package needs:
 * - `exports["./name"]` (`"."` for `index`): `import` → {types: .d.ts, default: .js}, `require` → {types: .d.cts,
 *   default: .cjs}, types first (TypeScript takes the first matching condition);
 * - `typesVersions["*"].name` → the .d.ts, because TypeScript's `node10` resolution (the default for
 *   `module: commonjs`) ignores `exports` and would find no types for `polymachine/name`;
 * - for `index`, the legacy top-level `main`, `module` and `types`.
 *
 * Without arguments it compares and exits 1 listing what differs; `--write` rewrites those fields in package.json
 * (keeping the other fields and their order). Adding a subpath is: add it to tsup.config.ts, run `--write`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'

export const root = resolve(fileURLToPath(import.meta.url), '../..')

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** The fields of package.json this file owns, as they must be. */
export interface EntryFields {
  main: string
  module: string
  types: string
  exports: Record<string, Json>
  typesVersions: Record<string, Record<string, string[]>>
}

/** tsup's `entry` object: entry name → source file. */
export async function tsupEntries(): Promise<Record<string, string>> {
  const mod = (await import(join(root, 'tsup.config.ts'))) as { default?: unknown }
  // One config, or a list whose first config is the library (the others build the command-line tools).
  const config: unknown = Array.isArray(mod.default) ? (mod.default as unknown[])[0] : mod.default
  const entry = typeof config === 'object' && config !== null ? (config as { entry?: unknown }).entry : undefined
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new Error('tsup.config.ts must export defineConfig({ entry: { name: "lib/…/index.ts", … } }) (the library first, named entries)')
  }
  const out: Record<string, string> = {}
  for (const [name, src] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof src !== 'string') throw new Error(`tsup.config.ts: entry "${name}" must be a path`)
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`tsup.config.ts: entry name "${name}" must be a lower-case subpath`)
    out[name] = src
  }
  if (out.index === undefined) throw new Error('tsup.config.ts: the package root needs an entry named "index"')
  return out
}

/** The subpath a tsup entry is published at: `.` for index, `./name` otherwise. */
export const subpath = (name: string): string => (name === 'index' ? '.' : `./${name}`)

/** What package.json's entry fields must be for these tsup entries. */
export function expectedFields(names: readonly string[]): EntryFields {
  const exports: Record<string, Json> = {}
  const typesVersions: Record<string, string[]> = {}
  const ordered = ['index', ...names.filter((n) => n !== 'index')]
  for (const name of ordered) {
    exports[subpath(name)] = {
      import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
    }
    if (name !== 'index') typesVersions[name] = [`./dist/${name}.d.ts`]
  }
  exports['./package.json'] = './package.json'
  return {
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    exports,
    typesVersions: { '*': typesVersions },
  }
}

/** The fields of `pkg` that differ from `want`, as readable lines. */
export function differences(pkg: Record<string, unknown>, want: EntryFields): string[] {
  const out: string[] = []
  for (const key of ['main', 'module', 'types'] as const) {
    if (pkg[key] !== want[key]) out.push(`"${key}" is ${JSON.stringify(pkg[key])}, expected ${JSON.stringify(want[key])}`)
  }
  const exp = (typeof pkg.exports === 'object' && pkg.exports !== null ? pkg.exports : {}) as Record<string, unknown>
  for (const [key, value] of Object.entries(want.exports)) {
    if (!(key in exp)) out.push(`"exports" lacks "${key}"`)
    else if (!isDeepStrictEqual(exp[key], value)) out.push(`"exports"["${key}"] is ${JSON.stringify(exp[key])}, expected ${JSON.stringify(value)}`)
  }
  for (const key of Object.keys(exp)) if (!(key in want.exports)) out.push(`"exports" has "${key}", which no tsup entry builds`)
  if (!isDeepStrictEqual(Object.keys(exp), Object.keys(want.exports)) && out.length === 0) out.push('"exports" keys are out of order')
  if (!isDeepStrictEqual(pkg.typesVersions, want.typesVersions)) {
    out.push(`"typesVersions" is ${JSON.stringify(pkg.typesVersions)}, expected ${JSON.stringify(want.typesVersions)}`)
  }
  return out
}

/** `pkg` with its entry fields replaced by `want`, other fields kept in order (typesVersions goes after exports). */
export function withFields(pkg: Record<string, unknown>, want: EntryFields): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(pkg)) {
    if (key === 'typesVersions') continue
    out[key] = key in want ? want[key as keyof EntryFields] : value
    if (key === 'exports') out.typesVersions = want.typesVersions
  }
  for (const key of Object.keys(want) as Array<keyof EntryFields>) if (!(key in out)) out[key] = want[key]
  return out
}

export function readPackage(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  if (args.some((a) => a !== '--write')) {
    console.error('usage: npm run pack:entries [-- --write]')
    return 2
  }
  const want = expectedFields(Object.keys(await tsupEntries()))
  const pkg = readPackage()
  const diff = differences(pkg, want)
  if (diff.length === 0) {
    console.log(`pack:entries: package.json matches tsup.config.ts (${Object.keys(want.exports).length - 1} entry points)`)
    return 0
  }
  if (args.includes('--write')) {
    writeFileSync(join(root, 'package.json'), `${JSON.stringify(withFields(pkg, want), null, 2)}\n`)
    console.log(`pack:entries: package.json rewritten:\n  ${diff.join('\n  ')}`)
    return 0
  }
  console.error(`pack:entries: package.json does not match tsup.config.ts:\n  ${diff.join('\n  ')}\nrun: npm run pack:entries -- --write`)
  return 1
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => (process.exitCode = code), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  })
}
