import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { decode as decode2 } from '@msgpack/msgpack'
import { describe, expect, it } from 'vitest'
import { schema } from '../../lib/index.js'
import { checksum, decode, encode, encodeFrame, parseMessage, schemaHash, toWire } from '../../lib/rpc/index.js'

const doc = readFileSync(new URL('../../docs/protocol-rpc.md', import.meta.url), 'utf8')

/** `<!-- golden NAME -->` followed by a ```json block and a ```hex block. */
const golden = [...doc.matchAll(/<!-- golden ([\w-]+) -->\s*```json\n([\s\S]*?)```\s*```hex\n([\s\S]*?)```/g)]
  .map(([, name, json, hex]) => ({
    name: name!,
    value: JSON.parse(json!) as unknown,
    bytes: Uint8Array.from((hex!.match(/[0-9a-f]{2}/g) ?? []).map((h) => parseInt(h, 16))),
  }))

describe('docs/protocol-rpc.md golden bytes', () => {
  it('has an example for every message type and the framing', () => {
    expect(golden.map((g) => g.name)).toEqual(['FRAME', 'HELLO', 'HELLO-mux', 'WELCOME', 'SYNC', 'CLOCK', 'DIFF', 'DIFF-err', 'MUTATE',
      'MUTATE-addErr', 'MUTATE-trace', 'REPLY', 'ERROR', 'ERROR-forbidden', 'BYE', 'PING', 'PONG', 'WATCH', 'MATCHED', 'UNWATCH', 'PAYLOAD', 'CANCEL'])
  })

  for (const g of golden) {
    it(`${g.name}: @msgpack/msgpack decodes the bytes to the JSON, and polymachine encodes the JSON to the bytes`, () => {
      if (g.name === 'FRAME') {
        expect(new DataView(g.bytes.buffer).getUint32(0)).toBe(g.bytes.length - 4)
        expect(decode2(g.bytes.subarray(4))).toEqual(g.value)
        expect([...encodeFrame(g.value)]).toEqual([...g.bytes])
        return
      }
      expect(decode2(g.bytes)).toEqual(g.value)
      expect([...encode(g.value)]).toEqual([...g.bytes])
      expect(decode(g.bytes)).toEqual(g.value)
      expect(parseMessage(decode(g.bytes))).not.toBeNull()
    })
  }

  it('MUTATE-trace: the trailing trace context parses, and an older MUTATE without it reads as none', () => {
    const trace = (name: string): unknown => {
      const m = parseMessage(decode(golden.find((g) => g.name === name)!.bytes))
      return m !== null && m.type === 6 ? m.trace : 'not a MUTATE'
    }
    expect(trace('MUTATE-trace')).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=x' })
    expect(trace('MUTATE')).toBeNull()
    // a malformed traceparent is no protocol error: the message parses, without a trace context
    expect(parseMessage([6, 1, 0, [1], null, null, 'ff-bad', 'vendor=x'])).toMatchObject({ type: 6, id: 1, trace: null })
    expect(toWire({ type: 6, id: 3, kind: 0, states: [1], args: null, error: null,
      trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=x' } }))
      .toEqual(golden.find((g) => g.name === 'MUTATE-trace')!.value)
  })

  it('the checksum and schema hash examples hold', () => {
    expect(checksum([1, 1, 0], 3)).toBe(30755)
    const s = schema({ Start: {}, Ready: { require: ['Start'] } })
    const text = 'Start;0;;;;\nReady;0;0;;;\nException;2;;;;'
    expect(doc).toContain('```text\n' + text + '\n```')
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16)
    expect(schemaHash(s)).toBe(hash)
    expect(doc).toContain(`the hash is \`${hash}\``)
  })
})
