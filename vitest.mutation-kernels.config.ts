import { relative } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import mutationSuite from './vitest.mutation.config';

// The mutation suite (the same test files), in the order scripts/mutate-kernels.mjs gives in
// KERNEL_MUTATION_ORDER (test paths, comma-separated): the files most likely to kill the mutant
// first. With --bail 1 the order decides how soon a mutant is killed, never whether: one that
// survives has run every file. KERNEL_MUTATION_BUILD names the kernel build the tests load
// (SIMDNET_BUILD): the plain-SIMD one, as in the mutation suite, unless the script says
// relaxed-simd for a mutant of code only that build compiles.
class GivenOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const order = (process.env.KERNEL_MUTATION_ORDER ?? '').split(',');
    const rank = (file: TestSpecification) => {
      const at = order.indexOf(relative(this.ctx.config.root, file.moduleId));
      return at < 0 ? order.length : at;
    };
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default mergeConfig(mutationSuite, defineConfig({
  test: {
    sequence: { sequencer: GivenOrder },
    env: { SIMDNET_BUILD: process.env.KERNEL_MUTATION_BUILD ?? 'simd' },
  },
}));
