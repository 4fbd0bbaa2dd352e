/**
 * Property tests of the Store contract on both implementations: any JSON-like value round-trips (or is refused
 * whole, for `__proto__` keys), and random operation sequences with compare-and-set agree with a model Map.
 */
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MemoryStore, SqliteStore, type Store, type StoreValue } from '../../lib/store/index.js'

const dir = mkdtempSync(join(tmpdir(), 'pm-store-prop-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const impls: Array<[string, () => Promise<Store>]> = [
  ['MemoryStore', () => Promise.resolve(new MemoryStore())],
  ['SqliteStore', () => SqliteStore.open(join(dir, `prop-${n++}.db`))],
]

function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey)
  if (typeof v === 'object' && v !== null) return Object.keys(v).some((k) => k === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k]))
  return false
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c/1', 'c/2'), value: fc.integer(), cas: fc.option(fc.integer({ min: -1, max: 3 })) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c/1', 'c/2'), cas: fc.option(fc.integer({ min: -1, max: 3 })) }),
)

describe.each(impls)('%s (properties)', (_name, make) => {
  it('any JSON value round-trips, or is refused whole when it has a __proto__ key', async () => {
    const store = await make()
    await fc.assert(fc.asyncProperty(fc.jsonValue(), async (v) => {
      let refused = false
      try {
        await store.put('v', v as StoreValue)
      } catch (err) {
        refused = true
        expect(err).toMatchObject({ code: 'ERR_INVALID_ARG' })
      }
      expect(refused).toBe(hasProtoKey(v))
      if (!refused) expect((await store.get('v'))?.value).toEqual(JSON.parse(JSON.stringify(v)) as unknown) // -0 reads as 0
    }), { numRuns: 150 })
    await store.close()
  })

  it('random puts and deletes with compare-and-set agree with a model', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const store = await make()
      const model = new Map<string, { value: number; revision: number }>()
      const revs: number[] = [0] // revisions seen, so `cas` picks a real one (index) or 0
      for (const o of ops) {
        const expected = o.cas === null ? undefined : o.cas < 0 ? 0 : (revs[o.cas % revs.length] as number)
        const actual = model.get(o.key)?.revision ?? 0
        const conflict = expected !== undefined && expected !== actual
        const opts = expected === undefined ? undefined : { expected }
        if (o.kind === 'put') {
          const p = store.put(o.key, o.value, opts)
          if (conflict) await expect(p).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT', expected, actual })
          else {
            const revision = await p
            expect(revision).toBeGreaterThan(Math.max(...revs))
            revs.push(revision)
            model.set(o.key, { value: o.value, revision })
          }
        } else {
          const p = store.delete(o.key, opts)
          if (conflict) await expect(p).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' })
          else {
            expect(await p).toBe(model.has(o.key))
            model.delete(o.key)
          }
        }
      }
      const listed = await store.list()
      expect(listed.map((e) => [e.key, e.value, e.revision])).toEqual(
        [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.value, v.revision]))
      await store.close()
    }), { numRuns: 40 })
  })
})
