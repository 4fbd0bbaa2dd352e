#!/usr/bin/env node
/**
 * `polymachine-dbg`: the debugger's executable (see cli.ts for the options and docs/debugger.md for a tour).
 */
import { runCli } from './cli.js'

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code
}, (err: unknown) => {
  process.stderr.write(`polymachine-dbg: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 1
})
