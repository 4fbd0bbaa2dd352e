/**
 * tools/package-entries.ts: package.json's entry fields follow tsup.config.ts, so a subpath cannot be published
 * without its types (exports conditions, and typesVersions for TypeScript's node10 resolution).
 */
import { describe, expect, it } from 'vitest'
import { differences, expectedFields, readPackage, tsupEntries, withFields } from '../../tools/package-entries.js'

describe('package entries', () => {
  it('this repository is in sync: every tsup entry is exported with types, and nothing else is', async () => {
    const names = Object.keys(await tsupEntries())
    expect(names).toContain('index')
    expect(differences(readPackage(), expectedFields(names))).toEqual([])
  })

  it('an entry gets import/require conditions with types first, and a typesVersions path', () => {
    const want = expectedFields(['states', 'index'])
    expect(Object.keys(want.exports)).toEqual(['.', './states', './package.json'])
    const states = want.exports['./states'] as Record<string, Record<string, string>>
    expect(Object.keys(states.import ?? {})).toEqual(['types', 'default'])
    expect(states.require).toEqual({ types: './dist/states.d.cts', default: './dist/states.cjs' })
    expect(want.typesVersions).toEqual({ '*': { states: ['./dist/states.d.ts'] } })
    expect(want).toMatchObject({ main: './dist/index.cjs', module: './dist/index.js', types: './dist/index.d.ts' })
  })

  it('reports a new tsup entry missing from exports and typesVersions, and an export no entry builds', async () => {
    const names = Object.keys(await tsupEntries())
    const pkg = readPackage()
    const diff = differences(pkg, expectedFields([...names, 'not-built-yet']))
    expect(diff).toContain('"exports" lacks "./not-built-yet"')
    expect(diff.some((d) => d.startsWith('"typesVersions" is'))).toBe(true)
    const extra = differences(pkg, expectedFields(names.filter((n) => n !== 'states')))
    expect(extra).toContain('"exports" has "./states", which no tsup entry builds')
  })

  it('--write keeps the other fields in order and puts typesVersions after exports', () => {
    const pkg = { name: 'x', exports: {}, files: ['dist'], scripts: { build: 'tsup' } }
    const want = expectedFields(['index', 'store'])
    const fixed = withFields(pkg, want)
    expect(Object.keys(fixed)).toEqual(['name', 'exports', 'typesVersions', 'files', 'scripts', 'main', 'module', 'types'])
    expect(fixed.scripts).toEqual({ build: 'tsup' })
    expect(differences(fixed, want)).toEqual([])
  })
})
