import { defineConfig } from 'vitest/config';
import base from './vitest.mutation.config.ts';

// The mutation suite (vitest.mutation.config.ts) restricted to the comma-separated test files
// of SUBSET_TESTS: see stryker.subset.config.mjs.
export default defineConfig({ test: { ...base.test, include: (process.env.SUBSET_TESTS ?? '').split(',') } });
