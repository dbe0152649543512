// Checks on everything a caller hands the network, so that a wrong shape, a NaN or an
// out-of-range label is a clear error here instead of garbage (or a read past a buffer) in wasm.
import { ShapeError, ValueError } from './errors.js';
import type { Loss } from './layers.js';

/**
 * What a batch is compared with. Under softmax cross-entropy: class indices, or one-hot rows
 * [rows×classes] as Float32Array/Float64Array. Under binary cross-entropy: rows of 0..1 values
 * [rows×outputs]; under mse: real-valued rows [rows×outputs].
 */
export type Targets = Uint8Array | Int32Array | Uint16Array | number[] | Float32Array | Float64Array;

/**
 * How many values of `t` belong to one row under this loss (1 for class indices, outputs for
 * one-hot or real-valued rows); a ShapeError when `t` is not a whole number of rows.
 */
export function targetsPerRow(t: Targets, rows: number, outputs: number, loss: Loss): number {
  const oneHot = t instanceof Float32Array || t instanceof Float64Array;
  const perRow = loss === 'softmax-cross-entropy' && !oneHot ? 1 : outputs;
  if (t.length === rows * perRow) return perRow;
  if (loss !== 'softmax-cross-entropy') {
    throw new ShapeError(`${t.length} target values for ${rows} rows of ${outputs} outputs: ${loss} needs rows×outputs values`);
  }
  throw new ShapeError(oneHot
    ? `one-hot targets have ${t.length} values, expected rows×classes = ${rows}×${outputs}`
    : `${t.length} labels for ${rows} input rows`);
}

/**
 * Writes targets as the loss head reads them at `offset` of `buffer`: i32 class indices for
 * softmax cross-entropy, f32 rows [rows×outputs] otherwise (checked finite; in [0, 1] for BCE).
 */
export function writeTargets(t: Targets, rows: number, outputs: number, loss: Loss, buffer: ArrayBuffer, offset: number): void {
  if (loss === 'softmax-cross-entropy') {
    labelsToIndices(t, rows, outputs, new Int32Array(buffer, offset, rows));
    return;
  }
  targetsPerRow(t, rows, outputs, loss);
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (!Number.isFinite(v) || (loss === 'binary-cross-entropy' && !(v >= 0 && v <= 1))) {
      throw new ValueError(
        `target [${Math.floor(i / outputs)}][${i % outputs}] is ${v}: ${loss === 'mse' ? 'targets must be finite' : 'binary targets must be in [0, 1]'}`,
      );
    }
  }
  new Float32Array(buffer, offset, t.length).set(t);
}

/** Rows in x, which must be a whole number of rows of `inputSize` finite values. */
export function checkInputs(x: ArrayLike<number>, inputSize: number, what = 'x'): number {
  if (!(x instanceof Float32Array)) {
    throw new ShapeError(`${what} must be a Float32Array of [rows×${inputSize}] values`);
  }
  if (x.length === 0 || x.length % inputSize !== 0) {
    throw new ShapeError(
      `${what} has ${x.length} values, not a whole number of rows of inputSize ${inputSize}`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const row = Math.floor(i / inputSize);
      throw new ValueError(`${what}[${row}][${i % inputSize}] is ${x[i]}: inputs must be finite`);
    }
  }
  return x.length / inputSize;
}

/**
 * Writes the targets as i32 class indices into `out` (length = rows). Accepts integer labels
 * (typed arrays or number[]), or a float array of one-hot rows [rows×classes] as the
 * classic load_mnist(one_hot_label=True) produces.
 */
export function labelsToIndices(t: Targets, rows: number, classes: number, out: Int32Array): void {
  const oneHot = (t instanceof Float32Array || t instanceof Float64Array);
  if (oneHot) {
    if (t.length !== rows * classes) {
      throw new ShapeError(
        `one-hot targets have ${t.length} values, expected rows×classes = ${rows}×${classes}`,
      );
    }
    for (let r = 0; r < rows; r++) {
      let label = -1;
      for (let c = 0; c < classes; c++) {
        const v = t[r * classes + c];
        if (v === 1 && label < 0) label = c;
        else if (v !== 0) {
          throw new ValueError(
            `targets row ${r} is not one-hot (value ${v} at column ${c}); ` +
              'give class indices or rows of exactly one 1 and zeros',
          );
        }
      }
      if (label < 0) throw new ValueError(`targets row ${r} is all zeros: no class is marked`);
      out[r] = label;
    }
    return;
  }
  if (t.length !== rows) {
    throw new ShapeError(`${t.length} labels for ${rows} input rows`);
  }
  for (let r = 0; r < rows; r++) {
    const label = t[r];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ValueError(`label ${r} is ${label}: labels must be integers in [0, ${classes})`);
    }
    out[r] = label;
  }
}
