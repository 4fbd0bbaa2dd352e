/**
 * tools/docs-check.ts: how ```ts snippets of a page become programs, and which of them docs:check runs.
 */
import { describe, expect, it } from 'vitest'
import { programs } from '../../tools/docs-check.js'

const page = (...blocks: string[]): string => blocks.join('\n')

describe('docs:check programs', () => {
  it('an import starts a program, a snippet without one continues the previous, (continued) the first', () => {
    const md = page(
      '# t', '```ts', "import { a } from 'x'", 'a()', '```',
      'text', '```ts', "import { b } from 'y'", '```',
      '```ts', 'b()', '```',
      '```ts (continued)', 'a(2)', '```',
    )
    const ps = programs('t.md', md)
    expect(ps.map((p) => p.code)).toEqual([["import { a } from 'x'", 'a()', 'a(2)'], ["import { b } from 'y'", 'b()']])
    expect(ps[0]?.origin.map((o) => o.line)).toEqual([3, 4, 14])
    expect(ps.map((p) => p.runs)).toEqual([false, false])
  })

  it('(runs) marks the program it starts, and its continued snippets run with it', () => {
    const md = page('```ts (runs)', "import { a } from 'x'", '```', '```ts', "import { b } from 'y'", '```', '```ts (continued)', 'a()', '```')
    const ps = programs('t.md', md)
    expect(ps.map((p) => [p.name, p.runs, p.code.length])).toEqual([['t-1', true, 2], ['t-2', false, 1]])
  })

  it('refuses (runs) on a snippet that continues another, and unknown fence words', () => {
    expect(() => programs('t.md', page('```ts', "import { a } from 'x'", '```', '```ts (runs)', 'a()', '```')))
      .toThrow(/t\.md:4: \(runs\) marks a program's first snippet/)
    expect(() => programs('t.md', page('```ts (run)', 'a()', '```'))).toThrow(/t\.md:1: unknown fence/)
    expect(() => programs('t.md', page('```ts (continued)', 'a()', '```'))).toThrow(/needs an earlier one/)
  })
})
