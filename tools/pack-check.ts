/**
 * `npm run pack:check [-- --keep]`: checks the package as users get it, from the built dist/ (run `npm run build`
 * first). Offline; about 30 s.
 *
 * 1. package.json's entry fields match tsup.config.ts (tools/package-entries.ts);
 * 2. `npm pack` makes the tarball; `publint --strict` and are-the-types-wrong (`attw`, profile strict: node10,
 *    node16 from CJS, node16 from ESM, bundler) must find nothing in it;
 * 3. the consumer projects of spec/consumer (esm: `"type": "module"`; cjs: CommonJS) are copied to a temp folder with
 *    the tarball extracted as node_modules/polymachine and its dependencies (and installed peers, and their @types)
 *    linked from this repository's node_modules (no registry needed). Each gets a generated all-entries.ts that imports every subpath of
 *    `exports`; every tsconfig*.json of the project is type-checked (esm: NodeNext, Bundler; cjs: Node10, Node16;
 *    our declaration files themselves, skipLibCheck off, once as .d.ts by esm NodeNext and once as .d.cts by cjs
 *    Node16), and the emitted main.js and all-entries.js run under node.
 *
 * Exit code 0 when everything passes, 1 otherwise, 2 on bad usage. `--keep` keeps the temp folder and prints it.
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { differences, expectedFields, readPackage, root, tsupEntries } from './package-entries.js'

const TIMEOUT = 60_000
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const bin = (name: string): string => join(root, 'node_modules/.bin', name)

interface Run {
  readonly code: number
  readonly out: string
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: TIMEOUT, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ code, out: `${stdout}${stderr}`.trim() })
      })
  })
}

/** Runs a command and returns its output; throws with the output when it fails. */
async function must(what: string, cmd: string, args: readonly string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd)
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.out}`)
  return r.out
}

/** The newest modification time under `dir`, in ms. */
function newest(dir: string): number {
  let max = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return max
}

/** Checks that dist/ holds every entry's four files; warns when lib/ changed after the build. */
function checkDist(names: readonly string[]): void {
  const missing = names.flatMap((n) => [`${n}.js`, `${n}.cjs`, `${n}.d.ts`, `${n}.d.cts`]).filter((f) => !existsSync(join(root, 'dist', f)))
  if (missing.length > 0) throw new Error(`dist/ lacks ${missing.join(', ')}: run npm run build first`)
  if (newest(join(root, 'lib')) > statSync(join(root, 'dist', 'index.js')).mtimeMs) {
    console.warn('pack:check: warning: lib/ changed after the last build; this checks the old dist/')
  }
}

/**
 * The packages a consumer would install next to polymachine: its dependencies, its peer and optional dependencies
 * that this repository has installed, their @types packages, and @types/node.
 */
function consumerDeps(pkg: Record<string, unknown>): string[] {
  const names = (field: string): string[] => Object.keys((pkg[field] ?? {}) as Record<string, string>)
  const installed = (name: string): boolean => existsSync(join(root, 'node_modules', name))
  const peers = [...names('peerDependencies'), ...names('optionalDependencies')].filter(installed)
  const all = [...new Set([...names('dependencies'), ...peers])]
  const types = all.map((n) => `@types/${n.replace(/^@([^/]+)\//, '$1__')}`).filter(installed)
  return [...new Set([...all, ...types, '@types/node'])]
}

/** Makes `dir/node_modules/polymachine` from the tarball and links `deps` from our node_modules. */
async function install(dir: string, tarball: string, deps: readonly string[]): Promise<void> {
  const target = join(dir, 'node_modules/polymachine')
  mkdirSync(target, { recursive: true })
  await must('extracting the tarball', 'tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], dir)
  for (const dep of deps) {
    const link = join(dir, 'node_modules', dep)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(join(root, 'node_modules', dep), link, 'dir')
  }
}

/** A program importing every subpath of `exports`, which fails at run time when one loads empty. */
function allEntries(subpaths: readonly string[], esm: boolean): string {
  const specs = subpaths.map((s) => (s === '.' ? 'polymachine' : `polymachine/${s.slice(2)}`))
  return [
    '// Generated by tools/pack-check.ts: every subpath in the package\'s "exports" must resolve and load.',
    ...specs.map((s, i) => `import * as e${i} from '${s}'`),
    `const entries: Record<string, object> = { ${specs.map((s, i) => `'${s}': e${i}`).join(', ')} }`,
    'for (const [spec, mod] of Object.entries(entries)) if (Object.keys(mod).length === 0) throw new Error(`${spec} loaded empty`)',
    `console.log(\`${esm ? 'esm' : 'cjs'} entries ok: \${Object.keys(entries).join(' ')}\`)`,
    '',
  ].join('\n')
}

/** Copies, installs, type-checks (every tsconfig*.json), builds and runs one consumer project. */
async function consumer(name: 'esm' | 'cjs', tmp: string, tarball: string, deps: readonly string[], subpaths: readonly string[]): Promise<string> {
  const dir = join(tmp, name)
  cpSync(join(root, 'spec/consumer', name), dir, { recursive: true, filter: (src) => !/[/\\](out|node_modules)$/.test(src) })
  await install(dir, tarball, deps)
  writeFileSync(join(dir, 'all-entries.ts'), allEntries(subpaths, name === 'esm'))
  const configs = readdirSync(dir).filter((f) => /^tsconfig.*\.json$/.test(f)).sort()
  for (const config of configs) await must(`${name}: tsc -p ${config}`, process.execPath, [tsc, '-p', config], dir)
  const main = await must(`${name}: node out/main.js`, process.execPath, ['out/main.js'], dir)
  if (!main.includes(`${name} consumer ok`)) throw new Error(`${name}: main.js printed ${JSON.stringify(main)}`)
  const entries = await must(`${name}: node out/all-entries.js`, process.execPath, ['out/all-entries.js'], dir)
  return `${name}: ${configs.join(', ')} type-check; ${main.split('\n').at(-1) ?? ''}; ${entries}`
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  if (args.some((a) => a !== '--keep')) {
    console.error('usage: npm run pack:check [-- --keep]')
    return 2
  }
  const started = performance.now()
  const step = (line: string): void => console.log(`pack:check: ${line} (${((performance.now() - started) / 1000).toFixed(1)} s)`)

  const names = Object.keys(await tsupEntries())
  const want = expectedFields(names)
  const pkg = readPackage()
  const diff = differences(pkg, want)
  if (diff.length > 0) throw new Error(`package.json does not match tsup.config.ts:\n  ${diff.join('\n  ')}\nrun: npm run pack:entries -- --write`)
  checkDist(names)
  step(`package.json entry fields match tsup.config.ts (${names.length} entries); dist/ complete`)

  const tmp = mkdtempSync(join(tmpdir(), 'polymachine-pack-'))
  try {
    const packed = await must('npm pack', 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], root)
    const tarball = join(tmp, (JSON.parse(packed.slice(packed.indexOf('['))) as Array<{ filename: string }>)[0]?.filename ?? '')
    step(`packed ${basename(tarball)} (${(statSync(tarball).size / 1024).toFixed(0)} KB)`)

    await must('publint --strict', bin('publint'), [tarball, '--strict'], root)
    step('publint --strict: clean')
    await must('attw (node10, node16 CJS, node16 ESM, bundler)', bin('attw'), [tarball, '--profile', 'strict', '--no-definitely-typed', '--format', 'table-flipped', '--no-emoji', '--no-color'], root)
    step('are-the-types-wrong: clean in node10, node16 (CJS), node16 (ESM), bundler')

    const deps = consumerDeps(pkg)
    const subpaths = Object.keys(want.exports).filter((s) => s !== './package.json')
    // both settle before the temp folder goes, also when one fails
    const results = await Promise.allSettled((['esm', 'cjs'] as const).map((n) => consumer(n, tmp, tarball, deps, subpaths)))
    for (const r of results) {
      if (r.status === 'rejected') throw r.reason
      step(r.value)
    }
  } finally {
    if (args.includes('--keep')) console.log(`pack:check: kept ${tmp}`)
    else rmSync(tmp, { recursive: true, force: true })
  }
  step('ok')
  return 0
}

main().then((code) => (process.exitCode = code), (err: unknown) => {
  console.error(`pack:check: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
