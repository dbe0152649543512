// readCell, the one reader of a table cell for CSV strings and JSON values: what each value is
// read as, and the exact refusal of each value that is no cell.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MISSING_MARKERS, readCell } from '../src/data/cell.js';
import { DatasetError } from '../src/errors.js';
import { expectRefusal as expectRefusalOf } from './support/refusal.js';

const markers = new Set(DEFAULT_MISSING_MARKERS);
const read = (value: unknown) => readCell(value, markers, 'x', 3);

/** The error `read(value)` throws: a DatasetError whose message is exactly `message`. */
const expectRefusal = (value: unknown, message: string) => expectRefusalOf(() => read(value), DatasetError, message);

/** The decimal year of `ms` milliseconds after the start of a year of `days` days. */
const yearPlus = (year: number, ms: number, days: number) => year + ms / (days * 86_400_000);

describe('readCell: JSON values', () => {
  it('reads null, undefined and NaN as missing, finite numbers as numbers', () => {
    expect(read(null)).toEqual({ kind: 'missing' });
    expect(read(undefined)).toEqual({ kind: 'missing' });
    expect(read(Number.NaN)).toEqual({ kind: 'missing' });
    expect(read(-2.5)).toEqual({ kind: 'number', value: -2.5 });
    expect(read(0)).toEqual({ kind: 'number', value: 0 });
  });

  it('refuses an infinite number, naming record and column', () => {
    expectRefusal(Number.POSITIVE_INFINITY, 'record 3, column "x": Infinity is not a finite number');
    expectRefusal(Number.NEGATIVE_INFINITY, 'record 3, column "x": -Infinity is not a finite number');
  });

  it('reads a boolean as the text of its name', () => {
    expect(read(true)).toEqual({ kind: 'text', value: 'true' });
    expect(read(false)).toEqual({ kind: 'text', value: 'false' });
  });

  it('refuses an object, a list, a bigint and a function, saying which', () => {
    expectRefusal({ a: 1 }, 'record 3, column "x": an object is not a table cell');
    expectRefusal([1, 2], 'record 3, column "x": a list is not a table cell');
    expectRefusal(10n, 'record 3, column "x": a bigint is not a table cell');
    expectRefusal(() => 1, 'record 3, column "x": a function is not a table cell');
  });
});

describe('readCell: text', () => {
  it('trims the text before reading it as a missing marker, a number, a date or text', () => {
    expect(read('  NA ')).toEqual({ kind: 'missing' });
    expect(read(' \t')).toEqual({ kind: 'missing' });
    expect(read(' 2.5 ')).toEqual({ kind: 'number', value: 2.5 });
    expect(read(' 1970-01-01 ')).toEqual({ kind: 'date', value: 1970, text: '1970-01-01' });
    expect(read('  two words ')).toEqual({ kind: 'text', value: 'two words' });
  });

  it('reads only the given markers as missing', () => {
    expect(readCell('?', new Set(['?']), 'x', 0)).toEqual({ kind: 'missing' });
    expect(readCell('NA', new Set(['?']), 'x', 0)).toEqual({ kind: 'text', value: 'NA' });
  });

  it('refuses a decimal number too large for a double rather than reading it as Infinity', () => {
    expectRefusal('1e999', 'record 3, column "x": "1e999" overflows a number');
    expectRefusal(' -1e400 ', 'record 3, column "x": "-1e400" overflows a number');
    expect(read('1e308')).toEqual({ kind: 'number', value: 1e308 });
  });
});

describe('readCell: dates', () => {
  it('takes a time without an offset as UTC, and keeps fractions of a second', () => {
    expect(read('2012-01-01T00:00:00.5Z').value).toBe(yearPlus(2012, 500, 366));
    expect(read('2012-01-01 00:00:00.25').value).toBe(yearPlus(2012, 250, 366));
    expect(read('2013-01-01T06:30').value).toBe(yearPlus(2013, 6.5 * 3_600_000, 365));
    expect(read('2012-02-29').value).toBe(yearPlus(2012, 59 * 86_400_000, 366)); // a leap day
    expect(read('0099-12-31T23:59:59').value).toBe(yearPlus(99, 365 * 86_400_000 - 1000, 365)); // a year below 100
  });

  it('moves a time with a UTC offset to UTC: hours and minutes, either sign, with or without a colon', () => {
    // 00:00 at -01:30 is 01:30 UTC; 12:00 at +05:30 is 06:30 UTC.
    expect(read('1970-01-01T00:00-01:30').value).toBe(yearPlus(1970, 1.5 * 3_600_000, 365));
    expect(read('1970-01-01T00:00-0130').value).toBe(yearPlus(1970, 1.5 * 3_600_000, 365));
    expect(read('2013-01-01T12:00+05:30').value).toBe(yearPlus(2013, 6.5 * 3_600_000, 365));
    expect(read('2013-01-01T12:00:00+0530').value).toBe(yearPlus(2013, 6.5 * 3_600_000, 365));
    // 00:30 at +01:00 is 23:30 UTC on the last day of the year before.
    expect(read('2013-01-01T00:30+01:00').value).toBe(yearPlus(2012, (365 * 24 + 23.5) * 3_600_000, 366));
  });

  it('refuses a month, day, hour, minute or second that does not exist', () => {
    for (const text of ['2013-13-01', '2013-00-10', '2013-04-31', '2013-02-29', '2013-03-00',
      '2013-01-01T24:00', '2013-01-01T12:60', '2013-01-01T12:00:60']) {
      expectRefusal(text, `record 3, column "x": "${text}" is not a calendar date`);
    }
  });
});
