// The fitted transform from table records to network inputs and targets: which columns, how each
// is encoded (numbers as they are, dates as decimal years, categories one-hot), the per-feature
// mean and standard deviation fitted on the training split, and the target's classes. It is a
// plain JSON value, so it can travel with a model and make prediction see what training saw.
import { ModelFormatError, DatasetError } from '../errors.js';
import { readCell, type Cell } from './cell.js';

export type TableTask = 'classification' | 'regression';

/** A feature column and its encoding. A category column becomes one feature per category. */
export type TableColumn =
  | { name: string; kind: 'number' }
  | { name: string; kind: 'date' }
  | { name: string; kind: 'category'; categories: string[] };

export interface TableTransform {
  format: typeof TABLE_TRANSFORM_FORMAT;
  version: 1;
  task: TableTask;
  /** The target column's name. */
  target: string;
  /** Classification only: the class of index i is classNames[i]. */
  classNames?: string[];
  columns: TableColumn[];
  /** One per input feature: a column's name, or `column=category` for a one-hot feature. */
  featureNames: string[];
  /** Per feature, fitted on the training split; a feature is fed as (x - mean) / std. */
  means: number[];
  stds: number[];
  /** Cell texts read as missing values (besides JSON null and an absent key). */
  missingMarkers: string[];
}

export const TABLE_TRANSFORM_FORMAT = 'simdnet-table-transform';

/** The features a list of columns encodes to, in input order. */
export function featureNamesOf(columns: readonly TableColumn[]): string[] {
  return columns.flatMap((column) => column.kind === 'category'
    ? column.categories.map((category) => `${column.name}=${category}`)
    : [column.name]);
}

/**
 * Row-major [records × features] before standardization. Every feature cell must be present and
 * of its column's kind, and every category known: a record that cannot be encoded is an error,
 * never a row of zeros.
 */
export function encodeFeatures(
  columns: readonly TableColumn[], records: readonly Record<string, unknown>[], missingMarkers: readonly string[],
): Float64Array {
  const width = featureNamesOf(columns).length;
  const out = new Float64Array(records.length * width);
  const missing = new Set(missingMarkers);
  const categoryIndex = columns.map((column) => column.kind === 'category' ? indexOf(column.categories) : undefined);
  for (let r = 0; r < records.length; r++) {
    let feature = r * width;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c];
      const cell = readCell(records[r][column.name], missing, column.name, r);
      if (cell.kind === 'missing') throw new DatasetError(`record ${r}, column "${column.name}": missing value`);
      if (column.kind === 'category') {
        const index = categoryIndex[c]!.get(cellText(cell));
        if (index === undefined) {
          throw new DatasetError(`record ${r}, column "${column.name}": unknown category "${cellText(cell)}" (known: ${column.categories.join(', ')})`);
        }
        out[feature + index] = 1;
        feature += column.categories.length;
      } else {
        if (cell.kind !== column.kind) {
          throw new DatasetError(`record ${r}, column "${column.name}": "${cellText(cell)}" is not a ${column.kind}`);
        }
        out[feature++] = cell.value;
      }
    }
  }
  return out;
}

/**
 * The target per record, as training saw it: class indices for classification, values for
 * regression (to evaluate a model on new records that carry the target column).
 */
export function applyTableTargets(transform: TableTransform, records: readonly Record<string, unknown>[]): Int32Array | Float32Array {
  const missing = new Set(transform.missingMarkers);
  const { target } = transform;
  const classes = transform.task === 'classification' ? indexOf(transform.classNames ?? []) : undefined;
  const out = classes ? new Int32Array(records.length) : new Float32Array(records.length);
  for (let r = 0; r < records.length; r++) {
    const cell = readCell(records[r][target], missing, target, r);
    if (cell.kind === 'missing') throw new DatasetError(`record ${r}, target "${target}": missing value`);
    if (classes) {
      const index = classes.get(cellText(cell));
      if (index === undefined) {
        throw new DatasetError(`record ${r}, target "${target}": unknown class "${cellText(cell)}" (known: ${transform.classNames!.join(', ')})`);
      }
      out[r] = index;
    } else {
      if (cell.kind !== 'number') throw new DatasetError(`record ${r}, target "${target}": "${cellText(cell)}" is not a number`);
      out[r] = cell.value;
    }
  }
  return out;
}

