import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCsv, parseJsonRecords } from '../src/data/records.js';
import { loadTable } from '../src/data/table-node.js';
import { splitRows } from '../src/data/table-split.js';
import {
  applyTableTargets, applyTableTransform, checkTableTransform, decodeTableTransform, encodeTableTransform, type TableTransform,
} from '../src/data/table-transform.js';
import { tableFromCsv, tableFromJson, tableFromRecords, type Table } from '../src/data/table.js';
import { DatasetError, ModelFormatError, ValueError } from '../src/errors.js';

// The package exports only its index (build/index.js); the data files sit beside build/.
const vegaData = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data');
const noSplit = { validation: 0, test: 0 };

/** Column `f` of a row-major [rows × width] array. */
function column(values: ArrayLike<number>, width: number, f: number): number[] {
  return Array.from({ length: values.length / width }, (_, r) => values[r * width + f]);
}

function meanStd(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return [mean, Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)];
}

/** The inputs the transform would give, written out: (x - mean) / std rounded to f32. */
function standardized(x: number, mean: number, std: number): number {
  return Math.fround((x - mean) / std);
}

describe('parseCsv', () => {
  it('keeps quoted commas, newlines and doubled quotes inside one field, and trims cells later', () => {
    const { columns, records } = parseCsv('name,note,x\n"Smith, J.","said ""hi""\nthen left", 2\nLee,plain,3\n');
    expect(columns).toEqual(['name', 'note', 'x']);
    expect(records.map((r) => ({ ...r }))).toEqual([
      { name: 'Smith, J.', note: 'said "hi"\nthen left', x: ' 2' },
      { name: 'Lee', note: 'plain', x: '3' },
    ]);
    const table = tableFromCsv('name,x,y\n"a, b",1,10\n"c, d",2,20\n"a, b",3,30\n', { target: 'y', ...noSplit });
    expect(table.featureNames).toEqual(['name=a, b', 'name=c, d', 'x']);
  });

  it('rejects a row with a field too many, a repeated or empty header name, and no header', () => {
    expect(() => parseCsv('a,b\n1,2,3\n')).toThrow(DatasetError);
    expect(() => parseCsv('a,a\n1,2\n')).toThrow(/names column "a" twice/);
    expect(() => parseCsv('a,\n1,2\n')).toThrow(/column 2 of the header has no name/);
    expect(() => parseCsv('')).toThrow(/no header/);
  });

  it('reads a JSON array of objects, the columns in first-seen order, and rejects anything else', () => {
    expect(parseJsonRecords('[{"a":1},{"b":2,"a":3}]').columns).toEqual(['a', 'b']);
    expect(() => parseJsonRecords('{"a":1}')).toThrow(/expected an array of records, got an object/);
    expect(() => parseJsonRecords('[{"a":1},[2]]')).toThrow(/record 1 is an array/);
    expect(() => parseJsonRecords('[{"a":1},')).toThrow(/not valid JSON/);
  });
});

describe('column selection', () => {
  const csv = 'a,b,c\n1,2,3\n4,5,6\n7,8,9\n';

  it('names the available columns when the target or a feature is unknown', () => {
    const attempt = (options: Parameters<typeof tableFromCsv>[1]) => () => tableFromCsv(csv, options);
    expect(attempt({ target: 'z' })).toThrow(ValueError);
    expect(attempt({ target: 'z' })).toThrow('target "z" is not a column of the table; its columns are: a, b, c');
    expect(attempt({ target: 'c', features: ['a', 'bb'] })).toThrow('feature "bb" is not a column of the table; its columns are: a, b, c');
    expect(attempt({ target: 'c', exclude: ['q'] })).toThrow(/excluded column "q"/);
    expect(attempt({ target: 'c', features: ['a', 'c'] })).toThrow(/both the target and a feature/);
    expect(attempt({ target: 'c', features: ['a', 'a'] })).toThrow(/twice/);
    expect(attempt({ target: 'c', features: ['a'], exclude: ['b'] })).toThrow(/features or exclude, not both/);
  });

  it('takes every other column in file order by default, minus the excluded ones; explicit features in the given order', () => {
    expect(tableFromCsv(csv, { target: 'b', ...noSplit }).featureNames).toEqual(['a', 'c']);
    expect(tableFromCsv(csv, { target: 'b', exclude: ['a'], ...noSplit }).featureNames).toEqual(['c']);
    expect(tableFromCsv(csv, { target: 'a', features: ['c', 'b'], ...noSplit }).featureNames).toEqual(['c', 'b']);
  });
});

