/**
 * Child process of the rpc scenario: retained heap per connected TCP client. Run with `--expose-gc`; prints one JSON
 * line (RpcHeap).
 *   node --expose-gc --import tsx tools/bench/rpc-heap-child.ts both <count>
 *     serves a machine on tcp://127.0.0.1:0 and connects <count> clients to it: server session + client mirror
 *   node --expose-gc --import tsx tools/bench/rpc-heap-child.ts client <count> <url>
 *     connects <count> clients to the parent's server: the client side alone
 * `live` counts clients still connected (and, in `both`, sessions the server counts) when measured.
 */
import { Machine } from '../../lib/machine/index.js'
import { connect, serve, type RemoteMachine } from '../../lib/rpc/index.js'
import { RPC_SCHEMA, type RpcHeap, type RpcHeapMode } from './rpc-kit.js'

const gc = (globalThis as { gc?: () => void }).gc

async function settle(): Promise<number> {
  if (!gc) throw new Error('rpc-heap-child needs node --expose-gc')
  await new Promise((r) => setTimeout(r, 20))
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed
}

async function measure(mode: RpcHeapMode, count: number, given: string): Promise<RpcHeap> {
  const source = mode === 'both' ? new Machine(RPC_SCHEMA, { id: 'heap' }) : null
  const server = source ? await serve(source, { url: 'tcp://127.0.0.1:0' }) : null
  const url = server?.url ?? given
  const dial = (): Promise<RemoteMachine<string>> => connect(url, { schema: RPC_SCHEMA })
  // one client first: schema hashes, codecs and other shared structures are not per client
  const first = await dial()
  const remotes: Array<RemoteMachine<string>> = []
  const before = await settle()
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, dial))
    remotes.push(...batch)
  }
  const after = await settle()
  let live = remotes.filter((r) => r.connected).length
  if (server && server.clients !== count + 1) live = -1
  await Promise.all([first, ...remotes].map((r) => r.close()))
  await server?.close()
  return { bytes: (after - before) / count, live, count }
}

const mode = process.argv[2] as RpcHeapMode
const count = Number(process.argv[3] ?? 1000)
const url = process.argv[4] ?? ''
if ((mode !== 'both' && !(mode === 'client' && url !== '')) || !Number.isInteger(count) || count < 1) {
  console.error('usage: rpc-heap-child.ts both <count> | client <count> <tcp-url>')
  process.exit(2)
}
process.stdout.write(`${JSON.stringify(await measure(mode, count, url))}\n`)
