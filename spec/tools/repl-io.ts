/** The REPL's streams for tests: `input` (when given) is stdin's whole content; `out()`/`err()` read what it wrote. */
import { PassThrough } from 'node:stream'
import type { ReplIo } from '../../tools/repl/cli.js'

export function replIo(input?: string): ReplIo & { out(): string; err(): string; stdin: PassThrough } {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let o = ''
  let e = ''
  stdout.on('data', (d: Buffer) => (o += d.toString()))
  stderr.on('data', (d: Buffer) => (e += d.toString()))
  if (input !== undefined) stdin.end(input)
  return { stdin, stdout, stderr, prompt: false, out: () => o, err: () => e }
}
