/**
 * The examples are documentation: each one must run to its end (exit code 0, nothing on stderr) and print the
 * summary its README section promises. They run as users run them (`tsx examples/<name>/main.ts`), in parallel.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { hasNatsServer } from '../tools/nats-server.js'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(name: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `examples/${name}/main.ts`], { cwd: root, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

const EXPECTED: Readonly<Record<string, readonly RegExp[]>> = {
  downloader: [/files downloaded: a\.txt, b\.txt, c\.txt, d\.txt, e\.txt/, /retries:\s+\d+ \(Retry is multi/],
  'waiters-pipes': [/dial accepted: true/, /conn disposed: true; pipes active: false, false/, /^done$/m],
  'actors-bank': [/final balances: alice \$\d+\.\d\d, bob \$\d+\.\d\d/, /system:\s+Terminated, 0 actors left/],
  billing: [/restarted:\s+\d+ reminders loaded/, /alice\s+plan pro, \d+ invoices/],
  'node-pool': [/primes below 3000000: 216816/, /the crashing job: ERR_NODE_WORKER_LOST \(exit code 1\)/, /pool closed: Stopped, 0 worker processes left/],
  // needs nats-server (without it the example only says so)
  ...(hasNatsServer ? { cluster: [
    /listed: node-a-worker \(on node-a\), node-b-worker \(on node-b\), node-c-worker \(on node-c\)/,
    /remote add\(Busy\) on node-b-worker → executed; mirror Busy: true/, /node-b: Busy set by a remote mutation/,
    /pool: 9\/9 asks answered/, /node-c-worker mirror: Disconnected true, ErrNetwork true/,
    /node-c-worker left the listing within [\d.]+ s; listed: node-a-worker, node-b-worker\n/,
    /pool after the kill: 9\/9 asks answered \(by (node-a|node-b|node-a, node-b)\)/,
    /accounts: first deposits from node-c ran on node-c; node-a's deposits ran on node-c; balances 15, 15, 15/,
    /accounts after the kill: resumed on node-b with their saved state [\d.]+ s after the kill; balances 16, 16, 16/,
    /closed: node-a 0, node-b 0; nats-server stopped/,
  ] } : {}),
  rpc: [/tcp client saw Job tick 9: 5 jobs, done on the source: 1, 2, 3, 4, 5/, /worker exited with 0/, /server closed: true/],
  showcase: [
    // the log names each child in full and says what happened to it
    /workers\s+starting workers-1\n/, /workers\s+workers-\d+ #1 ready/,
    /workers\s+workers-\d+ #\d+ failed: out of memory on job \d+ → restart/,
    /workers\s+restarting workers-\d+ as incarnation #2/,
    // the conversation's phases and exchanges, in order
    /checkout\s+phase Created\n.*checkout\s+phase Active\n.*checkout\s+request #1 Charge → pay-a\n.*checkout\s+pay-a crashed \(provider A: 503\) → route-to-next\n.*checkout\s+request #1 Charge → pay-b\n.*checkout\s+reply to #1 from pay-b: charged 42 EUR via B\n.*checkout\s+phase Completing\n.*checkout\s+phase Closed/,
    /workers\s+workers-3 stopped/,
    /jobs done\s+\d+/, /worker restarts\s+[1-9]/, /checkout\s+charged 42 EUR via B/, /dead letters\s+\d+/,
  ],
}

/** Output that must not appear: machine ids cut to five characters (`[worke]`), which name no one. */
const FORBIDDEN: Readonly<Record<string, readonly RegExp[]>> = {
  showcase: [/\[\w{5}\]/],
}

describe('examples', () => {
  // Started together: the showcase alone takes several seconds.
  const runs = new Map(Object.keys(EXPECTED).map((name) => [name, run(name)]))

  for (const [name, patterns] of Object.entries(EXPECTED)) {
    it(`${name} runs to its summary`, async () => {
      const r = await (runs.get(name) as Promise<Run>)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      for (const p of patterns) expect(r.stdout).toMatch(p)
      for (const p of FORBIDDEN[name] ?? []) expect(r.stdout).not.toMatch(p)
    }, 70_000)
  }
})
