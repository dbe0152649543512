import { defineConfig } from 'vitest/config';

// The suite as mutation testing runs it (stryker.config.mjs): one kernel build, no browser, and
// without node-engines.test.ts, which runs the compiled dist/ under other Node versions and so
// never sees a mutated source file. Mutants are behavioural changes of src/ or assembly/, which
// the plain-SIMD build exercises like the relaxed one.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/node-engines.test.ts'],
    env: { SIMDNET_BUILD: 'simd' },
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
