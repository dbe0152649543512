// checkTableTransform's refusals, one damage at a time with the exact message (a damaged
// transform must fail with a ModelFormatError there, never with a TypeError in a prediction), and
// applyTableTargets' refusal of a missing target.
import { describe, expect, it } from 'vitest';
import {
  applyTableTargets, checkTableTransform, decodeTableTransform, encodeTableTransform, type TableTransform,
} from '../src/data/table-transform.js';
import { tableFromCsv } from '../src/data/table.js';
import { DatasetError, ModelFormatError } from '../src/errors.js';
import { expectRefusal } from './support/refusal.js';

const noSplit = { validation: 0, test: 0 };
// Columns Origin (category), Year (date), hp (number): five features; target mpg (regression).
const cars = 'Origin,Year,hp,mpg\nUSA,1970-01-01,130,18\nJapan,1971-01-01,95,24\nEurope,1972-01-01,88,27\n';
const regression = tableFromCsv(cars, { target: 'mpg', features: ['Origin', 'Year', 'hp'], ...noSplit }).transform;
const classification = tableFromCsv('x,w\n1,sun\n2,rain\n', { target: 'w', ...noSplit }).transform;


/** A deep copy of `base` with `change` applied. */
function damaged(change: (t: Record<string, unknown> & TableTransform) => void, base: TableTransform = regression): unknown {
  const copy = structuredClone(base) as Record<string, unknown> & TableTransform;
  change(copy);
  return copy;
}

describe('checkTableTransform', () => {
  it('names "table transform" by default in checkTableTransform, decodeTableTransform and encodeTableTransform', () => {
    expectRefusal(() => checkTableTransform(null), ModelFormatError, 'table transform: not an object');
    expectRefusal(() => decodeTableTransform('null'), ModelFormatError, 'table transform: not an object');
    expectRefusal(() => decodeTableTransform('null', 'model.json'), ModelFormatError, 'model.json: not an object');
    expectRefusal(() => encodeTableTransform({ ...regression, stds: [] }), ModelFormatError, 'table transform: stds must be 5 finite numbers');
  });

  it('refuses null, a number and a list as the transform', () => {
    for (const value of [null, 3, 'text', [regression]]) {
      expectRefusal(() => checkTableTransform(value), ModelFormatError, 'table transform: not an object');
    }
  });

  it('refuses a target that is no column name', () => {
    for (const target of ['', 3, undefined]) {
      expectRefusal(() => checkTableTransform(damaged((t) => { t.target = target; })), ModelFormatError,
        'table transform: target is not a column name');
    }
  });

  it('refuses missingMarkers holding anything but strings', () => {
    expectRefusal(() => checkTableTransform(damaged((t) => { t.missingMarkers = ['NA', 1]; })), ModelFormatError,
      'table transform: missingMarkers is not a list of strings');
  });

  it('refuses classNames of one class or with a class twice', () => {
    for (const classNames of [['sun'], ['sun', 'rain', 'sun'], 'sun,rain']) {
      expectRefusal(() => checkTableTransform(damaged((t) => { t.classNames = classNames; }, classification)), ModelFormatError,
        'table transform: classNames must list at least two distinct classes');
    }
  });

  it('refuses columns that are no list or an empty one, and a column that is no object or has no name', () => {
    for (const columns of [{}, 'Origin', []]) {
      expectRefusal(() => checkTableTransform(damaged((t) => { t.columns = columns; })), ModelFormatError,
        'table transform: columns is not a non-empty list');
    }
    for (const column of [null, 3, { kind: 'number' }, { name: '', kind: 'number' }]) {
      expectRefusal(() => checkTableTransform(damaged((t) => { (t.columns as unknown[])[1] = column; })), ModelFormatError,
        'table transform: column 1 has no name');
    }
  });

  it('refuses categories that are no list of strings, or none', () => {
    for (const categories of ['USA', [], ['USA', 2]]) {
      expectRefusal(() => checkTableTransform(damaged((t) => { (t.columns[0] as { categories: unknown }).categories = categories; })),
        ModelFormatError, 'table transform: column "Origin": categories must be a non-empty list of distinct strings');
    }
  });

  it('refuses two columns of one name, and featureNames other than the columns give, listing those', () => {
    expectRefusal(() => checkTableTransform(damaged((t) => { t.columns[2].name = 'Year'; })), ModelFormatError,
      'table transform: a column is named twice');
    expectRefusal(() => checkTableTransform(damaged((t) => { t.featureNames = t.featureNames.slice(1); })), ModelFormatError,
      'table transform: featureNames do not match the columns (expected Origin=Europe, Origin=Japan, Origin=USA, Year, hp)');
  });

  it('refuses means and stds that are not finite numbers (a transform built in memory can hold NaN)', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '1']) {
      expectRefusal(() => checkTableTransform({ ...regression, means: [0, 0, bad, 0, 0] }), ModelFormatError,
        'table transform: means must be 5 finite numbers');
    }
  });
});

describe('applyTableTargets', () => {
  it('refuses a record whose target is missing, naming record and target', () => {
    expectRefusal(() => applyTableTargets(regression, [{ mpg: 20 }, { mpg: 'NA' }]), DatasetError, 'record 1, target "mpg": missing value');
    expectRefusal(() => applyTableTargets(classification, [{}]), DatasetError, 'record 0, target "w": missing value');
    expect(applyTableTargets(classification, [{ w: 'sun' }, { w: 'rain' }])).toEqual(Int32Array.from([1, 0]));
  });
});
