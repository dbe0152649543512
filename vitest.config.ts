import { defineConfig } from 'vitest/config';

// The whole suite runs once per kernel build. Node 20 compiles relaxed SIMD only behind a V8
// flag, which the relaxed project's workers get.
const shared = {
  include: ['test/**/*.test.ts'],
  exclude: ['test/browser/**'],
  // Real-MNIST training and the gradient checks are CPU-bound: give them room, but no test
  // asserts on wall-clock time.
  testTimeout: 300_000,
  hookTimeout: 300_000,
};

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { ...shared, name: 'simd', env: { SIMDNET_BUILD: 'simd' } } },
      {
        test: {
          ...shared,
          name: 'relaxed-simd',
          env: { SIMDNET_BUILD: 'relaxed-simd' },
          execArgv: ['--experimental-wasm-relaxed-simd'],
        },
      },
      // The demo in real Chromium, once: it checks both builds itself.
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          execArgv: ['--experimental-wasm-relaxed-simd'],
        },
      },
    ],
  },
});
