/**
 * Schema diagrams (issue 16 item 6): the Mermaid and D2 text of a schema with every relation kind, auto and multi
 * marks, a lower-case name (a Mermaid keyword), a machine's active states, and input checks. The expected texts are
 * written out by hand.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Machine, schema } from '../../lib/index.js'
import { everyRelation } from './diagram-schema.js'
import { ClientSchema } from '../../lib/rpc/index.js'
import { toD2, toMermaid } from '../../lib/telemetry/index.js'

const ss = everyRelation

const MERMAID = `flowchart LR
  %% polymachine schema: --> require, ==> add, --x remove, -.-> after
  Start["Start"]
  Ready["Ready (auto)"]
  Fetch["Fetch (multi)"]
  Log["Log"]
  Stop["Stop"]
  s_end["end"]
  Exception["Exception (multi)"]
  Ready -->|require| Start
  Fetch -->|require| Ready
  Fetch ==>|add| Log
  Fetch -.->|after| Ready
  Log -.->|after| Fetch
  Stop --x|remove| Start
  Stop --x|remove| Ready
  s_end -->|require| Stop
`

const D2 = `direction: right
# polymachine schema: require plain, add thick, remove red dashed, after grey dotted
"Start": "Start"
"Ready": "Ready (auto)"
"Fetch": "Fetch (multi)"
"Log": "Log"
"Stop": "Stop"
"end": "end"
"Exception": "Exception (multi)"
"Ready" -> "Start": require
"Fetch" -> "Ready": require
"Fetch" -> "Log": add {style.stroke-width: 3}
"Fetch" -> "Ready": after {style.stroke: "#6b7280"; style.stroke-dash: 5}
"Log" -> "Fetch": after {style.stroke: "#6b7280"; style.stroke-dash: 5}
"Stop" -> "Start": remove {style.stroke: "#b91c1c"; style.stroke-dash: 3}
"Stop" -> "Ready": remove {style.stroke: "#b91c1c"; style.stroke-dash: 3}
"end" -> "Stop": require
`

describe('toMermaid', () => {
  it('every state and relation of a schema', () => {
    expect(toMermaid(ss)).toBe(MERMAID)
  })

  it('a machine\'s active states in the active class; TB direction', () => {
    const m = new Machine(ss)
    m.add('Start') // Ready follows (auto)
    expect(toMermaid(ss, { machine: m, direction: 'TB' })).toBe(MERMAID.replace('flowchart LR', 'flowchart TB') +
      '  classDef active fill:#bbf7d0,stroke:#15803d,stroke-width:2px\n  class Start,Ready active\n')
    m.add(['Stop', 'end']) // Stop removes Start and Ready
    expect(toMermaid(ss, { machine: m }).split('\n').at(-2)).toBe('  class Stop,s_end active')
  })

  it('a machine with no active state adds nothing', () => {
    expect(toMermaid(ss, { machine: new Machine(ss) })).toBe(MERMAID)
  })
})

describe('toD2', () => {
  it('every state and relation of a schema', () => {
    expect(toD2(ss)).toBe(D2)
  })

  it('a machine\'s active states filled and bold; TB is down', () => {
    const m = new Machine(ss)
    m.add('Start')
    m.add('Fetch') // adds Log
    const active = ' {style.fill: "#bbf7d0"; style.stroke: "#15803d"; style.bold: true}'
    expect(toD2(ss, { machine: m, direction: 'TB' })).toBe(D2.replace('direction: right', 'direction: down')
      .replace('"Start": "Start"\n', `"Start": "Start"${active}\n`)
      .replace('"Ready": "Ready (auto)"\n', `"Ready": "Ready (auto)"${active}\n`)
      .replace('"Fetch": "Fetch (multi)"\n', `"Fetch": "Fetch (multi)"${active}\n`)
      .replace('"Log": "Log"\n', `"Log": "Log"${active}\n`))
  })
})

describe('diagram input checks', () => {
  const code = (fn: () => unknown): unknown => {
    try {
      fn()
    } catch (e) {
      return (e as { code?: unknown }).code
    }
    return 'no error'
  }

  it('not a schema, a foreign machine, bad options: ERR_INVALID_ARG', () => {
    const other = new Machine(schema({ Other: {} }))
    other.add('Other')
    for (const render of [toMermaid, toD2]) {
      expect(code(() => render(null as never))).toBe('ERR_INVALID_ARG')
      expect(code(() => render({ names: ['A'], states: {} } as never))).toBe('ERR_INVALID_ARG')
      expect(code(() => render({ names: ['A'], states: { A: { require: ['B'] } } } as never))).toBe('ERR_INVALID_ARG')
      expect(code(() => render({ names: ['a b'], states: { 'a b': {} } } as never))).toBe('ERR_INVALID_ARG')
      expect(code(() => render(ss, { machine: other }))).toBe('ERR_INVALID_ARG')
      expect(code(() => render(ss, { direction: 'RL' as never }))).toBe('ERR_INVALID_ARG')
      expect(code(() => render(ss, 5 as never))).toBe('ERR_INVALID_ARG')
    }
  })

  it('a schema-shaped object from another copy of the library is drawn (what the CLI relies on)', () => {
    const copy = JSON.parse(JSON.stringify(ss)) as typeof ss
    expect(toMermaid(copy)).toBe(MERMAID)
  })

  it('a hostile getter is an ERR_INVALID_ARG, not a crash', () => {
    const hostile = { names: ['A'], get states(): never { throw new Error('boom') } }
    expect(code(() => toMermaid(hostile as never))).toBe('ERR_INVALID_ARG')
  })
})

describe('diagrams in the docs', () => {
  it('docs/rpc.md shows the current ClientSchema', () => {
    const md = readFileSync(new URL('../../docs/rpc.md', import.meta.url), 'utf8')
    const from = md.indexOf('`ClientSchema` drawn by')
    expect(from).toBeGreaterThan(0)
    const block = /```mermaid\n([\s\S]*?)```/.exec(md.slice(from))
    expect(block?.[1]).toBe(toMermaid(ClientSchema))
  })
})
