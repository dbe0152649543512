import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../src/errors.js';
import { checkInputs, labelsToIndices, type Targets } from '../src/inputs.js';

const indices = (t: Targets, rows: number, classes: number) => {
  const out = new Int32Array(rows).fill(-7);
  labelsToIndices(t, rows, classes, out);
  return Array.from(out);
};

describe('labelsToIndices', () => {
  it('reads class indices from every integer array type', () => {
    for (const t of [[2, 0, 1], Uint8Array.of(2, 0, 1), Uint16Array.of(2, 0, 1), Int32Array.of(2, 0, 1)]) {
      expect(indices(t, 3, 3)).toEqual([2, 0, 1]);
    }
  });

  it('reads one-hot rows, f32 or f64, with the 1 in any column', () => {
    const rows = [[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]];
    expect(indices(Float32Array.from(rows.flat()), 4, 4)).toEqual([0, 3, 1, 2]);
    expect(indices(Float64Array.from(rows.flat()), 4, 4)).toEqual([0, 3, 1, 2]);
  });

  it.each([
    ['two ones', [0, 1, 1, 1, 0, 0], /targets row 0 is not one-hot \(value 1 at column 2\)/],
    ['two ones, the second in the last column', [1, 0, 0, 0, 1, 1], /targets row 1 is not one-hot \(value 1 at column 2\)/],
    ['two ones, the first in column 0', [1, 1, 0, 1, 0, 0], /targets row 0 is not one-hot \(value 1 at column 1\); give class indices or rows of exactly one 1 and zeros$/],
    ['a row of zeros', [0, 0, 1, 0, 0, 0], /targets row 1 is all zeros: no class is marked/],
    ['a fraction', [0, 0, 1, 0.5, 0.5, 0], /targets row 1 is not one-hot \(value 0.5 at column 0\)/],
    ['a 1 beside a -1', [1, -1, 0, 0, 0, 1], /targets row 0 is not one-hot \(value -1 at column 1\)/],
    ['a NaN', [0, NaN, 1, 0, 1, 0], /targets row 0 is not one-hot \(value NaN at column 1\)/],
  ])('rejects one-hot rows with %s as a ValueError naming the row', (_, values, message) => {
    for (const t of [Float32Array.from(values), Float64Array.from(values)]) {
      expect(() => indices(t, 2, 3)).toThrow(ValueError);
      expect(() => indices(t, 2, 3)).toThrow(message);
    }
  });

  it('rejects one-hot targets of the wrong size as a ShapeError', () => {
    expect(() => indices(new Float32Array(5), 2, 3)).toThrow(ShapeError);
    expect(() => indices(new Float32Array(7), 2, 3)).toThrow(/one-hot targets have 7 values, expected rows×classes = 2×3/);
  });

  it.each([
    [[0, 3], /label 1 is 3: labels must be integers in \[0, 3\)/],
    [[-1, 0], /label 0 is -1/],
    [[0, 1.5], /label 1 is 1.5/],
    [[NaN, 0], /label 0 is NaN/],
  ])('rejects the labels %o as a ValueError', (t, message) => {
    expect(() => indices(t, 2, 3)).toThrow(ValueError);
    expect(() => indices(t, 2, 3)).toThrow(message);
  });

  it('rejects a label count that is not the row count as a ShapeError', () => {
    expect(() => indices([0], 2, 3)).toThrow(ShapeError);
    expect(() => indices([0, 1, 2], 2, 3)).toThrow(/3 labels for 2 input rows/);
  });

  it('accepts the extremes 0 and classes − 1', () => {
    expect(indices([0, 2], 2, 3)).toEqual([0, 2]);
  });
});

describe('checkInputs', () => {
  it('returns the row count of whole rows', () => {
    expect(checkInputs(new Float32Array(12), 4)).toBe(3);
    expect(checkInputs(new Float32Array(4), 4)).toBe(1);
  });

  it('rejects what is not a Float32Array, or not whole rows, as a ShapeError naming the input', () => {
    expect(() => checkInputs(new Float64Array(4), 4)).toThrow(/x must be a Float32Array of \[rows×4\] values/);
    expect(() => checkInputs([1, 2, 3, 4], 4, 'images')).toThrow(/images must be a Float32Array/);
    expect(() => checkInputs(new Float32Array(0), 4)).toThrow(ShapeError);
    expect(() => checkInputs(new Float32Array(6), 4)).toThrow(/x has 6 values, not a whole number of rows of inputSize 4/);
  });

  it.each([NaN, Infinity, -Infinity])('rejects %s as a ValueError naming the element', (bad) => {
    const x = new Float32Array(12);
    x[9] = bad;
    expect(() => checkInputs(x, 4)).toThrow(ValueError);
    expect(() => checkInputs(x, 4)).toThrow(`x[2][1] is ${bad}: inputs must be finite`);
    x[9] = 0;
    x[11] = bad;
    expect(() => checkInputs(x, 4)).toThrow(`x[2][3] is ${bad}`);
  });
});