describe('missing values', () => {
  // Missing: record 1 x (empty), record 2 y (NA), record 4 z (NaN, unselected below), record 5 x and y (null, NaN).
  const csv = 'x,y,z,t\n1,10,a,0\n,11,b,1\n3,NA,c,0\n4,13,d,1\n5,14,NaN,0\nnull,NaN,f,1\n7,16,g,0\n';

  it('skips records missing a selected value and counts them, per column too', () => {
    const table = tableFromCsv(csv, { target: 't', features: ['x', 'y'], ...noSplit });
    expect(table.skipped).toEqual({ count: 3, rows: [1, 2, 5], byColumn: { x: 2, y: 2, t: 0 } });
    expect(Array.from(table.train.rows)).toEqual([0, 3, 4, 6]); // record 4's NaN is in z, not selected
    expect(table.train.count).toBe(4);
  });

  it('reads JSON null, an absent key and a NaN number as missing, and custom markers when asked', () => {
    const records = [{ x: 1, t: 'a' }, { x: null, t: 'b' }, { t: 'a' }, { x: Number.NaN, t: 'b' }, { x: 5, t: 'b' }, { x: '?', t: 'a' }];
    expect(() => tableFromRecords(records, { target: 't', ...noSplit })).toThrow(/column "x" mixes kinds: record 0 holds number "1", record 5 text "\?"/);
    const table = tableFromRecords(records, { target: 't', missingMarkers: ['?'], ...noSplit });
    expect(table.skipped.rows).toEqual([1, 2, 3, 5]);
    expect(Array.from(table.train.targets)).toEqual([0, 1]);
  });

  it("refuses the table at the first missing value with missing: 'refuse'", () => {
    expect(() => tableFromCsv(csv, { target: 't', features: ['x', 'y'], missing: 'refuse' })).toThrow(DatasetError);
    expect(() => tableFromCsv(csv, { target: 't', features: ['x', 'y'], missing: 'refuse' })).toThrow('record 1, column "x": missing value');
    expect(() => tableFromCsv(csv, { target: 't', features: ['x', 'y'], missing: 'drop' as 'skip' })).toThrow(ValueError);
  });

  it('refuses a table where every record misses something', () => {
    expect(() => tableFromCsv('x,t\n,1\nNA,2\n', { target: 't' })).toThrow(/no record has every selected column present \(2 records/);
  });
});

describe('kinds of columns', () => {
  it('one-hot encodes text columns, categories sorted, named column=category', () => {
    const csv = 'Origin,w,mpg\nUSA,1,10\nJapan,2,20\nEurope,3,30\nUSA,4,40\n';
    const table = tableFromCsv(csv, { target: 'mpg', ...noSplit });
    expect(table.featureNames).toEqual(['Origin=Europe', 'Origin=Japan', 'Origin=USA', 'w']);
    expect(table.transform.columns[0]).toEqual({ name: 'Origin', kind: 'category', categories: ['Europe', 'Japan', 'USA'] });
    const oneHot = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]];
    for (let f = 0; f < 3; f++) {
      const raw = oneHot.map((row) => row[f]);
      const [mean, std] = meanStd(raw);
      expect(column(table.train.inputs, 4, f)).toEqual(raw.map((x) => standardized(x, mean, std)));
    }
    expect(table.task).toBe('regression');
    expect(Array.from(table.train.targets)).toEqual([10, 20, 30, 40]);
    expect(table.train.targets).toBeInstanceOf(Float32Array);
  });

  it('refuses a text column with more distinct values than maxCategories, by name', () => {
    const csv = 'id,x,y\na,1,0\nb,2,1\nc,3,0\n';
    expect(() => tableFromCsv(csv, { target: 'y', maxCategories: 2 })).toThrow('column "id" has 3 distinct values, more than maxCategories (2)');
    expect(tableFromCsv(csv, { target: 'y', maxCategories: 3, ...noSplit }).featureNames).toHaveLength(4);
  });

  it('refuses a date column taken by default, by name, and converts one named in features to its decimal year', () => {
    const csv = 'day,x,y\n1970-01-01,1,0\n2012-07-01,2,1\n2013-01-01T12:00:00Z,3,0\n2013-01-01T12:00+02:00,4,1\n';
    expect(() => tableFromCsv(csv, { target: 'y' })).toThrow(DatasetError);
    expect(() => tableFromCsv(csv, { target: 'y' })).toThrow('column "day" holds dates (such as "1970-01-01"): name it in features');
    expect(tableFromCsv(csv, { target: 'y', exclude: ['day'], ...noSplit }).featureNames).toEqual(['x']);
    const table = tableFromCsv(csv, { target: 'y', features: ['day', 'x'], ...noSplit });
    expect(table.transform.columns[0]).toEqual({ name: 'day', kind: 'date' });
    // 2012 is a leap year: July 1st starts day 182 of 366. Noon on January 1st is half a day of
    // 365; noon at +02:00 is 10:00 UTC.
    const years = [1970, 2012 + 182 / 366, 2013 + 0.5 / 365, 2013 + (10 / 24) / 365];
    const [mean, std] = meanStd(years);
    expect(column(table.train.inputs, 2, 0)).toEqual(years.map((x) => standardized(x, mean, std)));
    expect(table.transform.means[0]).toBeCloseTo(mean, 9);
  });

  it('rejects a date-shaped text that is no calendar day, a column mixing kinds, and a date target', () => {
    expect(() => tableFromCsv('d,y\n2013-02-29,1\n', { target: 'y', features: ['d'] })).toThrow('record 0, column "d": "2013-02-29" is not a calendar date');
    expect(() => tableFromCsv('d,y\n2013-01-01,1\n5,2\n', { target: 'y', features: ['d'] })).toThrow(/mixes kinds: record 0 holds date "2013-01-01", record 1 number "5"/);
    expect(() => tableFromCsv('x,d\n1,2013-01-01\n2,2013-01-02\n', { target: 'd' })).toThrow('target "d" holds dates');
  });

  it('reads a text target as sorted classes and a numeric one as classes when asked, sorted as numbers', () => {
    const csv = 'x,w\n1,sun\n2,rain\n3,fog\n4,sun\n';
    const table = tableFromCsv(csv, { target: 'w', ...noSplit });
    expect(table.task).toBe('classification');
    expect(table.classNames).toEqual(['fog', 'rain', 'sun']);
    expect(table.train.targets).toEqual(new Int32Array([2, 1, 0, 2]));
    const numeric = tableFromCsv('x,k\n1,10\n2,9\n3,10\n4,2\n', { target: 'k', task: 'classification', ...noSplit });
    expect(numeric.classNames).toEqual(['2', '9', '10']);
    expect(numeric.train.targets).toEqual(new Int32Array([2, 1, 2, 0]));
    expect(() => tableFromCsv(csv, { target: 'w', task: 'regression' })).toThrow('target "w" holds text: regression needs numbers');
    expect(() => tableFromCsv('x,w\n1,a\n2,a\n', { target: 'w' })).toThrow(/a single class/);
    expect(() => tableFromCsv(csv, { target: 'w', task: 'ranking' as 'regression' })).toThrow(ValueError);
  });
});

