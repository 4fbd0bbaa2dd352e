import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'lib/index.ts',
    states: 'lib/states/index.ts',
    helpers: 'lib/helpers/index.ts',
    actor: 'lib/actor/index.ts',
    rpc: 'lib/rpc/index.ts',
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
})
