// A table (CSV text or JSON records) to training data: feature and target columns picked by
// name, rows with missing values skipped and counted (or refused), numbers kept, dates turned
// into decimal years, text one-hot encoded, a seeded train/validation/test split, and features
// standardized with statistics of the training split only. Runs anywhere: no Node built-ins.
//
// The rules, in the order they apply:
// - Columns: `target` names the target; `features` the feature columns in input order, or, when
//   not given, every other column except those in `exclude`, in file order. A name the table
//   does not have is a ValueError listing the columns it has.
// - Missing values: JSON null, an absent key, NaN, or a cell that reads (trimmed) as one of
//   `missingMarkers` ('', 'NA', 'NaN', 'null'). A record missing any selected value is skipped
//   and counted in `skipped`; with `missing: 'refuse'` the first one is a DatasetError naming
//   its record and column. Records are numbered from 0 in file order, the CSV header not counted.
// - Kinds, from the kept records: a column whose present cells are all numbers is numeric; all
//   ISO 8601 dates (2012-01-01, 1970-01-01T08:00Z) a date; any other text a category. A column
//   mixing numbers with text is a DatasetError (a marker such as '?' belongs in missingMarkers).
// - Dates: a date column named in `features` becomes its decimal year in UTC (1970-01-01 → 1970,
//   2012-07-01 → 2012.497); a date column taken by default is refused by name, because whether a
//   date is a trend (a year) or a season is the user's call, not a guess.
// - Categories: one feature per category, named `column=category`, categories sorted by UTF-16
//   code units (plain JS sort, locale-independent) and collected from all kept records so every
//   split has the same features. More than `maxCategories` distinct values is refused: such a
//   column is an identifier (a car's name), not a feature.
// - Target: numeric means regression (float values), text classification (class indices into
//   classNames, sorted as categories are; a numeric target with task 'classification' has its
//   values sorted as numbers). Dates cannot be targets.
// - Standardization: every feature, one-hot ones included, is fed as (x - mean) / std with the
//   population mean and std of the training split (std 1 for a feature constant there).
import { DatasetError, ValueError } from '../errors.js';
import { readCell, DEFAULT_MISSING_MARKERS, type Cell } from './cell.js';
import { parseCsv, parseJsonRecords, recordsFrom, type CsvOptions, type Records } from './records.js';
import { splitRows, type SplitOptions } from './table-split.js';
import {
  TABLE_TRANSFORM_FORMAT, applyTableTargets, cellText, encodeFeatures, featureNamesOf, fitStandardization, standardize,
  type TableColumn, type TableTask, type TableTransform,
} from './table-transform.js';

export interface TableOptions extends SplitOptions {
  /** The column to predict. */
  target: string;
  /** Feature columns in input order (default: every column but the target and `exclude`). */
  features?: string[];
  /** Columns left out when `features` is not given. */
  exclude?: string[];
  /** Default: regression for a numeric target, classification for a text one. */
  task?: TableTask;
  /** Records with a missing selected value: 'skip' them (default) or 'refuse' the table. */
  missing?: 'skip' | 'refuse';
  /** Cell texts read as missing (default '', 'NA', 'NaN', 'null'). */
  missingMarkers?: string[];
  /** Most distinct values a category column may have (default 50). */
  maxCategories?: number;
}

export interface TableSplit {
  /** Row-major [count × features], standardized. */
  inputs: Float32Array;
  /** Class indices (classification) or values (regression), one per row. */
  targets: Int32Array | Float32Array;
  count: number;
  /** Each row's record number in the table (from 0, file order). */
  rows: Int32Array;
}

export interface SkippedRows {
  /** How many records were skipped for a missing value. */
  count: number;
  /** Their record numbers. */
  rows: number[];
  /** Per selected column, how many records miss it (a record missing two counts in both). */
  byColumn: Record<string, number>;
}

