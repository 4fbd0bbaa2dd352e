/**
 * A minimal CommonJS project using polymachine as an installed package. tools/pack-check.ts (`npm run pack:check`)
 * installs the packed tarball into a copy of this folder, type-checks it with Node10 (tsconfig.json; the default for
 * `module: commonjs`, which ignores `exports`) and Node16 (tsconfig.node16.json) resolution, builds it and runs it
 * with node, which must print "cjs consumer ok".
 */
import { Machine, schema } from 'polymachine'
import { ActorSystem, type ActorEvent } from 'polymachine/actor'
import { addSync } from 'polymachine/helpers'
import { schemaHash } from 'polymachine/rpc'
import { BasicSchema } from 'polymachine/states'


async function main(): Promise<void> {
  const ss = schema(BasicSchema, { Fetching: { require: ['Start'] } })
  const mach = new Machine(ss)
  // @ts-expect-error state names are checked through the published types (`any` would let this typo through)
  const _typo: Parameters<typeof mach.add>[0] = 'Redy'
  mach.add('Start')
  const ready: boolean = await addSync(mach, 'Ready')

  const system = new ActorSystem({ id: 'consumer' })
  const counter = system.spawn(schema({ Add: { multi: true } }), { AddState: (e: ActorEvent): number => Number(e.args.n) * 2 }, { id: 'counter' })
  const doubled: number = await counter.ask('Add', { n: 21 })
  await system.shutdown({ timeout: 1000 })

  const hash: string = schemaHash(ss)
  if (!ready || doubled !== 42 || !mach.is('Ready') || hash.length === 0) throw new Error('cjs consumer: unexpected result')
  console.log(`cjs consumer ok: ${mach.toString()} ask → ${doubled}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