describe('split', () => {
  const records = Array.from({ length: 101 }, (_, i) => ({ x: i, y: i % 2 === 0 ? 'even' : 'odd' }));

  it('is the same for the same seed, different for another, and partitions the rows', () => {
    const a = tableFromRecords(records, { target: 'y', validation: 0.15, test: 0.25, seed: 7 });
    const b = tableFromRecords(records, { target: 'y', validation: 0.15, test: 0.25, seed: 7 });
    const c = tableFromRecords(records, { target: 'y', validation: 0.15, test: 0.25, seed: 8 });
    expect(a).toEqual(b);
    expect(Array.from(c.test!.rows)).not.toEqual(Array.from(a.test!.rows));
    expect([a.train.count, a.validation!.count, a.test!.count]).toEqual([101 - 15 - 25, 15, 25]); // round(15.15), round(25.25)
    const all = [...a.train.rows, ...a.validation!.rows, ...a.test!.rows].sort((p, q) => p - q);
    expect(all).toEqual(records.map((_, i) => i));
    // Each row's inputs and target follow it into its split.
    const width = a.featureNames.length;
    const [mean, std] = [a.transform.means[0], a.transform.stds[0]];
    a.test!.rows.forEach((row, i) => {
      expect(a.test!.inputs[i * width]).toBe(standardized(row, mean, std));
      expect(a.test!.targets[i]).toBe(row % 2);
    });
  });

  it('leaves out empty splits and rejects fractions that leave no training row', () => {
    const table = tableFromRecords(records, { target: 'y', validation: 0, test: 0.1 });
    expect(table.validation).toBeUndefined();
    expect(table.test!.count).toBe(10);
    expect(() => splitRows(10, { validation: 0.5, test: 0.5 })).toThrow(ValueError);
    expect(() => splitRows(10, { test: 1 })).toThrow(/must be in \[0, 1\)/);
    expect(() => splitRows(10, { seed: 1.5 })).toThrow(ValueError);
    expect(splitRows(10, { validation: 0, test: 0 }).train).toEqual(Int32Array.from({ length: 10 }, (_, i) => i));
  });
});

