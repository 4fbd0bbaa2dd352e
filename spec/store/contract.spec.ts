import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { MemoryStore, SqliteStore } from '../../lib/store/index.js'
import { storeContract } from './contract.js'

const dir = mkdtempSync(join(tmpdir(), 'pm-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

storeContract('MemoryStore', () => Promise.resolve(new MemoryStore()))
storeContract('SqliteStore', () => SqliteStore.open(join(dir, `contract-${n++}.db`)))
