// Table text to records (data/records.ts): the CSV header's rules, the byte-order mark, Papa
// Parse's errors passed on, and the exact refusals of JSON that is no array of objects.
import { describe, expect, it } from 'vitest';
import { parseCsv, parseJsonRecords, recordsFrom } from '../src/data/records.js';
import { DatasetError } from '../src/errors.js';
import { expectRefusal as expectRefusalOf } from './support/refusal.js';

/** The DatasetError `run` throws, whose message must be exactly `message`. */
const expectRefusal = (run: () => unknown, message: string) => expectRefusalOf(run, DatasetError, message);

describe('parseCsv', () => {
  it('trims the header names, and gives each record exactly the header\'s keys', () => {
    const { columns, records } = parseCsv(' a , b\n1,2\n');
    expect(columns).toEqual(['a', 'b']);
    expect(Object.keys(records[0])).toEqual(['a', 'b']);
    expect(records[0]).toEqual(Object.assign(Object.create(null), { a: '1', b: '2' }));
  });

  it('drops a byte-order mark at the start of the text only', () => {
    expect(parseCsv('\uFEFFa,b\n1,2\n').columns).toEqual(['a', 'b']);
    expect(parseCsv('a,b\n\uFEFF1,2\n').records[0].a).toBe('\uFEFF1');
  });

  it('reads another delimiter when asked', () => {
    expect(parseCsv('a;b\n1;2\n', { delimiter: ';' }).records[0]).toEqual(Object.assign(Object.create(null), { a: '1', b: '2' }));
  });

  it('names the source in every refusal, "CSV text" by default', () => {
    expectRefusal(() => parseCsv('a,a\n1,2\n'), 'CSV text: the header names column "a" twice');
    expectRefusal(() => parseCsv('a,a\n1,2\n', { source: 'cars.csv' }), 'cars.csv: the header names column "a" twice');
    expectRefusal(() => parseCsv('a, \n1,2\n'), 'CSV text: column 2 of the header has no name');
    expectRefusal(() => parseCsv('\n\n'), 'CSV text: empty, no header row');
  });

  it('refuses a record with more or fewer fields than the header', () => {
    expectRefusal(() => parseCsv('a,b\n1,2\n1,2,3\n'), 'CSV text: record 1 has 3 fields, the header 2');
    expectRefusal(() => parseCsv('a,b\n1\n', { source: 'f.csv' }), 'f.csv: record 0 has 1 fields, the header 2');
  });

  it('passes on Papa Parse\'s errors with the row they are in, when it has one', () => {
    expectRefusal(() => parseCsv('a,b\n1,2\n"3,4\n'), 'CSV text: Quoted field unterminated in row 2 (the header is row 0)');
    // An empty delimiter asks Papa Parse to guess one, and one column leaves nothing to guess from.
    expectRefusal(() => parseCsv('a\n1\n', { delimiter: '' }), "CSV text: Unable to auto-detect delimiting character; defaulted to ','");
  });
});

describe('parseJsonRecords and recordsFrom', () => {
  it('take the columns from every record\'s keys in first-seen order', () => {
    const records = [{ b: 1 }, { a: 2, b: 3 }, {}];
    expect(recordsFrom(records)).toEqual({ columns: ['b', 'a'], records });
    expect(parseJsonRecords('[]')).toEqual({ columns: [], records: [] });
  });

  it('refuse text that is not JSON, naming the source ("JSON text" by default)', () => {
    let message = '';
    try {
      JSON.parse('[{"a":1},');
    } catch (error) {
      message = (error as Error).message;
    }
    expectRefusal(() => parseJsonRecords('[{"a":1},'), `JSON text: not valid JSON (${message})`);
    expectRefusal(() => parseJsonRecords('[{"a":1},', 'cars.json'), `cars.json: not valid JSON (${message})`);
  });

  it('refuse a value that is not an array, saying what it is ("records" by default)', () => {
    expectRefusal(() => recordsFrom({ a: 1 }), 'records: expected an array of records, got an object');
    expectRefusal(() => recordsFrom(null), 'records: expected an array of records, got null');
    expectRefusal(() => recordsFrom('[]', 'rows'), 'rows: expected an array of records, got a string');
    expectRefusal(() => parseJsonRecords('3'), 'JSON text: expected an array of records, got a number');
  });

  it('refuse a record that is null, a list or no object at all', () => {
    expectRefusal(() => recordsFrom([{ a: 1 }, null]), 'records: record 1 is null, not an object');
    expectRefusal(() => recordsFrom([[1]]), 'records: record 0 is an array, not an object');
    expectRefusal(() => recordsFrom([{}, {}, 7]), 'records: record 2 is a number, not an object');
    expectRefusal(() => recordsFrom(['a']), 'records: record 0 is a string, not an object');
    expectRefusal(() => recordsFrom([true]), 'records: record 0 is a boolean, not an object');
  });
});
