/**
 * What a user reads in the editor: the compiler's own messages and hover types for typical mistakes, from a small
 * program compiled with the TypeScript API (the `@ts-expect-error` tests in types.spec.ts show that an error exists
 * and where; these show what it says).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const PROBE = join(ROOT, 'spec/machine/__type-probe.ts')

/** Each entry is one line of the probe; `//!` marks the text the error must start at. */
const LINES = [
  `import { Machine, schema, type Handlers } from '../../lib/machine/index.js'`,
  `export const ss = schema({ Start: {}, Ready: { auto: true, require: ['Start'] } })`,
  `export const mach = new Machine(ss)`,
  `export const handlers: Handlers<typeof ss> = { ReadyState: () => undefined }`,
  `export const typo = schema({ Start: {}, Ready: { require: [/*!*/'Redy'] } })`,
  `export const field = schema({ Start: {}, Ready: { /*!*/auto: 1 } })`,
  `export const unknownField = schema({ Start: {}, Ready: { /*!*/requires: ['Start'] } })`,
  `export const later = schema(ss, { Done: { after: [/*!*/'Redy'] } })`,
  `export const ctor = new Machine(ss, { handlers: { /*!*/RedyState() {} } })`,
  `mach.add(/*!*/'Foo')`,
]

interface Diag {
  line: number
  col: number
  text: string
}

let diags: Diag[] = []
let hover: (name: string) => string = () => ''

beforeAll(() => {
  const source = LINES.join('\n')
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (p) => ts.sys.readFile(p))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT)
  const host = ts.createCompilerHost(parsed.options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, lang, ...rest) =>
    name === PROBE ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest)
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => name === PROBE || fileExists(name)
  host.readFile = (name) => (name === PROBE ? source : readFileSync(name, 'utf8'))
  const program = ts.createProgram([PROBE], { ...parsed.options, noEmit: true }, host)
  const file = program.getSourceFile(PROBE) as ts.SourceFile
  diags = program.getSemanticDiagnostics(file).map((d) => {
    const pos = file.getLineAndCharacterOfPosition(d.start ?? 0)
    return { line: pos.line, col: pos.character, text: ts.flattenDiagnosticMessageText(d.messageText, '\n') }
  })
  const checker = program.getTypeChecker()
  const decls = new Map<string, ts.Node>()
  file.forEachChild(function visit(n): void {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) decls.set(n.name.text, n.name)
    n.forEachChild(visit)
  })
  hover = (name) => {
    const node = decls.get(name)
    if (!node) throw new Error(`no declaration '${name}' in the probe`)
    return checker.typeToString(checker.getTypeAtLocation(node), undefined, ts.TypeFormatFlags.NoTruncation)
  }
}, 60_000)

/** The diagnostic on probe line `i`, checked to start at the `/*!*\/` mark. */
function errorAt(i: number): string {
  const line = LINES[i] as string
  const mark = line.indexOf('/*!*/')
  const found = diags.filter((d) => d.line === i)
  expect(found, `errors on line ${i}: ${JSON.stringify(diags)}`).toHaveLength(1)
  expect(found[0]?.col, `column of the error on: ${line}`).toBe(mark + '/*!*/'.length)
  return found[0]?.text as string
}

/** The names listed after `prefix` in a message, sorted. */
function listed(text: string, prefix: string): string[] {
  const at = text.indexOf(prefix)
  expect(at, text).toBeGreaterThanOrEqual(0)
  return (text.slice(at + prefix.length).match(/^[A-Za-z_ |]+/)?.[0] ?? '').split(' | ').map((s) => s.trim()).sort()
}

describe('type messages: schema() mistakes, on the property, naming the known states', () => {
  it('an unknown relation target names itself and lists the states', () => {
    const text = errorAt(4)
    expect(listed(text, `'Redy' is not a state of this schema: `)).toEqual(['Exception', 'Ready', 'Start'])
  })

  it('a wrongly typed field and an unknown field are reported on the field', () => {
    expect(errorAt(5)).toContain(`Type 'number' is not assignable to type 'boolean'`)
    expect(errorAt(6)).toContain(`'requires' is not a field of a state definition: auto | multi | require`)
  })

  it('a later part lists the states of all parts', () => {
    expect(listed(errorAt(7), `'Redy' is not a state of this schema: `)).toEqual(['Done', 'Exception', 'Ready', 'Start'])
  })

  it('the constructor rejects a handler naming no state, as bind() does', () => {
    expect(errorAt(8)).toContain(`'RedyState' names no state of this schema`)
  })

  it('a wrong state name in a call shows the union of names, no internal alias', () => {
    const text = errorAt(9)
    expect(text).toMatch(/^Argument of type '"Foo"' is not assignable to parameter of type 'States<("\w+"( \| )?){3}>'/)
    expect(text).not.toMatch(/SchemaNames|CheckPart|readonly \[/)
  })

  it('no other errors in the probe', () => {
    expect(diags.map((d) => d.line).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9])
  })
})

describe('type messages: hovers show state-name unions', () => {
  it('a schema and a machine', () => {
    expect(hover('ss')).toMatch(/^Schema<("(Start|Ready|Exception)"( \| )?){3}, "Exception">$/)
    expect(hover('mach')).toMatch(/^Machine<("(Start|Ready|Exception)"( \| )?){3}>$/)
    expect(hover('ctor')).toMatch(/^Machine<("(Start|Ready|Exception)"( \| )?){3}>$/)
  })
})
