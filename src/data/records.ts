// Table text to records: CSV through Papa Parse, or a JSON array of objects. Papa Parse was chosen
// over csv-parse because it works on JavaScript strings with no Node built-in in the path a
// browser takes (csv-parse 7's parser is written over Node's Buffer; its browser build is a 122 kB
// bundle carrying a Buffer polyfill), it has no dependencies, and it is maintained (5.7.1,
// November 2026).
// It handles RFC 4180 quoting: quoted fields holding commas, newlines and doubled quotes.
import Papa from 'papaparse';
import { DatasetError } from '../errors.js';

/** A parsed table: the column names in file order and one record per data row. */
export interface Records {
  columns: string[];
  records: Record<string, unknown>[];
}

export interface CsvOptions {
  /** The field separator (default ','). */
  delimiter?: string;
  /** Named in error messages (default 'CSV text'). */
  source?: string;
}

/**
 * The first row names the columns; every later row must have as many fields. Cells stay strings
 * (the table loader decides what is a number, a date or a category). Blank lines are skipped.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Records {
  const source = options.source ?? 'CSV text';
  const result = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), {
    delimiter: options.delimiter ?? ',',
    header: false,
    skipEmptyLines: true,
    dynamicTyping: false,
  });
  const problem = result.errors[0];
  if (problem) {
    // Papa Parse numbers rows from 0 with the header as row 0.
    const where = problem.row === undefined ? '' : ` in row ${problem.row} (the header is row 0)`;
    throw new DatasetError(`${source}: ${problem.message}${where}`);
  }
  const [header, ...rows] = result.data;
  if (!header) throw new DatasetError(`${source}: empty, no header row`);
  const columns = header.map((name) => name.trim());
  const seen = new Set<string>();
  for (const [i, name] of columns.entries()) {
    if (name === '') throw new DatasetError(`${source}: column ${i + 1} of the header has no name`);
    if (seen.has(name)) throw new DatasetError(`${source}: the header names column "${name}" twice`);
    seen.add(name);
  }
  const records = rows.map((row, r) => {
    // Papa Parse reports a short or long row as an error above; this guards the assumption.
    if (row.length !== columns.length) {
      throw new DatasetError(`${source}: record ${r} has ${row.length} fields, the header ${columns.length}`);
    }
    const record: Record<string, unknown> = Object.create(null);
    for (let c = 0; c < columns.length; c++) record[columns[c]] = row[c];
    return record;
  });
  return { columns, records };
}

/** A JSON array of objects, the columns being every key in first-seen order. */
export function parseJsonRecords(text: string, source = 'JSON text'): Records {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DatasetError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return recordsFrom(parsed, source);
}

/** Checks that `value` is an array of plain objects and collects their keys as the columns. */
export function recordsFrom(value: unknown, source = 'records'): Records {
  if (!Array.isArray(value)) throw new DatasetError(`${source}: expected an array of records, got ${describe(value)}`);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const [r, record] of value.entries()) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new DatasetError(`${source}: record ${r} is ${describe(record)}, not an object`);
    }
    for (const key of Object.keys(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return { columns, records: value as Record<string, unknown>[] };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
