// Bundled for the browser by table.test.ts: the table loader on a CSV with quoting, a category,
// a date and a missing value, its results left on the page for the test to compare with Node's.
import { tableFromCsv } from '../../src/data/table.js';
import { applyTableTransform, decodeTableTransform, encodeTableTransform } from '../../src/data/table-transform.js';
import { TABLE_CSV, TABLE_OPTIONS } from './table-case.js';

const table = tableFromCsv(TABLE_CSV, TABLE_OPTIONS);
const transform = decodeTableTransform(encodeTableTransform(table.transform));
(globalThis as { tableResult?: unknown }).tableResult = {
  featureNames: table.featureNames,
  skipped: table.skipped,
  train: Array.from(table.train.inputs),
  test: Array.from(table.test!.inputs),
  targets: Array.from(table.train.targets),
  reapplied: Array.from(applyTableTransform(transform, [{ city: 'Oslo, NO', day: '2020-06-30', rain: '3.5' }])),
};
