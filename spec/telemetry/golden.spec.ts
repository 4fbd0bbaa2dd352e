/**
 * docs/protocol-dbg.md's byte examples: a second msgpack implementation decodes each to the JSON shown, polymachine
 * encodes the JSON to exactly those bytes, and the debugger's parser accepts it (and re-encodes it unchanged).
 */
import { readFileSync } from 'node:fs'
import { decode as decode2 } from '@msgpack/msgpack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, encode } from '../../lib/rpc/index.js'
import { dbgToWire, parseDbgMessage } from '../../lib/telemetry/index.js'

const doc = readFileSync(new URL('../../docs/protocol-dbg.md', import.meta.url), 'utf8')

const golden = [...doc.matchAll(/<!-- golden ([\w-]+) -->\s*```json\n([\s\S]*?)```\s*```hex\n([\s\S]*?)```/g)]
  .map(([, name, json, hex]) => ({
    name: name!,
    value: JSON.parse(json!) as unknown,
    bytes: Uint8Array.from((hex!.match(/[0-9a-f]{2}/g) ?? []).map((h) => parseInt(h, 16))),
  }))

describe('docs/protocol-dbg.md golden bytes', () => {
  it('has an example of every message type', () => {
    expect(golden.map((g) => g.name)).toEqual(['HELLO', 'SCHEMA', 'TX-full', 'TX-diff', 'TX-queued', 'TX-canceled',
      'DISPOSE', 'BATCH'])
  })

  for (const g of golden) {
    it(`${g.name}: @msgpack/msgpack decodes the bytes to the JSON, polymachine encodes the JSON to the bytes`, () => {
      // @msgpack/msgpack reads a float 64 `at` as a number too; BigInt is not involved
      expect(decode2(g.bytes)).toEqual(g.value)
      expect([...encode(g.value)]).toEqual([...g.bytes])
      const parsed = parseDbgMessage(decode(g.bytes))
      expect(parsed).not.toBeNull()
      expect(dbgToWire(parsed as NonNullable<typeof parsed>)).toEqual(g.value)
    })
  }

  it('the parser refuses bad shapes and ignores trailing fields', () => {
    expect(parseDbgMessage([4, 'm', 'extra'])).toEqual({ type: 4, machineId: 'm' })
    expect(parseDbgMessage([9, 1])).toBeNull()
    expect(parseDbgMessage('x')).toBeNull()
    expect(parseDbgMessage([3, 'm', 1, 7, [], 0, 0, [], 1, 0, null, null, null, null, 0])).toBeNull() // mutation 7
    expect(parseDbgMessage([3, 'm', 1, 0, [], 0, 0, [1], 1, 0, null, null, null, null, 0])).toBeNull() // odd pairs
    expect(parseDbgMessage([3, 'm', 1, 0, [], 0, 0, [], 1, 0, null, null, { a: 1 }, null, 0])).toBeNull() // args
    expect(parseDbgMessage([2, 'm', null, [], [['A', 0, [5], [], [], []]], [0], 1])).toBeNull() // relation out of range
    expect(parseDbgMessage([2, 'm', null, [], [['A', 0, [], [], [], []]], [0, 0], 1])).toBeNull() // time length
    // a state without its tags is accepted (tags default to none)
    expect(parseDbgMessage([2, 'm', null, [], [['A', 0, [], [], [], []]], [0], 1])).toMatchObject({
      states: [['A', 0, [], [], [], [], []]] })
    // a BATCH inside a BATCH is dropped, the rest kept
    expect(parseDbgMessage([5, 0, [[5, 0, []], [4, 'a'], 'junk']])).toEqual({ type: 5, dropped: 0,
      messages: [{ type: 4, machineId: 'a' }] })
  })

  it('the parser never throws, whatever a sender sends (hostile input)', () => {
    const anyMsg = fc.oneof(
      fc.jsonValue(),
      fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(fc.jsonValue(), { maxLength: 16 })).map(([t, rest]) => [t, ...rest]),
    )
    fc.assert(fc.property(anyMsg, (v) => {
      const m = parseDbgMessage(v)
      // whatever it accepts re-encodes
      if (m) expect(() => dbgToWire(m)).not.toThrow()
    }), { numRuns: 500 })
  })
})