export interface Table {
  task: TableTask;
  target: string;
  featureNames: string[];
  /** Classification only. */
  classNames?: string[];
  train: TableSplit;
  /** Absent when the validation fraction gives no rows. */
  validation?: TableSplit;
  /** Absent when the test fraction gives no rows. */
  test?: TableSplit;
  skipped: SkippedRows;
  /** What prediction must apply to new records (applyTableTransform); JSON-serializable. */
  transform: TableTransform;
}

const DEFAULT_MAX_CATEGORIES = 50;

export function tableFromCsv(text: string, options: TableOptions & CsvOptions): Table {
  return tableFrom(parseCsv(text, options), options);
}

export function tableFromJson(text: string, options: TableOptions & { source?: string }): Table {
  return tableFrom(parseJsonRecords(text, options.source), options);
}

/** From records already in memory: an array of plain objects. */
export function tableFromRecords(records: unknown, options: TableOptions): Table {
  return tableFrom(recordsFrom(records), options);
}

/** From a parsed table (parseCsv, parseJsonRecords). */
export function tableFrom({ columns: available, records }: Records, options: TableOptions): Table {
  const { target, features: selected, explicit } = selectColumns(available, options);
  if (options.missing !== undefined && options.missing !== 'skip' && options.missing !== 'refuse') {
    throw new ValueError(`missing is ${JSON.stringify(options.missing)}: use 'skip' or 'refuse'`);
  }
  const missingMarkers = [...(options.missingMarkers ?? DEFAULT_MISSING_MARKERS)];
  const missing = new Set(missingMarkers);
  const names = [...selected, target];
  const skipped: SkippedRows = { count: 0, rows: [], byColumn: Object.fromEntries(names.map((name) => [name, 0])) };
  // cells[c][k] is column names[c] of the k-th kept record.
  const cells: Cell[][] = names.map(() => []);
  const kept: Record<string, unknown>[] = [];
  const keptRows: number[] = [];
  for (let r = 0; r < records.length; r++) {
    const row = names.map((name) => readCell(records[r][name], missing, name, r));
    const absent = row.flatMap((cell, c) => (cell.kind === 'missing' ? [names[c]] : []));
    if (absent.length > 0) {
      if (options.missing === 'refuse') throw new DatasetError(`record ${r}, column "${absent[0]}": missing value`);
      skipped.count++;
      skipped.rows.push(r);
      for (const name of absent) skipped.byColumn[name]++;
      continue;
    }
    row.forEach((cell, c) => cells[c].push(cell));
    kept.push(records[r]);
    keptRows.push(r);
  }
  if (kept.length === 0) throw new DatasetError(`no record has every selected column present (${records.length} records, all skipped)`);

  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  if (!(Number.isInteger(maxCategories) && maxCategories >= 1)) throw new ValueError(`maxCategories is ${maxCategories}: must be a positive integer`);
  const columns: TableColumn[] = selected.map((name, c) => {
    const kind = kindOf(name, cells[c], keptRows);
    if (kind === 'number') return { name, kind };
    if (kind === 'date') {
      if (!explicit) {
        throw new DatasetError(`column "${name}" holds dates (such as "${cellText(cells[c][0] as Exclude<Cell, { kind: 'missing' }>)}"): `
          + 'name it in features to use it as a decimal year, or exclude it');
      }
      return { name, kind };
    }
    const categories = distinct(cells[c]).sort();
    if (categories.length > maxCategories) {
      throw new DatasetError(`column "${name}" has ${categories.length} distinct values, more than maxCategories (${maxCategories}): `
        + 'exclude it if it identifies records, or raise maxCategories');
    }
    return { name, kind: 'category', categories };
  });

  const targetCells = cells[names.length - 1];
  const targetKind = kindOf(target, targetCells, keptRows);
  if (targetKind === 'date') throw new DatasetError(`target "${target}" holds dates, which simdnet cannot predict`);
  const task = options.task ?? (targetKind === 'number' ? 'regression' : 'classification');
  if (task !== 'regression' && task !== 'classification') throw new ValueError(`task is ${JSON.stringify(task)}: use 'classification' or 'regression'`);
  if (task === 'regression' && targetKind !== 'number') throw new DatasetError(`target "${target}" holds text: regression needs numbers`);
  let classNames: string[] | undefined;
  if (task === 'classification') {
    classNames = targetKind === 'number' ? distinct(targetCells).sort((a, b) => Number(a) - Number(b)) : distinct(targetCells).sort();
    if (classNames.length < 2) throw new DatasetError(`target "${target}" has a single class ("${classNames[0]}"): nothing to classify`);
  }

  const split = splitRows(kept.length, options);
  const featureNames = featureNamesOf(columns);
  const width = featureNames.length;
  const raw = encodeFeatures(columns, kept, missingMarkers);
  const rowsOf = (positions: Int32Array) => {
    const out = new Float64Array(positions.length * width);
    positions.forEach((k, i) => out.set(raw.subarray(k * width, (k + 1) * width), i * width));
    return out;
  };
  const { means, stds } = fitStandardization(rowsOf(split.train), width);
  const transform: TableTransform = {
    format: TABLE_TRANSFORM_FORMAT, version: 1, task, target,
    ...(classNames ? { classNames } : {}),
    columns, featureNames, means, stds, missingMarkers,
  };
  const targets = applyTableTargets(transform, kept);
  const splitOf = (positions: Int32Array): TableSplit => ({
    inputs: standardize(rowsOf(positions), means, stds),
    targets: targets instanceof Int32Array ? Int32Array.from(positions, (k) => targets[k]) : Float32Array.from(positions, (k) => targets[k]),
    count: positions.length,
    rows: Int32Array.from(positions, (k) => keptRows[k]),
  });
  return {
    task, target, featureNames, ...(classNames ? { classNames } : {}),
    train: splitOf(split.train),
    ...(split.validation.length > 0 ? { validation: splitOf(split.validation) } : {}),
    ...(split.test.length > 0 ? { test: splitOf(split.test) } : {}),
    skipped, transform,
  };
}

