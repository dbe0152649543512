// What one table cell holds: nothing (a missing value), a number, a date or a piece of text. CSV
// cells arrive as strings and JSON values as numbers, strings, booleans or null; both are read by
// the same rules so a table means the same thing in either format.
import { DatasetError } from '../errors.js';

/** Cells read as missing, after trimming, besides JSON null and an absent key. */
export const DEFAULT_MISSING_MARKERS: readonly string[] = ['', 'NA', 'NaN', 'null'];

export type Cell =
  | { kind: 'missing' }
  | { kind: 'number'; value: number }
  /** `value` is the decimal year, see decimalYear. */
  | { kind: 'date'; value: number; text: string }
  | { kind: 'text'; value: string };

const MISSING: Cell = { kind: 'missing' };
// A plain decimal number; no hex, no 'Infinity', no thousands separators, so that an identifier
// such as '0x1F' or a count such as '1,000' is never silently read as a number.
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
// ISO 8601 calendar dates, with an optional time and UTC offset: 2012-01-01, 1970-01-01T00:00Z.
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:Z|([+-])(\d{2}):?(\d{2}))?)?$/;

/** Reads the cell at `column` of record `record` (both only for the error message). */
export function readCell(value: unknown, missingMarkers: ReadonlySet<string>, column: string, record: number): Cell {
  if (value === null || value === undefined) return MISSING;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return MISSING;
    if (!Number.isFinite(value)) throw new DatasetError(`record ${record}, column "${column}": ${value} is not a finite number`);
    return { kind: 'number', value };
  }
  if (typeof value === 'boolean') return { kind: 'text', value: String(value) };
  if (typeof value !== 'string') {
    const what = Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    throw new DatasetError(`record ${record}, column "${column}": ${what} is not a table cell`);
  }
  const text = value.trim();
  if (missingMarkers.has(text)) return MISSING;
  if (NUMBER.test(text)) {
    const number = Number(text);
    if (!Number.isFinite(number)) throw new DatasetError(`record ${record}, column "${column}": "${text}" overflows a number`);
    return { kind: 'number', value: number };
  }
  const date = ISO_DATE.exec(text);
  if (date) {
    const year = decimalYear(date);
    if (year === undefined) throw new DatasetError(`record ${record}, column "${column}": "${text}" is not a calendar date`);
    return { kind: 'date', value: year, text };
  }
  return { kind: 'text', value: text };
}

/**
 * A date as one number: its decimal year in UTC, the year plus the fraction of it elapsed, so
 * 1970-01-01 is 1970 and 2012-07-01 is 2012 + 182/366 ≈ 2012.497. A time without an offset is
 * taken as UTC. Undefined for a day or time that does not exist (2013-02-29, 24:00).
 */
function decimalYear(parts: RegExpExecArray): number | undefined {
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction, sign, offsetHours, offsetMinutes] = parts;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day); // setUTCFullYear, unlike Date.UTC, keeps years 0–99
  at.setUTCHours(hour, minute, second, fraction ? Number(fraction) * 1000 : 0);
  // A field out of range carries into the next one (2013-02-29 becomes 03-01, 24:00 the next
  // day), so the date exists exactly when the Date gives its fields back unchanged.
  if (at.toISOString().slice(0, 19) !== `${y}-${mo}-${d}T${h}:${mi}:${s}`) return undefined;
  let time = at.getTime();
  if (sign !== undefined) time -= (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const instant = new Date(time);
  const start = new Date(0);
  start.setUTCFullYear(instant.getUTCFullYear(), 0, 1);
  const next = new Date(0);
  next.setUTCFullYear(instant.getUTCFullYear() + 1, 0, 1);
  return instant.getUTCFullYear() + (time - start.getTime()) / (next.getTime() - start.getTime());
}
