// The text files the references write with np.savetxt(path, array): fmt '%.18e', values
// separated by ' ', one row per line, a 1-D array one value per line. Reading accepts what
// np.loadtxt accepts for them.
import { ModelFormatError } from '../errors.js';
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
  const columns = tensor.shape.length === 2 ? tensor.shape[1] : 1;
  const lines: string[] = [];
  for (let start = 0; start < tensor.data.length; start += columns) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(formatScientific(tensor.data[start + c]));
    lines.push(row.join(' '));
  }
  return lines.join('\n') + '\n';
}

export function parseLoadtxt(text: string, name: string, expectedShape?: number[]): NamedTensor {
  const rows: number[][] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const values = line.split(/\s+/).map((token) => {
      const value = parseNumber(token);
      if (value === undefined) throw new ModelFormatError(`${name}: line ${index + 1}: '${token}' is not a number`);
      return value;
    });
    if (rows.length && values.length !== rows[0].length) {
      throw new ModelFormatError(`${name}: line ${index + 1} has ${values.length} values, the first row has ${rows[0].length}`);
    }
    rows.push(values);
  });
  if (!rows.length) throw new ModelFormatError(`${name}: no values`);
  const columns = rows[0].length;
  const shape = columns === 1 ? [rows.length] : [rows.length, columns];
  // np.loadtxt reads a single-row file as 1-D too.
  const normalized = expectedShape?.length === 1 && rows.length === 1 ? [columns] : shape;
  if (expectedShape && normalized.join(',') !== expectedShape.join(',')) {
    throw new ModelFormatError(`${name}: shape [${normalized}] in the file, expected [${expectedShape}]`);
  }
  return { name, shape: expectedShape ? [...expectedShape] : shape, data: Float32Array.from(rows.flat()) };
}

function parseNumber(token: string): number | undefined {
  const lower = token.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(token)) return undefined;
  return Number(token);
}
