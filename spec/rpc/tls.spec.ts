import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, Result } from '../../lib/index.js'
import { connect, RpcError, serve } from '../../lib/rpc/index.js'
import { Cleanup, newSource, type SourceSchema } from './support.js'

const c = new Cleanup()
afterEach(() => c.run())

/** A self-signed certificate for 127.0.0.1, made by openssl for this run; null when openssl is missing. */
function selfSigned(): { key: string; cert: string; dir: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'pm-tls-'))
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdio: 'ignore', timeout: 20_000 })
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), dir }
  } catch {
    rmSync(dir, { recursive: true, force: true })
    return null
  }
}

const pem = selfSigned()
afterAll(() => {
  if (pem) rmSync(pem.dir, { recursive: true, force: true })
})
if (!pem) console.warn('spec/rpc/tls.spec.ts: skipped, openssl is not installed (CI installs it)')

describe.skipIf(!pem)('rpc over TLS (self-signed certificate made in the test)', () => {
  for (const scheme of ['tls', 'wss'] as const) {
    it(`${scheme}://: a client trusting the certificate mirrors and mutates; one that does not is refused`, async () => {
      const src = newSource()
      const url = scheme === 'tls' ? 'tls://127.0.0.1:0' : 'wss://127.0.0.1:0/rpc'
      const server = c.add(await serve(src, { url, tls: { key: pem!.key, cert: pem!.cert }, pushInterval: 0 }))
      expect(server.url).toMatch(new RegExp(`^${scheme}://127\\.0\\.0\\.1:[1-9]\\d*`))
      const remote = c.add(await connect<typeof SourceSchema>(server.url!, { tls: { ca: pem!.cert } }))
      expect(await remote.add('Start')).toBe(Result.Executed)
      src.add('Ready')
      await remote.when('Ready', { timeout: 1000 })
      expect(remote.time()).toEqual(src.time())

      const untrusted = await connect(server.url!, { timeout: 2000 }).then(() => null, (e: unknown) => e)
      expect(untrusted).toBeInstanceOf(RpcError)
      expect((untrusted as RpcError).code).toBe('ERR_RPC_NETWORK')
      expect((untrusted as Error).message).toMatch(/self.signed|certificate/i)
      // a plain-text client on the TLS port fails alone, bounded by its deadline
      const plain = server.url!.replace('tls://', 'tcp://').replace('wss://', 'ws://')
      await expect(connect(plain, { timeout: 500 })).rejects.toBeInstanceOf(Error)
      expect(await remote.add('Job')).toBe(Result.Executed) // the good client is unaffected
      expect(server.clients).toBe(1)
    })
  }

  it('a tls:// or wss:// url without key and cert is refused at serve()', async () => {
    await expect(serve(newSource(), { url: 'tls://127.0.0.1:0' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(serve(newSource(), { url: 'wss://127.0.0.1:0/x' })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
