import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-MNIST tests and the gradient checks are CPU-bound; give them room but never a
    // wall-clock assertion.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
