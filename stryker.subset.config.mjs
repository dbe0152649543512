// stryker.config.mjs against a subset of the test files, for files whose mutants every test
// covers (each run of the whole suite then costs minutes):
//   SUBSET_TESTS=test/layers.test.ts,test/conv.test.ts npx stryker run stryker.subset.config.mjs --mutate src/layers.ts
// A mutant a subset kills the whole suite kills too, so its score is a lower bound of the
// suite's. Reports go to reports/mutation/subset.{html,json}.
import base from './stryker.config.mjs';

export default {
  ...base,
  vitest: { configFile: 'vitest.subset.config.ts' },
  // Its own sandbox directory: a run of stryker.config.mjs may be going on beside it.
  tempDirName: '.stryker-tmp-subset',
  htmlReporter: { fileName: 'reports/mutation/subset.html' },
  jsonReporter: { fileName: 'reports/mutation/subset.json' },
};
