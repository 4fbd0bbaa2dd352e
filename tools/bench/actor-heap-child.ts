/**
 * Child process of the actors and supervision scenarios: retained heap per idle actor (`actor`) or per active keyed
 * virtual actor (`keyed`). Run with `--expose-gc` (the scenarios start it so); prints one JSON line (ActorHeap).
 *   node --expose-gc --import tsx tools/bench/actor-heap-child.ts <actor|keyed> <count>
 * `live` counts actors that reached Ready (actor) or answered their message (keyed), not the ones asked for.
 */
import { ActorSystem, Keyed } from '../../lib/actor/index.js'
import { type ActorHeap, type HeapMode, MSGS } from './actor-kit.js'

const gc = (globalThis as { gc?: () => void }).gc

function settle(): number {
  if (!gc) throw new Error('actor-heap-child needs node --expose-gc')
  for (let i = 0; i < 4; i++) gc()
  return process.memoryUsage().heapUsed
}

/** One handlers object for every actor: the figure is the actor's own cost, not its user state. */
const HANDLERS = { WorkState: (): void => undefined, EchoState: (): string => 'echo' }

async function actors(count: number): Promise<ActorHeap> {
  const system = new ActorSystem()
  // One actor first: the merged schema and other shared structures are not per actor.
  const first = system.spawn(MSGS, HANDLERS, { id: 'first' })
  await first.machine.when('Ready')
  const spawn = (id: string) => system.spawn(MSGS, HANDLERS, { id })
  const refs = new Array<ReturnType<typeof spawn> | null>(count).fill(null)
  const before = settle()
  for (let i = 0; i < count; i++) refs[i] = spawn(`a${i}`)
  let live = 0
  for (const r of refs) if (r && (await r.machine.when('Ready').then(() => true))) live++
  const after = settle()
  // The last one must still answer (it is idle, not broken).
  if ((await refs[count - 1]?.ask('Echo')) !== 'echo') live = -1
  return { bytes: (after - before) / count, live, count }
}

async function keyed(count: number): Promise<ActorHeap> {
  const system = new ActorSystem()
  const k = new Keyed(system, { id: 'k', schema: MSGS, handlers: ({ key }) => ({ EchoState: (): string => key }) })
  await k.ref('first').ask('Echo')
  const keys = Array.from({ length: count }, (_, i) => `u${i}`)
  const before = settle()
  const live = await answered((key) => k.ref(key).ask('Echo'), keys)
  const after = settle()
  return { bytes: (after - before) / count, live: k.activations === count + 1 ? live : -1, count }
}

/** Keys whose actor answered with its key; the replies are garbage once this returns. */
async function answered(ask: (key: string) => Promise<unknown>, keys: readonly string[]): Promise<number> {
  const replies = await Promise.allSettled(keys.map(ask))
  return replies.filter((r, i) => r.status === 'fulfilled' && r.value === keys[i]).length
}

const MODES: Readonly<Record<HeapMode, (n: number) => Promise<ActorHeap>>> = { actor: actors, keyed }
const mode = process.argv[2] as HeapMode
const count = Number(process.argv[3] ?? 20_000)
const fn = MODES[mode]
if (!fn || !Number.isInteger(count) || count < 1) {
  console.error('usage: actor-heap-child.ts <actor|keyed> <count>')
  process.exit(2)
}
process.stdout.write(`${JSON.stringify(await fn(count))}\n`)
