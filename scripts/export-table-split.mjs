#!/usr/bin/env node
// Writes a table's split, as simdnet's loader makes it, to a safetensors file, so that another
// framework trains on exactly the rows and the standardized features simdnet does.
//
//   node scripts/export-table-split.mjs FILE.csv|FILE.json TARGET OUT.safetensors
//        [--features a,b,c] [--task classification|regression] [--validation F] [--test F] [--seed N]
//
// Tensors: {train,validation,test}.inputs [rows × features] and .targets [rows] (class indices
// stored as exact small floats), for each split that has rows. Metadata: "table_transform", the
// fitted transform as encodeTableTransform writes it, and "skipped", the count of records left
// out for missing values. Needs `npm run build` first (it reads dist/).
import { parseArgs } from 'node:util';
import { encodeTableTransform, loadTable, writeFileAtomic } from '../dist/node.js';
import { encodeSafetensors } from '../dist/io/safetensors.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    features: { type: 'string' },
    task: { type: 'string' },
    validation: { type: 'string' },
    test: { type: 'string' },
    seed: { type: 'string' },
  },
});
if (positionals.length !== 3) {
  console.error('usage: node scripts/export-table-split.mjs FILE TARGET OUT.safetensors [--features a,b] [--task T] [--validation F] [--test F] [--seed N]');
  process.exit(2);
}
const [file, target, out] = positionals;
const number = (text) => (text === undefined ? undefined : Number(text));
const table = await loadTable(file, {
  target,
  features: values.features?.split(','),
  task: values.task,
  validation: number(values.validation),
  test: number(values.test),
  seed: number(values.seed),
});
const tensors = [];
for (const name of ['train', 'validation', 'test']) {
  const split = table[name];
  if (!split) continue;
  tensors.push({ name: `${name}.inputs`, shape: [split.count, table.featureNames.length], data: split.inputs });
  tensors.push({ name: `${name}.targets`, shape: [split.count], data: Float32Array.from(split.targets) });
}
await writeFileAtomic(out, encodeSafetensors(tensors, {
  table_transform: encodeTableTransform(table.transform),
  skipped: String(table.skipped.count),
}));
console.log(`${out}: ${table.task}, ${table.featureNames.length} features (${table.featureNames.join(', ')}), `
  + `train ${table.train.count}, validation ${table.validation?.count ?? 0}, test ${table.test?.count ?? 0}, `
  + `${table.skipped.count} records skipped for missing values`);
