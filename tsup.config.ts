import { defineConfig } from 'tsup'

export default defineConfig([
  {
    // The library first: one entry per published subpath (`index` is the root). After adding one,
    // `npm run pack:entries -- --write` makes package.json's exports and typesVersions follow; `npm run pack:check`
    // (CI) fails until it does.
    entry: {
      index: 'lib/index.ts',
      states: 'lib/states/index.ts',
      helpers: 'lib/helpers/index.ts',
      actor: 'lib/actor/index.ts',
      rpc: 'lib/rpc/index.ts',
      store: 'lib/store/index.ts',
      node: 'lib/node/index.ts',
      cluster: 'lib/cluster/index.ts',
      telemetry: 'lib/telemetry/index.ts',
      otel: 'lib/telemetry/otel-entry.ts',
      prometheus: 'lib/telemetry/prometheus-entry.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
    // chalk 5 is ESM-only: bundle it so the CJS build loads on every Node 20.x.
    noExternal: ['chalk'],
    // Optional peers: loaded lazily at run time, never bundled.
    external: ['better-sqlite3', '@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv'],
  },
  {
    // The command-line tools (package.json `bin`): ESM only, since ink is ESM-only. ink and react are optional
    // peers, loaded only by polymachine-dbg's interactive view.
    entry: { dbg: 'tools/dbg/main.ts', repl: 'tools/repl/main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    splitting: true,
    noExternal: ['chalk'],
    external: ['better-sqlite3', '@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv', 'ink', 'react'],
  },
])