describe('standardization', () => {
  it('is fitted on the training split only and applied as is to the others', () => {
    // Values grow with the row number, so the held-out rows' statistics differ from the training ones.
    const records = Array.from({ length: 40 }, (_, i) => ({ x: i * i, g: ['a', 'b', 'c'][i % 3], y: i }));
    const table = tableFromRecords(records, { target: 'y', validation: 0.2, test: 0.2, seed: 3 });
    const trainX = Array.from(table.train.rows, (r) => records[r].x);
    const [mean, std] = meanStd(trainX);
    expect(table.featureNames).toEqual(['x', 'g=a', 'g=b', 'g=c']);
    expect(table.transform.means[0]).toBeCloseTo(mean, 9);
    expect(table.transform.stds[0]).toBeCloseTo(std, 9);
    const allX = records.map((r) => r.x);
    expect(Math.abs(meanStd(allX)[0] - mean)).toBeGreaterThan(1); // the statistics of all rows would differ
    for (const split of [table.train, table.validation!, table.test!]) {
      expect(column(split.inputs, 4, 0)).toEqual(Array.from(split.rows, (r) => standardized(records[r].x, mean, std)));
      const [gaMean, gaStd] = meanStd(Array.from(table.train.rows, (r) => (records[r].g === 'a' ? 1 : 0)));
      expect(column(split.inputs, 4, 1)).toEqual(Array.from(split.rows, (r) => standardized(records[r].g === 'a' ? 1 : 0, gaMean, gaStd)));
    }
    const [trainMean, trainStd] = meanStd(column(table.train.inputs, 4, 0));
    expect(trainMean).toBeCloseTo(0, 6);
    expect(trainStd).toBeCloseTo(1, 6);
  });

  it('feeds a feature constant on the training split as x - mean (std 1)', () => {
    const table = tableFromCsv('c,x,y\n5,1,0\n5,2,1\n5,3,0\n', { target: 'y', ...noSplit });
    expect(table.transform.stds[0]).toBe(1);
    expect(column(table.train.inputs, 2, 0)).toEqual([0, 0, 0]);
  });
});