/** Population mean and standard deviation per feature of `rows` (row-major, `width` wide). */
export function fitStandardization(rows: Float64Array, width: number): { means: number[]; stds: number[] } {
  const count = rows.length / width;
  const means = new Array<number>(width).fill(0);
  const stds = new Array<number>(width).fill(0);
  for (let i = 0; i < rows.length; i++) means[i % width] += rows[i];
  for (let f = 0; f < width; f++) means[f] /= count;
  for (let i = 0; i < rows.length; i++) stds[i % width] += (rows[i] - means[i % width]) ** 2;
  // A feature constant on the training split gets std 1: it is fed as x - mean, 0 on that split,
  // instead of a division by zero.
  for (let f = 0; f < width; f++) stds[f] = Math.sqrt(stds[f] / count) || 1;
  return { means, stds };
}

/** (x - mean) / std per feature, rounded to f32 once at the end. */
export function standardize(rows: Float64Array, means: readonly number[], stds: readonly number[]): Float32Array {
  const width = means.length;
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = (rows[i] - means[i % width]) / stds[i % width];
  return out;
}

/** Network inputs for new records, row-major [records × features], as training saw them. */
export function applyTableTransform(transform: TableTransform, records: readonly Record<string, unknown>[]): Float32Array {
  return standardize(encodeFeatures(transform.columns, records, transform.missingMarkers), transform.means, transform.stds);
}

/** The transform as JSON text, e.g. for a model file's metadata. */
export function encodeTableTransform(transform: TableTransform): string {
  return JSON.stringify(checkTableTransform(transform, 'table transform'));
}

/** Parses and checks a transform written by encodeTableTransform. */
export function decodeTableTransform(text: string, source = 'table transform'): TableTransform {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelFormatError(`${source}: not valid JSON`);
  }
  return checkTableTransform(value, source);
}

/** Everything apply relies on, checked, so a damaged transform fails here and not in a prediction. */
export function checkTableTransform(value: unknown, source = 'table transform'): TableTransform {
  const fail = (problem: string): never => {
    throw new ModelFormatError(`${source}: ${problem}`);
  };
  const t = value as TableTransform;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('not an object');
  if (t.format !== TABLE_TRANSFORM_FORMAT) fail(`format is ${JSON.stringify(t.format)}, expected "${TABLE_TRANSFORM_FORMAT}"`);
  if (t.version !== 1) fail(`version ${JSON.stringify(t.version)} is not supported (this simdnet reads version 1)`);
  if (t.task !== 'classification' && t.task !== 'regression') fail(`task ${JSON.stringify(t.task)} is neither classification nor regression`);
  if (!isName(t.target)) fail('target is not a column name');
  if (!isStringList(t.missingMarkers)) fail('missingMarkers is not a list of strings');
  if (t.task === 'classification') {
    if (!isStringList(t.classNames) || t.classNames.length < 2 || new Set(t.classNames).size !== t.classNames.length) {
      fail('classNames must list at least two distinct classes');
    }
  } else if (t.classNames !== undefined) {
    fail('a regression transform has no classNames');
  }
  if (!Array.isArray(t.columns) || t.columns.length === 0) fail('columns is not a non-empty list');
  for (const [i, column] of (t.columns as unknown[]).entries()) {
    if (column === null || typeof column !== 'object' || !isName((column as TableColumn).name)) fail(`column ${i} has no name`);
  }
  for (const column of t.columns) {
    if (column.name === t.target) fail(`column "${column.name}" is also the target`);
    if (column.kind === 'category') {
      if (!isStringList(column.categories) || column.categories.length === 0 || new Set(column.categories).size !== column.categories.length) {
        fail(`column "${column.name}": categories must be a non-empty list of distinct strings`);
      }
    } else if (column.kind !== 'number' && column.kind !== 'date') {
      const { name, kind } = column as { name: string; kind: unknown };
      fail(`column "${name}": kind ${JSON.stringify(kind)} is not number, date or category`);
    }
  }
  if (new Set(t.columns.map((column) => column.name)).size !== t.columns.length) fail('a column is named twice');
  const names = featureNamesOf(t.columns);
  if (!isStringList(t.featureNames) || t.featureNames.join('\u0000') !== names.join('\u0000')) {
    fail(`featureNames do not match the columns (expected ${names.join(', ')})`);
  }
  for (const key of ['means', 'stds'] as const) {
    const list = t[key];
    if (!Array.isArray(list) || list.length !== names.length || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(`${key} must be ${names.length} finite numbers`);
    }
  }
  if (!t.stds.every((std) => std > 0)) fail('every std must be positive');
  return t;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((x) => typeof x === 'string');
}

function indexOf(names: readonly string[]): Map<string, number> {
  return new Map(names.map((name, i) => [name, i]));
}

/** How a present cell names a category or class: its text, or its number written by String(). */
export function cellText(cell: Exclude<Cell, { kind: 'missing' }>): string {
  return cell.kind === 'date' ? cell.text : String(cell.value);
}
