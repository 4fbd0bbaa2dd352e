/**
 * docs/tools.md's debugger screens come from tools/dbg/screenshots.ts (a capture in tmux, run by hand: it takes
 * seconds). This checks, without tmux, that the page holds a filled region for every shot, that each screen shows
 * what its shot waits for and fits the width, and how regions are filled.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COLS, fill, SHOTS } from '../../tools/dbg/screenshots.js'

const page = readFileSync(new URL('../../docs/tools.md', import.meta.url), 'utf8')

describe('debugger screenshots in docs/tools.md', () => {
  for (const shot of SHOTS) {
    it(`the ${shot.name} screen is filled and shows what the shot waits for`, () => {
      const m = new RegExp(`<!-- screen:${shot.name} -->\\n\`\`\`text\\n([\\s\\S]*?)\`\`\`\\n<!-- /screen -->`).exec(page)
      const screen = m?.[1]
      expect(screen, `no filled screen:${shot.name} region`).toBeDefined()
      expect(shot.ready(screen as string)).toBe(true)
      for (const line of (screen as string).split('\n')) expect([...line].length).toBeLessThanOrEqual(COLS)
    })
  }

  it('fill() puts each screen in its region and refuses a region without a shot', () => {
    const md = 'a\n<!-- screen:live -->\nold\n<!-- /screen -->\nb\n'
    expect(fill(md, new Map([['live', 'new\n']]))).toBe('a\n<!-- screen:live -->\n```text\nnew\n```\n<!-- /screen -->\nb\n')
    expect(() => fill(md, new Map())).toThrow(/screen:live region but no shot/)
  })
})
