/**
 * The Store contract, run against every implementation: round trips, revisions and compare-and-set, listing,
 * and refusal of hostile input without touching what is stored. `storeContract(name, make)` registers the suite for
 * one implementation (`make` gives a fresh, empty store per test; the suite closes it).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { StoreConflictError, type Store, type StoreValue } from '../../lib/store/index.js'

export function storeContract(name: string, make: () => Promise<Store>): void {
  describe(`${name} (contract)`, () => {
    let store: Store
    beforeEach(async () => {
      store = await make()
    })
    afterEach(async () => {
      await store.close()
    })

    it('get of an absent key is undefined; put/get round-trips every kind of value', async () => {
      expect(await store.get('a')).toBeUndefined()
      const value = {
        s: 'héllo 😀', n: -1.5, big: 2 ** 53 - 1, i: 7, nan: NaN, inf: -Infinity, t: true, f: false, z: null,
        bytes: new Uint8Array([0, 1, 255]), arr: [1, 'two', [3], { four: 4 }], nested: { deep: { deeper: [] } },
        empty: {}, constructor: 'plain key', proto: Object.assign(Object.create(null) as object, { x: 1 }),
      }
      const rev = await store.put('a', value)
      expect(rev).toBeGreaterThan(0)
      const got = await store.get('a')
      expect(got?.key).toBe('a')
      expect(got?.revision).toBe(rev)
      expect(got?.value).toEqual({ ...value, proto: { x: 1 } })
      const bytes = (got?.value as { bytes: unknown }).bytes
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(Buffer.isBuffer(bytes)).toBe(false)
    })

    it('stores a copy: changing the value after put, or what get returned, changes nothing stored', async () => {
      const v = { list: [1, 2], inner: { x: 1 } }
      await store.put('k', v)
      v.list.push(3)
      v.inner.x = 99
      const got = (await store.get('k'))?.value as { list: number[]; inner: { x: number } }
      expect(got).toEqual({ list: [1, 2], inner: { x: 1 } })
      got.list.push(4)
      expect((await store.get('k'))?.value).toEqual({ list: [1, 2], inner: { x: 1 } })
    })

    it('leaves out object properties that are undefined (as JSON does)', async () => {
      await store.put('u', { a: 1, b: undefined })
      expect((await store.get('u'))?.value).toEqual({ a: 1 })
      expect(Object.keys((await store.get('u'))?.value as object)).toEqual(['a'])
    })

    it('revisions grow at every write, across keys, and are never reused after a delete', async () => {
      const r1 = await store.put('a', 1)
      const r2 = await store.put('b', 1)
      const r3 = await store.put('a', 2)
      expect(r2).toBeGreaterThan(r1)
      expect(r3).toBeGreaterThan(r2)
      expect(await store.delete('a')).toBe(true)
      expect(await store.delete('a')).toBe(false)
      const r4 = await store.put('a', 3)
      expect(r4).toBeGreaterThan(r3)
    })

    it('compare-and-set: expected 0 creates only, a stale revision conflicts and writes nothing', async () => {
      const r1 = await store.put('cas', 'first', { expected: 0 })
      const conflict = await store.put('cas', 'second', { expected: 0 }).catch((e: unknown) => e)
      expect(conflict).toBeInstanceOf(StoreConflictError)
      expect(conflict).toMatchObject({ code: 'ERR_STORE_CONFLICT', key: 'cas', expected: 0, actual: r1 })
      const r2 = await store.put('cas', 'second', { expected: r1 })
      const stale = await store.put('cas', 'third', { expected: r1 }).catch((e: unknown) => e)
      expect(stale).toMatchObject({ code: 'ERR_STORE_CONFLICT', expected: r1, actual: r2 })
      expect(await store.get('cas')).toEqual({ key: 'cas', value: 'second', revision: r2 })
      const missing = await store.put('nope', 1, { expected: 5 }).catch((e: unknown) => e)
      expect(missing).toMatchObject({ code: 'ERR_STORE_CONFLICT', expected: 5, actual: 0 })
      expect(await store.get('nope')).toBeUndefined()
    })

    it('compare-and-delete: a stale revision conflicts and keeps the key', async () => {
      const r1 = await store.put('d', 1)
      await store.put('d', 2)
      await expect(store.delete('d', { expected: r1 })).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' })
      expect((await store.get('d'))?.value).toBe(2)
      await expect(store.delete('gone', { expected: 0 })).resolves.toBe(false)
      const r = (await store.get('d'))?.revision as number
      await expect(store.delete('d', { expected: r })).resolves.toBe(true)
    })

    it('two writers racing with the same expected revision: exactly one wins', async () => {
      const r = await store.put('race', 0)
      const results = await Promise.allSettled([store.put('race', 1, { expected: r }), store.put('race', 2, { expected: r })])
      expect(results.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected'])
    })

    it('lists in code point order, by prefix, after a key, with a limit', async () => {
      const keys = ['b/2', 'b/1', 'a', 'b/\u{1F600}', 'b/\uFFFD', 'b/\uE000', 'b0', 'b/', 'c']
      for (const k of keys) await store.put(k, k)
      const all = (await store.list()).map((e) => e.key)
      expect(all).toEqual(['a', 'b/', 'b/1', 'b/2', 'b/\uE000', 'b/\uFFFD', 'b/\u{1F600}', 'b0', 'c'])
      expect((await store.list({ prefix: 'b/' })).map((e) => e.key)).toEqual(['b/', 'b/1', 'b/2', 'b/\uE000', 'b/\uFFFD', 'b/\u{1F600}'])
      expect((await store.list({ prefix: 'b/', limit: 2 })).map((e) => e.key)).toEqual(['b/', 'b/1'])
      expect((await store.list({ prefix: 'b/', after: 'b/1', limit: 2 })).map((e) => e.key)).toEqual(['b/2', 'b/\uE000'])
      expect((await store.list({ after: 'b0' })).map((e) => e.key)).toEqual(['c'])
      expect(await store.list({ prefix: 'zzz' })).toEqual([])
      const page = await store.list({ prefix: 'b/1' })
      expect(page).toEqual([{ key: 'b/1', value: 'b/1', revision: expect.any(Number) as number }])
    })

    it('pages through many keys without loss or repetition', async () => {
      for (let i = 0; i < 250; i++) await store.put(`p/${String(i).padStart(3, '0')}`, i)
      const seen: number[] = []
      let after: string | undefined
      for (;;) {
        const page = await store.list({ prefix: 'p/', limit: 40, ...(after !== undefined && { after }) })
        if (page.length === 0) break
        seen.push(...page.map((e) => e.value as number))
        after = page[page.length - 1]?.key
      }
      expect(seen).toEqual([...Array(250).keys()])
    })

    it('refuses bad keys and options synchronously with a code', () => {
      for (const key of ['', 5, null, undefined, 'a\0b', 'x\uD800', 'x'.repeat(1025), {}]) {
        expect(() => store.get(key as string), String(key)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_(INVALID_ARG|OUT_OF_RANGE)$/) as string }) as Error)
        expect(() => store.put(key as string, 1)).toThrow(/key/)
        expect(() => store.delete(key as string)).toThrow(/key/)
      }
      for (const expected of [-1, 1.5, NaN, '1', Infinity]) {
        expect(() => store.put('k', 1, { expected: expected as number })).toThrow(expect.objectContaining({ code: expect.stringMatching(/^ERR_/) as string }) as Error)
      }
      expect(() => store.put('k', 1, 7 as never)).toThrow(/options/)
      expect(() => store.list({ limit: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }) as Error)
      expect(() => store.list({ prefix: 3 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
      expect(() => store.list({ after: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }) as Error)
      expect(() => store.list('x' as never)).toThrow(/options/)
    })

    it('refuses hostile and non-data values whole: the stored value stays as it was', async () => {
      const rev = await store.put('v', { safe: true })
      const cyclic: Record<string, unknown> = { a: 1 }
      cyclic.self = cyclic
      const revoked = Proxy.revocable({}, {})
      revoked.revoke()
      let deep: unknown = 1
      for (let i = 0; i < 70; i++) deep = [deep]
      const bad: Array<[string, unknown]> = [
        ['function', { f: () => 1 }], ['symbol', { s: Symbol('x') }], ['bigint', { b: 1n }], ['undefined', undefined],
        ['Date', new Date()], ['Map', new Map()], ['class', new (class Foo { x = 1 })()], ['cycle', cyclic],
        ['undefined item', [1, undefined]], ['hole', Object.assign([1], { 2: 3 })], ['__proto__', JSON.parse('{"__proto__": {"x": 1}}')],
        ['getter', { get boom(): never { throw new Error('getter') } }], ['revoked', { p: revoked.proxy }],
        ['trap', new Proxy({}, { ownKeys: () => { throw new Error('trap') } })], ['deep', deep],
        ['proto trap', new Proxy({}, { getPrototypeOf: () => { throw new Error('proto') } })],
      ]
      for (const [label, value] of bad) {
        let thrown: unknown
        try {
          void store.put('v', value as StoreValue)
        } catch (err) {
          thrown = err
        }
        expect(thrown, label).toMatchObject({ code: 'ERR_INVALID_ARG' })
      }
      expect(await store.get('v')).toEqual({ key: 'v', value: { safe: true }, revision: rev })
    })

    it('accepts nesting up to the depth limit', async () => {
      let v: unknown = 1
      for (let i = 0; i < 63; i++) v = [v]
      await store.put('deep', v as StoreValue)
      expect((await store.get('deep'))?.value).toEqual(v)
    })

    it('after close, every call rejects with ERR_STORE_CLOSED; close is idempotent', async () => {
      await store.put('x', 1)
      await store.close()
      await store.close()
      await expect(store.get('x')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
      await expect(store.put('x', 2)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
      await expect(store.delete('x')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
      await expect(store.list()).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
    })
  })
}
