import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The whole suite runs once per kernel build. No V8 flag: the Node entry enables relaxed SIMD on
// Node 20 itself (src/wasm-node.ts), and Node 22+ reject the old flag.
const shared = {
  include: ['test/**/*.test.ts'],
  exclude: ['test/browser/**', 'test/package/**'],
  // Real-MNIST training and the gradient checks are CPU-bound: give them room, but no test
  // asserts on wall-clock time.
  testTimeout: 300_000,
  hookTimeout: 300_000,
};

// V8's 256-bit revectorizer (SIMDNET_REVECTORIZE=1, Node 22+): the tests that pin results bit for
// bit run again under it.
const revectorize = Number(process.versions.node.split('.')[0]) >= 22 ? [{
  test: {
    ...shared,
    name: 'revectorize',
    // The GEMM against its k-ordered chain and the release's golden weights: the two that pin
    // every product's bits (kept small: CI runs it within its 15 minutes).
    include: ['test/gemm.test.ts', 'test/release-bits.test.ts'],
    env: { SIMDNET_BUILD: 'relaxed-simd', SIMDNET_REVECTORIZE: '1' },
  },
}] : [];

export default defineConfig({
  test: {
    // One test file per core. Vitest's default leaves one core idle (CI's machines have two), and
    // no test asserts on wall-clock time, so sharing the cores changes no result, only the wait.
    maxWorkers: availableParallelism(),
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { ...shared, name: 'simd', env: { SIMDNET_BUILD: 'simd' } } },
      {
        test: {
          ...shared,
          name: 'relaxed-simd',
          env: { SIMDNET_BUILD: 'relaxed-simd' },
        },
      },
      // Every test that trains on a resident set, again with the sparse first layer forced on
      // (it must change no bit; the other tests never reach it).
      {
        test: {
          ...shared,
          name: 'sparse-input',
          include: ['test/train.test.ts', 'test/misuse.test.ts', 'test/release-bits.test.ts', 'test/full-gradient-check.test.ts',
            'test/model-cli.test.ts', 'test/network.test.ts', 'test/numerical-training.test.ts', 'test/cli-table.test.ts',
            'test/sampling.test.ts', 'test/schedule.test.ts'],
          env: { SIMDNET_BUILD: 'relaxed-simd', SIMDNET_SPARSE_INPUT: 'sparse' },
        },
      },
      ...revectorize,
      // The packed tarball in a fresh project, once: it does not depend on the kernel build.
      {
        test: {
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      // The demo in real Chromium, once: it checks both builds itself.
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
