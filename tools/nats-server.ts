/**
 * A private nats-server for tests and benchmarks: a free loopback port, a temporary JetStream store dir, stopped after. It can be
 * killed (SIGKILL) and restarted on the same port and store, to test reconnects. Never touches the shared server.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server'

/** True when the nats-server binary is there (tests are skipped otherwise). */
export const hasNatsServer = existsSync(NATS_SERVER_BIN)

/** A free TCP port on 127.0.0.1 (bound to port 0, then released): nothing listens on it right after. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export class NatsServer {
  #proc: ChildProcess | null = null

  private constructor(readonly port: number, readonly storeDir: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.#proc !== null
  }

  /** Starts a server with JetStream on a free port; resolves once it accepts clients. */
  static async start(): Promise<NatsServer> {
    const s = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'pm-nats-')))
    try {
      await s.#spawn()
    } catch (err) {
      rmSync(s.storeDir, { recursive: true, force: true })
      throw err
    }
    return s
  }

  async #spawn(): Promise<void> {
    const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      { stdio: ['ignore', 'ignore', 'pipe'] })
    this.#proc = proc
    await new Promise<void>((resolve, reject) => {
      let log = ''
      const timer = setTimeout(() => fail(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000)
      const fail = (err: Error): void => {
        clearTimeout(timer)
        proc.kill('SIGKILL')
        reject(err)
      }
      proc.once('error', fail)
      proc.once('exit', (code) => fail(new Error(`nats-server exited with ${String(code)}:\n${log}`)))
      proc.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString()
        if (log.includes('Server is ready')) {
          clearTimeout(timer)
          proc.removeAllListeners('exit')
          proc.stderr!.removeAllListeners('data')
          proc.stderr!.resume()
          resolve()
        }
      })
    })
  }

  /** Kills the server at once (SIGKILL): clients see the connection drop. */
  async kill(): Promise<void> {
    const proc = this.#proc
    if (proc === null) return
    this.#proc = null
    if (proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill('SIGKILL')
    })
  }

  /** Starts it again on the same port and store dir (JetStream data survives). */
  async restart(): Promise<void> {
    await this.kill()
    await this.#spawn()
  }

  /** Kills the server and removes its store dir. */
  async stop(): Promise<void> {
    await this.kill()
    rmSync(this.storeDir, { recursive: true, force: true })
  }
}