describe('the transform', () => {
  const csv = 'Origin,Year,hp,mpg\nUSA,1970-01-01,130,18\nJapan,1971-01-01,95,24\nEurope,1972-01-01,88,27\nUSA,1973-01-01,150,14\nJapan,1974-01-01,,31\nEurope,1975-01-01,71,29\n';
  const options = { target: 'mpg', features: ['Origin', 'Year', 'hp'], validation: 0, test: 0.4, seed: 1 };

  it('round-trips through JSON and gives new records the inputs and targets training saw', () => {
    const table = tableFromCsv(csv, options);
    const text = encodeTableTransform(table.transform);
    const decoded = decodeTableTransform(text);
    expect(decoded).toEqual(table.transform);
    expect(JSON.parse(JSON.stringify(table.transform))).toEqual(table.transform);
    const { records } = parseCsv(csv);
    const testRecords = Array.from(table.test!.rows, (r) => records[r]);
    expect(applyTableTransform(decoded, testRecords)).toEqual(table.test!.inputs);
    expect(applyTableTargets(decoded, testRecords)).toEqual(table.test!.targets);
    // Prediction needs only the features: the target may be absent.
    const { mpg: _, ...features } = testRecords[0];
    expect(applyTableTransform(decoded, [features])).toEqual(table.test!.inputs.subarray(0, table.featureNames.length));
  });

  it('refuses, rather than zero-fills, a new record with a missing value, an unknown category or a wrong kind', () => {
    const { transform } = tableFromCsv(csv, options);
    const good = { Origin: 'USA', Year: '1980-01-01', hp: 100 };
    expect(applyTableTransform(transform, [good])).toHaveLength(5);
    expect(() => applyTableTransform(transform, [{ ...good, hp: null }])).toThrow('record 0, column "hp": missing value');
    expect(() => applyTableTransform(transform, [good, { ...good, Origin: 'Mars' }])).toThrow('record 1, column "Origin": unknown category "Mars" (known: Europe, Japan, USA)');
    expect(() => applyTableTransform(transform, [{ ...good, Year: 1980 }])).toThrow('"1980" is not a date');
    expect(() => applyTableTargets(transform, [{ ...good, mpg: 'many' }])).toThrow(/is not a number/);
    const classes = tableFromCsv('x,w\n1,sun\n2,rain\n', { target: 'w', ...noSplit }).transform;
    expect(() => applyTableTargets(classes, [{ x: 1, w: 'hail' }])).toThrow('unknown class "hail" (known: rain, sun)');
  });

  it('rejects a damaged transform with a ModelFormatError naming the problem', () => {
    const { transform } = tableFromCsv(csv, options);
    const classes = tableFromCsv('x,w\n1,sun\n2,rain\n', { target: 'w', ...noSplit }).transform;
    const damaged = (change: (t: TableTransform) => void, base = transform) => {
      const copy = JSON.parse(JSON.stringify(base));
      change(copy);
      return JSON.stringify(copy);
    };
    const cases: [string, RegExp][] = [
      ['{', /not valid JSON/],
      ['[]', /not an object/],
      [damaged((t) => { (t as { format: string }).format = 'other'; }), /format is "other"/],
      [damaged((t) => { (t as { version: number }).version = 2; }), /version 2 is not supported/],
      [damaged((t) => { (t as { task: string }).task = 'ranking'; }), /task "ranking"/],
      [damaged((t) => { t.featureNames = [...t.featureNames].reverse(); }), /featureNames do not match the columns/],
      [damaged((t) => { t.means.pop(); }), /means must be 5 finite numbers/],
      [damaged((t) => { (t.stds as unknown[])[1] = 'x'; }), /stds must be 5 finite numbers/],
      [damaged((t) => { t.stds[2] = 0; }), /every std must be positive/],
      [damaged((t) => { (t.columns[0] as { kind: string }).kind = 'image'; }), /column "Origin": kind "image"/],
      [damaged((t) => { t.columns[0] = { name: 'Origin', kind: 'category', categories: ['USA', 'USA'] }; }), /distinct strings/],
      [damaged((t) => { t.columns[1].name = 'mpg'; }), /column "mpg" is also the target/],
      [damaged((t) => { t.classNames = ['a', 'b']; }), /a regression transform has no classNames/],
      [damaged((t) => { delete t.classNames; }, classes), /classNames must list at least two distinct classes/],
      [damaged((t) => { (t as { missingMarkers: unknown }).missingMarkers = [1]; }), /missingMarkers/],
    ];
    for (const [text, problem] of cases) {
      expect(() => decodeTableTransform(text), text).toThrow(ModelFormatError);
      expect(() => decodeTableTransform(text), text).toThrow(problem);
    }
    expect(() => encodeTableTransform({ ...transform, stds: [] })).toThrow(ModelFormatError);
    expect(checkTableTransform(JSON.parse(encodeTableTransform(classes)))).toEqual(classes);
  });
});

