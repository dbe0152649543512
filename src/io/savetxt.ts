// The text files np.savetxt(path, array) writes: fmt '%.18e', values
// separated by ' ', one row per line, a 1-D array one value per line. Reading accepts what
// np.loadtxt accepts for them.
import { ModelFormatError, ShapeError } from '../errors.js';
import type { NamedTensor } from './tensor.js';

/**
 * '%.18e' of a number, exactly as numpy (C printf) prints it. toExponential is not enough: it
 * rounds exact ties up where printf rounds them to even, and float32 values do land on ties at
 * 19 significant digits (2^-28 = 3.7252902984619140625e-09 prints as …062e-09). So the exact
 * decimal expansion of the binary value is built with BigInt and rounded half-to-even.
 */
export function formatScientific(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) return `${sign}0.${'0'.repeat(18)}e+00`;
  // |value| = mantissa · 2^exponent exactly, with an integer mantissa.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent = biased - 1075;
  if (biased === 0) exponent = -1074; // subnormal
  else mantissa |= 1n << 52n;
  // Exact decimal digits and the power of ten of the last one.
  let digits: string;
  let lastPower: number;
  if (exponent >= 0) {
    digits = (mantissa << BigInt(exponent)).toString();
    lastPower = 0;
  } else {
    digits = (mantissa * 5n ** BigInt(-exponent)).toString();
    lastPower = exponent;
  }
  const decimalExponent = digits.length - 1 + lastPower;
  let kept = BigInt(digits.slice(0, 19).padEnd(19, '0'));
  const rest = digits.slice(19);
  if (rest.length) {
    const half = '5' + '0'.repeat(rest.length - 1);
    if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n;
  }
  let text = kept.toString();
  let power = decimalExponent;
  if (text.length > 19) {
    // Rounding carried into a new digit (9.99… → 10.0…).
    text = text.slice(0, 19);
    power += 1;
  }
  const exponentText = `${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
  return `${sign}${text[0]}.${text.slice(1)}e${exponentText}`;
}

export function formatSavetxt(tensor: NamedTensor): string {
  const { name, shape, data } = tensor;
  if (shape.length !== 1 && shape.length !== 2) {
    throw new ShapeError(`${name}: np.savetxt writes 1-D or 2-D arrays, not shape [${shape}]`);
  }
  if (shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new ShapeError(`${name}: shape [${shape}] does not hold ${data.length} values`);
  }
  const columns = shape.length === 2 ? shape[1] : 1;
  let text = '';
  for (let start = 0; start < data.length; start += columns) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(formatScientific(Number(data[start + c])));
    text += row.join(' ') + '\n';
  }
  return text;
}

/**
 * Reads what np.loadtxt reads: whitespace-separated numbers, one row per line, '#' comments and
 * blank lines ignored. A single row or a single column is 1-D, as np.loadtxt returns it. With
 * `expectedShape` the file must hold exactly that array; a 1-D one may be a column or a row.
 */
export function parseLoadtxt(text: string, name: string, expectedShape?: number[]): NamedTensor {
  const values: number[] = [];
  let rows = 0;
  let columns = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const tokens = line.split(/\s+/);
    if (rows > 0 && tokens.length !== columns) {
      throw new ModelFormatError(`${name}: line ${index + 1} has ${tokens.length} values, the first row has ${columns}`);
    }
    for (const token of tokens) {
      const value = parseNumber(token);
      if (value === undefined) {
        const shown = token.length > 40 ? `${token.slice(0, 40)}… (${token.length} characters)` : token;
        throw new ModelFormatError(`${name}: line ${index + 1}: '${shown}' is not a number`);
      }
      values.push(value);
    }
    columns = tokens.length;
    rows++;
  });
  const data = Float32Array.from(values);
  const shape = rows <= 1 || columns === 1 ? [values.length] : [rows, columns];
  if (!expectedShape) {
    if (rows === 0) throw new ModelFormatError(`${name}: no values`);
    return { name, shape, data };
  }
  const matches = expectedShape.length === 1
    ? shape.length === 1 && shape[0] === expectedShape[0]
    : expectedShape.length === 2 && rows === expectedShape[0] && (columns === expectedShape[1] || rows === 0);
  if (!matches) throw new ModelFormatError(`${name}: shape [${shape}] in the file, expected [${expectedShape}]`);
  return { name, shape: [...expectedShape], data };
}

/**
 * The tokens Python's float() accepts in such a file; undefined for anything else. Scanned by
 * hand in one pass: a regex with two digit runs side by side (\d+\.?\d*) backtracks
 * quadratically on a long malformed token (100k digits then a letter took 35 s).
 */
function parseNumber(token: string): number | undefined {
  const special = /^([+-]?)(nan|inf|infinity)$/i.exec(token);
  if (special) return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  return decimalTokenLength(token) === token.length && token.length > 0 ? Number(token) : undefined;
}

/**
 * How many leading characters of `token` form a decimal number [+-]?(digits[.digits?]|.digits)
 * (e[+-]?digits)?, or -1 when it does not start with one. Each character is read at most twice
 * (the exponent's marker again when no digits follow it).
 */
export function decimalTokenLength(token: string): number {
  const length = token.length;
  let i = 0;
  const at = (k: number) => (k < length ? token.charCodeAt(k) : -1);
  const digits = () => {
    const start = i;
    for (let c = at(i); c >= 48 && c <= 57; c = at(i)) i++;
    return i - start;
  };
  const sign = (c: number) => c === 43 || c === 45; // + -
  if (sign(at(i))) i++;
  let mantissaDigits = digits();
  if (at(i) === 46) { // .
    i++;
    mantissaDigits += digits();
  }
  if (mantissaDigits === 0) return -1;
  const e = at(i);
  if (e === 101 || e === 69) { // e E
    const mark = i++;
    if (sign(at(i))) i++;
    if (digits() === 0) i = mark;
  }
  return i;
}
