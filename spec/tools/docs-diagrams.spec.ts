/**
 * The schema diagrams in docs/manual.md and docs/actors.md are drawn by tools/docs-diagrams.ts from the code: this
 * fails when a schema changed and its diagram was not regenerated (`npx tsx tools/docs-diagrams.ts`).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ActorSchema } from '../../lib/actor/index.js'
import { DIAGRAM_PAGES, diagramRegions, mermaidBlock, renderDiagrams } from '../../tools/docs-diagrams.js'

const page = (md: string): string => readFileSync(new URL(`../../${md}`, import.meta.url), 'utf8')

describe('schema diagrams in the docs', () => {
  for (const md of DIAGRAM_PAGES) {
    it(`${md}: every marked diagram matches its schema`, async () => {
      const regions = await diagramRegions(page(md))
      expect(regions.length).toBeGreaterThan(0)
      for (const r of regions) expect(r.current, `${md}: ${r.module}#${r.exportName}`).toBe(r.expected)
    })
  }

  it('the pages draw the library components the issue names', async () => {
    const drawn = (await Promise.all(DIAGRAM_PAGES.map(async (md) => diagramRegions(page(md)))))
      .flat().map((r) => r.exportName)
    expect(drawn).toEqual(expect.arrayContaining(['ConnectedSchema', 'DisposedSchema', 'ActorSchema',
      'ActorSystemSchema', 'SupervisorSchema']))
  })

  it('a stale block is detected and regenerated', async () => {
    const stale = '<!-- diagram: lib/actor/actor.schema.ts#ActorSchema -->\n```mermaid\nflowchart LR\n```\n<!-- /diagram -->\n'
    const [r] = await diagramRegions(stale)
    expect(r?.current).not.toBe(r?.expected)
    expect(await renderDiagrams(stale)).toBe(
      `<!-- diagram: lib/actor/actor.schema.ts#ActorSchema -->\n${mermaidBlock(ActorSchema)}<!-- /diagram -->\n`)
  })

  it('a marker naming no schema is an error, not a silent pass', async () => {
    await expect(diagramRegions('<!-- diagram: lib/actor/actor.schema.ts#NoSuchSchema -->\n<!-- /diagram -->\n'))
      .rejects.toThrow(/no schema export named NoSuchSchema/)
  })
})