describe('loadTable', () => {
  it('reads .csv and .json by extension and refuses other files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-table-'));
    await writeFile(join(dir, 't.csv'), 'x,y\n1,a\n2,b\n');
    await writeFile(join(dir, 't.JSON'), '[{"x":1,"y":"a"},{"x":2,"y":"b"}]');
    await writeFile(join(dir, 't.txt'), 'x,y\n1,a\n');
    const fromCsv = await loadTable(join(dir, 't.csv'), { target: 'y', ...noSplit });
    const fromJson = await loadTable(join(dir, 't.JSON'), { target: 'y', ...noSplit });
    expect(fromJson).toEqual(fromCsv);
    await expect(loadTable(join(dir, 't.txt'), { target: 'y' })).rejects.toThrow(/must end in .csv or .json/);
    await expect(loadTable(join(dir, 'absent.csv'), { target: 'y' })).rejects.toThrow(/cannot read .*absent.csv: ENOENT/);
    await writeFile(join(dir, 'bad.json'), '[{"x":1}');
    await expect(loadTable(join(dir, 'bad.json'), { target: 'x' })).rejects.toThrow(/bad.json: not valid JSON/);
  });
});

describe('vega-datasets cars.json (regression)', async () => {
  const path = join(vegaData, 'cars.json');
  const records = JSON.parse(await readFile(path, 'utf8')) as Record<string, number | string | null>[];
  const features = ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration', 'Year', 'Origin'];

  it('predicts Miles_per_Gallon with Origin one-hot and Year as a year; 14 records skipped for missing values', async () => {
    expect(records).toHaveLength(406);
    const table = await loadTable(path, { target: 'Miles_per_Gallon', features });
    expect(table.task).toBe('regression');
    expect(table.featureNames).toEqual(['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration', 'Year', 'Origin=Europe', 'Origin=Japan', 'Origin=USA']);
    // 8 cars have no Miles_per_Gallon and 6 no Horsepower, none both.
    const missing = records.flatMap((r, i) => (r.Miles_per_Gallon === null || r.Horsepower === null ? [i] : []));
    expect(table.skipped.count).toBe(14);
    expect(table.skipped.rows).toEqual(missing);
    expect(table.skipped.byColumn.Miles_per_Gallon).toBe(8);
    expect(table.skipped.byColumn.Horsepower).toBe(6);
    const counts = [table.train.count, table.validation!.count, table.test!.count];
    expect(counts).toEqual([392 - 39 - 78, 39, 78]);
    for (const split of [table.train, table.validation!, table.test!]) {
      expect(Array.from(split.targets)).toEqual(Array.from(split.rows, (r) => Math.fround(records[r].Miles_per_Gallon as number)));
      expect(column(split.inputs, 9, 5)).toEqual(Array.from(split.rows, (r) => standardized(Number((records[r].Year as string).slice(0, 4)), table.transform.means[5], table.transform.stds[5])));
    }
    for (let f = 0; f < 9; f++) {
      const [mean, std] = meanStd(column(table.train.inputs, 9, f));
      expect(mean).toBeCloseTo(0, 5);
      expect(std).toBeCloseTo(1, 5);
    }
  });

  it('refuses the car names and the Year dates when every column is taken by default', async () => {
    await expect(loadTable(path, { target: 'Miles_per_Gallon' })).rejects.toThrow('column "Name" has 300 distinct values');
    await expect(loadTable(path, { target: 'Miles_per_Gallon', exclude: ['Name'] })).rejects.toThrow('column "Year" holds dates');
  });
});

