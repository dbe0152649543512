// The table loader's options and their exact refusals: missing, maxCategories, task, the column
// selection, the split fractions and seed, and loadTable's extension rule.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTable } from '../src/data/table-node.js';
import { splitRows } from '../src/data/table-split.js';
import { tableFromCsv, type TableOptions } from '../src/data/table.js';
import { DatasetError, ValueError } from '../src/errors.js';
import { expectRefusal } from './support/refusal.js';

const noSplit = { validation: 0, test: 0 };
// Two classes, a category column of two values and a numeric one.
const csv = 'c,x,y\nred,1,a\nblue,2,b\nred,3,a\nblue,4,b\n';


const table = (options: Partial<TableOptions>, text = csv) => tableFromCsv(text, { target: 'y', ...noSplit, ...options });

describe('table options', () => {
  it("takes missing: 'skip' as the default it is, and refuses any other word", () => {
    const text = 'x,y\n1,a\n,b\n3,b\n';
    expect(table({ missing: 'skip' }, text)).toEqual(table({}, text));
    expect(table({ missing: 'skip' }, text).skipped.rows).toEqual([1]);
    expectRefusal(() => table({ missing: 'drop' as 'skip' }), ValueError, `missing is "drop": use 'skip' or 'refuse'`);
  });

  it('accepts maxCategories 1 for a one-category column, and refuses one that is no positive integer', () => {
    expect(table({ maxCategories: 1 }, 'c,x,y\nred,1,a\nred,2,b\n').featureNames).toEqual(['c=red', 'x']);
    expectRefusal(() => table({ maxCategories: 1 }), DatasetError,
      'column "c" has 2 distinct values, more than maxCategories (1): exclude it if it identifies records, or raise maxCategories');
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectRefusal(() => table({ maxCategories: bad }), ValueError, `maxCategories is ${bad}: must be a positive integer`);
    }
  });

  it('refuses a task that is neither classification nor regression', () => {
    expectRefusal(() => table({ task: 'ranking' as 'regression' }), ValueError, `task is "ranking": use 'classification' or 'regression'`);
  });

  it('names the repeated feature list, a table with only the target, and a column mixing kinds in full', () => {
    expectRefusal(() => table({ features: ['x', 'c', 'x'] }), ValueError, 'features name a column twice: x, c, x');
    expectRefusal(() => tableFromCsv('y\na\nb\n', { target: 'y' }), ValueError, 'no feature columns: the table has only the target');
    expectRefusal(() => table({ features: ['x'] }, 'x,y\n1,a\n?,b\n'), DatasetError,
      'column "x" mixes kinds: record 0 holds number "1", record 1 text "?" (if one of them marks a missing value, add it to missingMarkers)');
  });

  it('leaves out an empty test split as it does an empty validation split', () => {
    const records = Array.from({ length: 20 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'}`).join('\n');
    const split = tableFromCsv(`x,y\n${records}\n`, { target: 'y', validation: 0.25, test: 0 });
    expect(split.validation!.count).toBe(5);
    expect('test' in split).toBe(false);
  });
});

describe('splitRows', () => {
  it('refuses a negative fraction, one of 1 or more, and a seed that is no integer, by name', () => {
    expectRefusal(() => splitRows(10, { validation: -0.1 }), ValueError, 'validation fraction is -0.1: must be in [0, 1)');
    expectRefusal(() => splitRows(10, { test: -0.5 }), ValueError, 'test fraction is -0.5: must be in [0, 1)');
    expectRefusal(() => splitRows(10, { test: 1 }), ValueError, 'test fraction is 1: must be in [0, 1)');
    expectRefusal(() => splitRows(10, { seed: 1.5 }), ValueError, 'seed is 1.5: must be an integer');
  });

  it('keeps a single training row, and refuses fractions that leave none', () => {
    // round(3 × 0.34) = 1 row each for test and validation, one left to train on.
    const { train, validation, test } = splitRows(3, { validation: 0.34, test: 0.34 });
    expect([train.length, validation.length, test.length]).toEqual([1, 1, 1]);
    expect([...train, ...validation, ...test].sort()).toEqual([0, 1, 2]);
    expectRefusal(() => splitRows(3, { validation: 0.5, test: 0.34 }), ValueError, 'validation 0.5 and test 0.34 leave no training rows out of 3');
  });
});

describe('loadTable', () => {
  it('refuses a path with no extension, or .csv or .json not at its end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-table-options-'));
    for (const name of ['table', 't.csv.gz', 't.json.bak']) {
      const path = join(dir, name);
      await writeFile(path, 'x,y\n1,a\n2,b\n');
      const error = await loadTable(path, { target: 'y', ...noSplit }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as Error).message).toBe(`${path}: a table file must end in .csv or .json`);
    }
  });
});
