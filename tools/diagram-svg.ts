/**
 * Schema diagrams rendered to SVG by Mermaid itself, in headless Chromium driven by playwright-core: the check that
 * `toMermaid()`'s text is a diagram Mermaid draws, and a way to get an SVG file without a Markdown viewer.
 *
 * Nothing is fetched from the network: the page and Mermaid's ESM bundle (from this checkout's node_modules) are
 * served to the browser by request interception under a name that cannot resolve (`.invalid`), and every other
 * request is aborted. This is a repository tool (playwright-core and mermaid are devDependencies); the library never
 * imports it.
 *
 * ```ts
 * const renderer = await MermaidSvgRenderer.launch()
 * try {
 *   const { svg, nodes } = await renderer.render(toMermaid(ActorSchema))
 * } finally {
 *   await renderer.close()
 * }
 * ```
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { chromium, type Browser, type Page, type Route } from 'playwright-core'
import { InvalidArgumentError, PolymachineError } from '../lib/index.js'
import { toMermaid, type DiagramOptions, type DiagramSchema } from '../lib/telemetry/index.js'

/** The Chromium used unless told otherwise: `CHROMIUM_BIN`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'

/** True when {@link CHROMIUM_BIN} exists (the SVG tests skip otherwise; `.ci/run` installs it). */
export const hasChromium = existsSync(CHROMIUM_BIN)

/** Flags for a browser on a closed network: no background connections, no sandbox (root in CI), no GPU. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

/** The page's origin, answered by interception only (`.invalid` never resolves, RFC 2606). */
const ORIGIN = 'http://polymachine.invalid'

/** Mermaid's `maxTextSize` and `maxEdges` defaults (50 000 chars, 500 edges) are too small for large schemas. */
const MAX_TEXT = 1_000_000
const MAX_EDGES = 20_000

export type DiagramSvgErrorCode =
  /** No Chromium at the path, or it would not start. */
  | 'ERR_DIAGRAM_BROWSER'
  /** Mermaid's bundle is not installed (`npm install -D mermaid`). */
  | 'ERR_DIAGRAM_DEPENDENCY'
  /** Mermaid rejected the text (its parse error is the message). */
  | 'ERR_DIAGRAM_RENDER'
  /** The browser did not answer in time. */
  | 'ERR_TIMEOUT'
  /** `render()` after `close()`. */
  | 'ERR_DIAGRAM_CLOSED'

/** Every failure of the renderer, with a `code`. */
export class DiagramSvgError extends PolymachineError {
  override readonly name = 'DiagramSvgError'
  declare readonly code: DiagramSvgErrorCode

