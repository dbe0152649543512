// The tabular loader, its own entry point ('simdnet/table'): it is the one part of simdnet with
// a dependency (papaparse, a CommonJS package), which a plain <script type="module"> page
// without a bundler could not load, so the main entry leaves it out. Node's entry re-exports it.
export { tableFrom, tableFromCsv, tableFromJson, tableFromRecords } from './data/table.js';
export type { Table, TableOptions, TableSplit, SkippedRows } from './data/table.js';
export { splitRows } from './data/table-split.js';
export type { SplitOptions, RowSplit } from './data/table-split.js';
export { applyTableTransform, applyTableTargets, encodeTableTransform, decodeTableTransform, checkTableTransform, TABLE_TRANSFORM_FORMAT } from './data/table-transform.js';
export type { TableTransform, TableColumn, TableTask } from './data/table-transform.js';
export { parseCsv, parseJsonRecords, recordsFrom } from './data/records.js';
export type { Records, CsvOptions } from './data/records.js';
