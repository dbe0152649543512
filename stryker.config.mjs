// Mutation testing of src/ with StrykerJS (npm run test:mutation): every mutant is one small
// change of the source, and the suite must fail on it. Results go to reports/mutation/ (not
// committed); the last run's score is recorded in test/mutation/REPORT.md.
// The kernels in assembly/ compile to wasm, which Stryker cannot instrument: see
// scripts/mutate-kernels.mjs (npm run test:mutation:kernels).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'src/**/*.ts',
    // Entry points and wiring with no logic of their own.
    '!src/bin.ts',
    '!src/node.ts',
    '!src/index.ts',
  ],
  coverageAnalysis: 'perTest',
  // The machine is shared: one test process at a time.
  concurrency: 1,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/src.html' },
  jsonReporter: { fileName: 'reports/mutation/src.json' },
  // vitest does not type-check, so nothing needs // @ts-nocheck (and the preprocessor that adds
  // it cannot parse AssemblyScript's function decorators).
  disableTypeChecks: false,
  // Stryker rewrites `extends`/`references` of this tsconfig in its sandbox through the
  // TypeScript compiler API, which TypeScript 7 no longer has. tsconfig.json uses neither, so it
  // names a file that does not exist, and the rewrite is skipped.
  tsconfigFile: 'no-tsconfig-rewrite.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