  constructor(code: DiagramSvgErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/** Options of {@link MermaidSvgRenderer.launch}. */
export interface MermaidSvgOptions {
  /** The Chromium executable (default {@link CHROMIUM_BIN}). */
  chromium?: string
  /** Deadline of starting the browser and of each render, ms (default 60 000: a loaded CI host is slow). */
  timeout?: number
  /** Labels as HTML in `<foreignObject>` (Mermaid's default, true), or plain SVG `<text>` for non-browser viewers. */
  htmlLabels?: boolean
}

/** One node of a rendered flowchart, read back from the browser's layout of the SVG. */
export interface SvgNode {
  /** The Mermaid node id (a state's name, or `s_<name>` for a lower-case one). */
  readonly id: string
  /** Its text as shown, whitespace collapsed: `Ready (auto)`. */
  readonly label: string
  /** Its laid-out size in px; 0 means it is not drawn. */
  readonly width: number
  readonly height: number
}

/** Options of one render. */
export interface RenderOptions {
  /** HTML or plain SVG text labels for this diagram (default: the renderer's). */
  htmlLabels?: boolean
}

/** What {@link MermaidSvgRenderer.render} gives. */
export interface RenderedSvg {
  /** The standalone SVG document. */
  readonly svg: string
  /** The flowchart's nodes (empty for other diagram types). */
  readonly nodes: readonly SvgNode[]
}

/**
 * The page: Mermaid's ESM bundle, set up with `config`, and `pmRender(id, text)`, which renders, lays the SVG out in
 * the page and reads each flowchart node's id, text and drawn size back. Plain JavaScript in a string: a function
 * handed to `page.evaluate` would first pass through the test runner's or tsx's transforms.
 */
function pageHtml(config: Record<string, unknown>): string {
  const script = `
import mermaid from '/mermaid/mermaid.esm.min.mjs'
const config = ${JSON.stringify(config)}
window.pmRender = async (id, text, htmlLabels) => {
  let svg
  try {
    mermaid.initialize({ ...config, htmlLabels, flowchart: { htmlLabels } })
    svg = (await mermaid.render(id, text)).svg
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) }
  }
  const box = document.createElement('div')
  box.innerHTML = svg
  document.body.appendChild(box)
  const prefix = id + '-flowchart-'
  const nodes = Array.from(box.querySelectorAll('g.node')).map((n) => {
    const full = n.getAttribute('id') || ''
    const rect = n.getBoundingClientRect()
    return { id: full.startsWith(prefix) ? full.slice(prefix.length).replace(/-\\d+$/, '') : full,
      label: (n.textContent || '').replace(/\\s+/g, ' ').trim(), width: rect.width, height: rect.height }
  })
  box.remove()
  return { svg, nodes }
}
window.pmReady = true
`
  return `<!doctype html><html><head><meta charset="utf-8"><title>polymachine diagram</title>
<script type="module">${script}</script></head><body></body></html>`
}

function mermaidDist(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('mermaid/dist/mermaid.esm.min.mjs'))
  } catch (err) {
    throw new DiagramSvgError('ERR_DIAGRAM_DEPENDENCY', 'Mermaid is not installed (npm install -D mermaid@11)', { cause: err })
  }
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DiagramSvgError('ERR_TIMEOUT', `${what} took longer than ${ms} ms`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/**
 * A headless Chromium with Mermaid loaded in one page; renders any number of diagrams, one at a time. Close it when
 * done (it owns a browser process).
 */
export class MermaidSvgRenderer {
  #chain: Promise<unknown> = Promise.resolve()
  #renders = 0
  #closed: Promise<void> | null = null

  private constructor(private readonly browser: Browser, private readonly page: Page, private readonly timeout: number,
    private readonly htmlLabels: boolean) {}

  /** Starts Chromium (a fresh temporary profile, which playwright-core makes and removes) and loads Mermaid. */
  static async launch(opts: MermaidSvgOptions = {}): Promise<MermaidSvgRenderer> {
    const where = 'MermaidSvgRenderer.launch()'
    if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError(where, 'opts', 'an object', opts)
    const { chromium: bin = CHROMIUM_BIN, timeout = 60_000, htmlLabels = true } = opts
    if (typeof bin !== 'string' || bin === '') throw new InvalidArgumentError(where, 'chromium', 'a path', bin)
    if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError(where, 'timeout', 'an integer of ms ≥ 1', timeout)
    if (typeof htmlLabels !== 'boolean') throw new InvalidArgumentError(where, 'htmlLabels', 'a boolean', htmlLabels)
    const dist = mermaidDist()
    if (!existsSync(bin)) {
      throw new DiagramSvgError('ERR_DIAGRAM_BROWSER', `no Chromium at ${bin} (apt-get install chromium, or set CHROMIUM_BIN)`)
    }
    let browser: Browser
    try {
      browser = await chromium.launch({ executablePath: bin, headless: true, args: CHROMIUM_FLAGS, timeout })
    } catch (err) {
      throw new DiagramSvgError('ERR_DIAGRAM_BROWSER', `Chromium at ${bin} did not start: ${String(err)}`, { cause: err })
    }
    try {
      const page = await browser.newPage()
      page.setDefaultTimeout(timeout)
      const html = pageHtml({ startOnLoad: false, securityLevel: 'strict', maxTextSize: MAX_TEXT, maxEdges: MAX_EDGES })
      await page.route('**/*', (route) => serve(route, dist, html))
      // a script that fails to load or run says so at once instead of leaving the wait to time out
      const broken = new Promise<never>((_, reject) => page.once('pageerror', (e) => reject(e)))
      await page.goto(`${ORIGIN}/`)
      await Promise.race([page.waitForFunction('window.pmReady === true', undefined, { timeout }), broken])
      return new MermaidSvgRenderer(browser, page, timeout, htmlLabels)
    } catch (err) {
      await deadline(browser.close(), 10_000, 'closing Chromium').catch(() => undefined)
      if (err instanceof DiagramSvgError) throw err
      throw new DiagramSvgError('ERR_DIAGRAM_BROWSER', `cannot load Mermaid into Chromium: ${String(err)}`, { cause: err })
    }
  }

  /**
   * Renders Mermaid text to SVG; rejects with `ERR_DIAGRAM_RENDER` when Mermaid rejects the text. Calls queue: one
   * render at a time. `htmlLabels` overrides the renderer's for this diagram.
   */
  render(text: string, opts: RenderOptions = {}): Promise<RenderedSvg> {
    if (typeof opts !== 'object' || opts === null) {
      return Promise.reject(new InvalidArgumentError('MermaidSvgRenderer.render()', 'opts', 'an object', opts))
    }
    const htmlLabels = opts.htmlLabels ?? this.htmlLabels
    if (typeof htmlLabels !== 'boolean') {
      return Promise.reject(new InvalidArgumentError('MermaidSvgRenderer.render()', 'htmlLabels', 'a boolean', htmlLabels))
    }
    if (typeof text !== 'string' || text.trim() === '') {
      return Promise.reject(new InvalidArgumentError('MermaidSvgRenderer.render()', 'text', 'Mermaid text', text))
    }
    if (text.length > MAX_TEXT) {
      return Promise.reject(new InvalidArgumentError('MermaidSvgRenderer.render()', 'text',
        `at most ${MAX_TEXT} characters`, `${text.length} characters`))
    }
    const run = this.#chain.then(() => this.#render(text, htmlLabels))
    this.#chain = run.catch(() => undefined)
    return run
  }

  async #render(text: string, htmlLabels: boolean): Promise<RenderedSvg> {
    if (this.#closed) throw new DiagramSvgError('ERR_DIAGRAM_CLOSED', 'the renderer is closed')
    const id = `pm-diagram-${++this.#renders}`
    let out: { svg: string; nodes: SvgNode[] } | { error: string }
    try {
      const call = `window.pmRender(${JSON.stringify(id)}, ${JSON.stringify(text)}, ${String(htmlLabels)})`
      out = await deadline(this.page.evaluate(call) as Promise<{ svg: string; nodes: SvgNode[] } | { error: string }>,
        this.timeout, 'rendering a diagram')
    } catch (err) {
      if (err instanceof DiagramSvgError) throw err
      throw new DiagramSvgError('ERR_DIAGRAM_BROWSER', `the browser failed while rendering: ${String(err)}`, { cause: err })
    }
    if ('error' in out) throw new DiagramSvgError('ERR_DIAGRAM_RENDER', `Mermaid rejected the diagram: ${out.error}`)
    return out
  }

  /** Renders a schema's diagram (`toMermaid(schema, opts)`): states, relations and, given a machine, active states. */
  renderSchema(schema: DiagramSchema, opts: DiagramOptions & RenderOptions = {}): Promise<RenderedSvg> {
    let text: string
    try {
      const { htmlLabels: _, ...diagram } = opts
      text = toMermaid(schema, diagram)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.render(text, opts.htmlLabels === undefined ? {} : { htmlLabels: opts.htmlLabels })
  }

  /** Closes the browser (bounded: a browser that does not close in 10 s is left to exit with this process). */
  close(): Promise<void> {
    this.#closed ??= deadline(this.browser.close(), 10_000, 'closing Chromium').catch(() => undefined)
    return this.#closed
  }
}

/** Answers the page's requests: the blank page and Mermaid's files; anything else (a CDN, a font) is aborted. */
async function serve(route: Route, dist: string, html: string): Promise<void> {
  const url = new URL(route.request().url())
  if (url.origin !== ORIGIN) return route.abort('blockedbyclient')
  if (url.pathname === '/') return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html })
  const file = join(dist, decodeURIComponent(url.pathname).replace(/^\/mermaid\//, ''))
  const rel = relative(dist, file)
  if (!url.pathname.startsWith('/mermaid/') || rel.startsWith('..') || rel.split(sep).includes('..') || !existsSync(file)) {
    return route.fulfill({ status: 404, body: 'not found' })
  }
  return route.fulfill({ path: file, contentType: 'text/javascript; charset=utf-8' })
}

/**
 * One diagram to SVG in a browser of its own (started and closed here; for several, keep a
 * {@link MermaidSvgRenderer}).
 *
 * ```ts
 * const svg = await schemaToSvg(ActorSchema, { direction: 'TB' })
 * ```
 */
export async function schemaToSvg(schema: DiagramSchema, opts: DiagramOptions & MermaidSvgOptions = {}): Promise<string> {
  if (typeof opts !== 'object' || opts === null) throw new InvalidArgumentError('schemaToSvg()', 'opts', 'an object', opts)
  const { machine, direction, ...launch } = opts
  const text = toMermaid(schema, { ...(machine ? { machine } : {}), ...(direction ? { direction } : {}) })
  const renderer = await MermaidSvgRenderer.launch(launch)
  try {
    return (await renderer.render(text)).svg
  } finally {
    await renderer.close()
  }
}
