// Reading a table from disk (Node): CSV or a JSON array of records, by the file's extension.
import { readFile } from 'node:fs/promises';
import { DatasetError } from '../errors.js';
import { tableFromCsv, tableFromJson, type Table, type TableOptions } from './table.js';

/** `path` ending in .csv or .json (any case), read as UTF-8; see tableFromCsv for the rules. */
export async function loadTable(path: string, options: TableOptions & { delimiter?: string }): Promise<Table> {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (extension !== 'csv' && extension !== 'json') {
    throw new DatasetError(`${path}: a table file must end in .csv or .json`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return extension === 'csv' ? tableFromCsv(text, { ...options, source: path }) : tableFromJson(text, { ...options, source: path });
}
