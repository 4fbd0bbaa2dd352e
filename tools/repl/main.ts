#!/usr/bin/env node
/**
 * `polymachine-repl`: the REPL's executable (options in cli.ts, tour in docs/debugger.md).
 */
import { runRepl } from './cli.js'

runRepl(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code
}, (err: unknown) => {
  process.stderr.write(`polymachine-repl: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 1
})
