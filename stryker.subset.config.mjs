// stryker.config.mjs against a subset of the test files, for files whose mutants every test
// covers (each run of the whole suite then costs minutes):
//   SUBSET_TESTS=test/layers.test.ts,test/conv.test.ts npx stryker run stryker.subset.config.mjs --mutate src/layers.ts
// A mutant a subset kills the whole suite kills too, so its score is a lower bound of the
// suite's. Reports go to reports/mutation/subset.{html,json}; with SUBSET_NAME=x, to
// reports/mutation/subset-x.{html,json}, from the sandbox .stryker-tmp-subset-x, so that two
// subset runs can go on side by side.
import base from './stryker.config.mjs';

const name = process.env.SUBSET_NAME ? `subset-${process.env.SUBSET_NAME}` : 'subset';

export default {
  ...base,
  vitest: { configFile: 'vitest.subset.config.ts' },
  // Its own sandbox directory: a run of stryker.config.mjs may be going on beside it.
  tempDirName: `.stryker-tmp-${name}`,
  // Nor copy another run's sandbox into this one.
  ignorePatterns: ['/.stryker-tmp*'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
};
