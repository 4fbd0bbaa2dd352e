/**
 * What only the SQLite store does: it keeps data across reopening, runs in WAL mode, shares a file with another
 * connection under compare-and-set, reports damaged rows, and fails with a code when better-sqlite3 is missing.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SqliteStore } from '../../lib/store/index.js'
import { runChild } from '../support/child.js'

const dir = mkdtempSync(join(tmpdir(), 'pm-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SqliteStore', () => {
  it('keeps data and the revision counter across close and reopen, in WAL mode', async () => {
    const file = join(dir, 'reopen.db')
    const a = await SqliteStore.open(file)
    const r1 = await a.put('k', { n: 1 })
    await a.delete('k')
    await a.put('j', [1, 2])
    await a.close()
    const b = await SqliteStore.open(file)
    expect(await b.get('j')).toEqual({ key: 'j', value: [1, 2], revision: expect.any(Number) as number })
    expect(await b.get('k')).toBeUndefined()
    expect(await b.put('k', 2)).toBeGreaterThan(r1 + 1)
    await b.close()
    const raw = new Database(file)
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(raw.prepare('SELECT count(*) AS n FROM polymachine_store').get()).toEqual({ n: 2 })
    raw.close()
  })

  it('two connections on one file: compare-and-set holds between them; tables keep stores apart', async () => {
    const file = join(dir, 'shared.db')
    const a = await SqliteStore.open(file)
    const b = await SqliteStore.open(file)
    const other = await SqliteStore.open(file, { table: 'other' })
    const r = await a.put('x', 'a', { expected: 0 })
    await expect(b.put('x', 'b', { expected: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT', actual: r })
    const r2 = await b.put('x', 'b', { expected: r })
    await expect(a.put('x', 'a2', { expected: r })).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT', actual: r2 })
    expect((await a.get('x'))?.value).toBe('b')
    expect(await other.get('x')).toBeUndefined()
    await Promise.all([a.close(), b.close(), other.close()])
  })

  it('a damaged row is ERR_STORE_CORRUPT, for get and list; other rows stay readable', async () => {
    const file = join(dir, 'corrupt.db')
    const s = await SqliteStore.open(file)
    await s.put('good', 1)
    await s.put('bad', 2)
    const raw = new Database(file)
    raw.prepare("UPDATE polymachine_store SET value = x'c1' WHERE key = 'bad'").run() // 0xc1: never used in msgpack
    raw.prepare("INSERT INTO polymachine_store (key, value, revision) VALUES ('text', 'not bytes', 99)").run()
    raw.close()
    await expect(s.get('bad')).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT', key: 'bad' })
    await expect(s.get('text')).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT', key: 'text' })
    await expect(s.list()).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' })
    expect((await s.get('good'))?.value).toBe(1)
    await s.close()
  })

  it('refuses bad open arguments; an unopenable path is ERR_STORE_IO', async () => {
    await expect(SqliteStore.open('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(SqliteStore.open(5 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(SqliteStore.open(join(dir, 'x.db'), { table: 'a"; DROP TABLE x; --' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(SqliteStore.open(join(dir, 'x.db'), { busyTimeout: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(SqliteStore.open(join(dir, 'x.db'), { synchronous: 'off' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(SqliteStore.open(join(dir, 'no-such-dir', 'x.db'))).rejects.toMatchObject({ code: 'ERR_STORE_IO' })
  })

  it('without better-sqlite3 installed, open() rejects with ERR_STORE_DRIVER (child process)', async () => {
    const run = await runChild(`
      import { register } from 'node:module'
      const hook = 'export async function resolve(s, c, next) {'
        + ' if (s === "better-sqlite3") { const e = new Error("Cannot find package better-sqlite3"); e.code = "ERR_MODULE_NOT_FOUND"; throw e }'
        + ' return next(s, c) }'
      register('data:text/javascript,' + encodeURIComponent(hook))
      const { SqliteStore, MemoryStore } = await import('polymachine-src/store')
      const err = await SqliteStore.open('/tmp/never.db').catch((e) => e)
      console.log(err.code, err.name, err.cause?.code)
      const again = await SqliteStore.open('/tmp/never.db').catch((e) => e)
      console.log(again.code)
      const m = new MemoryStore() // the rest of the entry works without the driver
      await m.put('k', 1)
      console.log((await m.get('k')).value)
    `)
    expect(run.stderr).toBe('')
    expect(run.faults).toBe(0)
    expect(run.stdout.trim().split('\n')).toEqual(['ERR_STORE_DRIVER StoreDriverError ERR_MODULE_NOT_FOUND', 'ERR_STORE_DRIVER', '1'])
  })
})