function selectColumns(columns: string[], options: TableOptions): { target: string; features: string[]; explicit: boolean } {
  const known = new Set(columns);
  const check = (name: unknown, role: string) => {
    if (typeof name !== 'string' || !known.has(name)) {
      throw new ValueError(`${role} ${JSON.stringify(name)} is not a column of the table; its columns are: ${columns.join(', ')}`);
    }
  };
  const { target } = options;
  check(target, 'target');
  if (options.features !== undefined && options.exclude !== undefined) {
    throw new ValueError('give features or exclude, not both: exclude only trims the default selection');
  }
  for (const name of options.exclude ?? []) check(name, 'excluded column');
  const explicit = options.features !== undefined;
  const features = options.features ?? columns.filter((name) => name !== target && !options.exclude?.includes(name));
  for (const name of features) check(name, 'feature');
  if (new Set(features).size !== features.length) throw new ValueError(`features name a column twice: ${features.join(', ')}`);
  if (features.includes(target)) throw new ValueError(`"${target}" is both the target and a feature`);
  if (features.length === 0) throw new ValueError('no feature columns: the table has only the target');
  return { target, features, explicit };
}

/** The kind all present cells of a column share; mixing numbers, dates and text is an error. */
function kindOf(name: string, cells: Cell[], rows: readonly number[]): 'number' | 'date' | 'text' {
  const first = cells[0].kind as 'number' | 'date' | 'text';
  const other = cells.findIndex((cell) => cell.kind !== first);
  if (other >= 0) {
    const a = cells[0] as Exclude<Cell, { kind: 'missing' }>;
    const b = cells[other] as Exclude<Cell, { kind: 'missing' }>;
    throw new DatasetError(`column "${name}" mixes kinds: record ${rows[0]} holds ${a.kind} "${cellText(a)}", record ${rows[other]} ${b.kind} "${cellText(b)}"`
      + ' (if one of them marks a missing value, add it to missingMarkers)');
  }
  return first;
}

function distinct(cells: Cell[]): string[] {
  return [...new Set(cells.map((cell) => cellText(cell as Exclude<Cell, { kind: 'missing' }>)))];
}