describe('vega-datasets seattle-weather.csv (classification)', () => {
  const path = join(vegaData, 'seattle-weather.csv');

  it('predicts weather from precipitation, temperatures and wind; no record skipped', async () => {
    const table = await loadTable(path, { target: 'weather', features: ['precipitation', 'temp_max', 'temp_min', 'wind'] });
    expect(table.task).toBe('classification');
    expect(table.classNames).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
    expect(table.skipped.count).toBe(0);
    const splits: Table['train'][] = [table.train, table.validation!, table.test!];
    expect(splits.map((s) => s.count)).toEqual([1461 - 146 - 292, 146, 292]);
    const { records } = parseCsv(await readFile(path, 'utf8'));
    const perClass = new Map<string, number>();
    for (const split of splits) {
      expect(split.targets).toBeInstanceOf(Int32Array);
      split.targets.forEach((k, i) => {
        expect(table.classNames![k]).toBe(records[split.rows[i]].weather);
        perClass.set(table.classNames![k], (perClass.get(table.classNames![k]) ?? 0) + 1);
      });
    }
    expect(Object.fromEntries(perClass)).toEqual({ drizzle: 53, fog: 101, rain: 641, snow: 26, sun: 640 });
  });

  it('refuses the date column taken by default and uses it as a decimal year when named', async () => {
    await expect(loadTable(path, { target: 'weather' })).rejects.toThrow('column "date" holds dates (such as "2012-01-01")');
    const table = await loadTable(path, { target: 'weather', features: ['date', 'wind'], ...noSplit });
    const years = column(table.train.inputs, 2, 0).map((x) => x * table.transform.stds[0] + table.transform.means[0]);
    expect(years[0]).toBeCloseTo(2012, 4);
    expect(years[1]).toBeCloseTo(2012 + 1 / 366, 4);
    expect(years.at(-1)).toBeCloseTo(2015 + 364 / 365, 4); // 2015-12-31
  });
});

describe('tableFromJson', () => {
  it('matches tableFromRecords on the same records', () => {
    const records = [{ a: 1, k: 'x' }, { a: 2, k: 'y' }, { a: 3, k: 'x' }];
    expect(tableFromJson(JSON.stringify(records), { target: 'k', ...noSplit })).toEqual(tableFromRecords(records, { target: 'k', ...noSplit }));
  });
});

describe('README', () => {
  it('the Tabular data example runs as written and prints what its comments say', async () => {
    const root = join(import.meta.dirname, '..');
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Tabular data'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
    // Each console.log line ends with a comment holding what it prints.
    const expected = code.split('\n').filter((line) => line.startsWith('console.log')).map((line) => line.split('// ')[1].trim());
    expect(expected).toHaveLength(3);
    // 'simdnet' resolves to this package itself (dist/node.js) from its own directory.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { cwd: root });
    expect(stdout.trim().split('\n')).toEqual(expected);
  });
});
