/**
 * Schema diagrams rendered to SVG by Mermaid itself in headless Chromium (issue 16, done-when): a schema with every
 * relation kind (require, remove, add, after; auto and multi marked) and a lower-case name, drawn by
 * `toMermaid()` and rendered by Mermaid's own bundle in Debian's Chromium; the SVG is read back by the browser and
 * every state must be a drawn node with its label, every relation a labelled edge. Skipped, saying so, when
 * /usr/bin/chromium is missing (.ci/run installs it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { everyRelation } from '../telemetry/diagram-schema.js'
import { toMermaid } from '../../lib/telemetry/index.js'
import { CHROMIUM_BIN, DiagramSvgError, hasChromium, MermaidSvgRenderer, schemaToSvg } from '../../tools/diagram-svg.js'
import { runDiagramSvg } from '../../tools/diagram-svg-cli.js'

const ss = everyRelation

/** Mermaid node id → the label it must show. */
const LABELS: Record<string, string> = {
  Start: 'Start', Ready: 'Ready (auto)', Fetch: 'Fetch (multi)', Log: 'Log', Stop: 'Stop', s_end: 'end',
  Exception: 'Exception (multi)',
}

if (!hasChromium) console.warn(`spec/tools/diagram-svg: skipped, no Chromium at ${CHROMIUM_BIN} (apt-get install chromium)`)

/** Each labelled edge's label text, in order of the SVG. */
const edgeLabels = (svg: string): string[] =>
  [...svg.matchAll(/<span class="edgeLabel"><p>([^<]*)<\/p><\/span>/g)].map((m) => m[1] ?? '')

describe.skipIf(!hasChromium)('schema diagrams rendered to SVG by Mermaid in headless Chromium', () => {
  let renderer: MermaidSvgRenderer
  const dir = mkdtempSync(join(tmpdir(), 'pm-diagram-svg-'))
  beforeAll(async () => { renderer = await MermaidSvgRenderer.launch() }, 120_000)
  afterAll(async () => {
    await renderer?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('every state is a drawn node with its label (auto and multi marked); every relation a labelled edge', async () => {
    const { svg, nodes } = await renderer.renderSchema(ss)
    expect(svg).toMatch(/^<svg [^>]*aria-roledescription="flowchart-v2"/)
    expect(svg.trimEnd()).toMatch(/<\/svg>$/)
    expect(Object.fromEntries(nodes.map((n) => [n.id, n.label]))).toEqual(LABELS)
    for (const n of nodes) {
      expect(n.width, `${n.id} drawn`).toBeGreaterThan(0)
      expect(n.height, `${n.id} drawn`).toBeGreaterThan(0)
      expect(svg).toContain(`<p>${n.label}</p>`) // in the SVG text itself, not only in the page's reading of it
    }
    expect(edgeLabels(svg).sort()).toEqual(['add', 'after', 'after', 'remove', 'remove', 'require', 'require', 'require'])
    // the styles of the kinds: remove ends in a cross, after is dotted, add is thick
    expect(svg).toMatch(/id="pm-diagram-\d+-L_Stop_Start_0"[^>]*marker-end="url\(#pm-diagram-\d+_flowchart-v2-crossEnd\)"/)
    expect(svg).toMatch(/class="[^"]*edge-pattern-dotted[^"]*"[^>]*data-id="L_Log_Fetch_0"/)
    expect(svg).toMatch(/class="[^"]*edge-thickness-thick[^"]*"[^>]*data-id="L_Fetch_Log_0"/)
  }, 60_000)

  it("a machine's active states are drawn in the active class; the rest are not", async () => {
    const mach = new Machine(ss, { id: 'm' })
    mach.add('Start')
    const { svg, nodes } = await renderer.renderSchema(ss, { machine: mach, direction: 'TB' })
    expect(mach.activeStates).toEqual(['Start', 'Ready'])
    expect(nodes.map((n) => n.id).sort()).toEqual(Object.keys(LABELS).sort())
    const active = [...svg.matchAll(/<g class="node default active" id="pm-diagram-\d+-flowchart-(\w+)-\d+"/g)].map((m) => m[1])
    expect(active.sort()).toEqual(['Ready', 'Start'])
    expect(svg).toContain('fill:#bbf7d0')
  }, 60_000)

  it('plain SVG text labels (htmlLabels: false) show every state too', async () => {
    const r = await renderer.renderSchema(ss, { htmlLabels: false })
    expect(r.svg).not.toContain('<foreignObject')
    expect(Object.fromEntries(r.nodes.map((n) => [n.id, n.label]))).toEqual(LABELS)
    expect(r.nodes.every((n) => n.width > 0 && n.height > 0)).toBe(true)
    // the next render is back to the renderer's HTML labels
    expect((await renderer.renderSchema(ss)).svg).toContain('<foreignObject')
  }, 60_000)

  it('text Mermaid rejects is ERR_DIAGRAM_RENDER, and the renderer keeps working', async () => {
    const err = await renderer.render('flowchart LR\n  A -->|x B[[[\n').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DiagramSvgError)
    expect((err as DiagramSvgError).code).toBe('ERR_DIAGRAM_RENDER')
    await expect(renderer.render('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    const again = await renderer.render(toMermaid(schema({ A: {}, B: { require: ['A'] } })))
    expect(again.nodes.map((n) => n.label)).toEqual(['A', 'B', 'Exception (multi)'])
  }, 60_000)

  it('schemaToSvg: one diagram in a browser of its own', async () => {
    const svg = await schemaToSvg(ss, { direction: 'TB', htmlLabels: false })
    expect(svg).toMatch(/^<svg /)
    expect(svg).not.toContain('<foreignObject')
    for (const label of ['Start', 'Ready', 'Fetch', 'Log', 'Stop', 'end', 'Exception', '(auto)', '(multi)']) {
      expect(svg).toContain(label)
    }
  }, 120_000)

  it('the command line writes one SVG per exported schema', async () => {
    const fixture = new URL('./dbg-diagram.fixture.ts', import.meta.url).pathname
    const o = { out: '', err: '' }
    const code = await runDiagramSvg([fixture, '--out', dir], { out: (t) => void (o.out += t), err: (t) => void (o.err += t) })
    expect(o.err).toContain(`2 SVG file(s) written to ${dir}`)
    expect(code).toBe(0)
    expect(readFileSync(join(dir, 'AppSchema.svg'), 'utf8')).toContain('<p>Ready (auto)</p>')
    expect(readFileSync(join(dir, 'WorkerSchema.svg'), 'utf8')).toContain('<p>Busy</p>')
  }, 120_000)
})

describe('the renderer without a browser', () => {
  it('a missing Chromium is ERR_DIAGRAM_BROWSER, said at once; bad options are ERR_INVALID_ARG', async () => {
    await expect(MermaidSvgRenderer.launch({ chromium: '/nonexistent/chromium' }))
      .rejects.toMatchObject({ code: 'ERR_DIAGRAM_BROWSER', message: expect.stringContaining('/nonexistent/chromium') as string })
    await expect(MermaidSvgRenderer.launch({ timeout: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(MermaidSvgRenderer.launch(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(schemaToSvg({ names: ['A'], states: {} } as never, { chromium: '/nonexistent/chromium' }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })
})
