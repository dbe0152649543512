// The text files the references write with np.savetxt(path, array): fmt '%.18e', values
// separated by ' ', one row per line, a 1-D array one value per line. Reading accepts what
// np.loadtxt accepts for them.
import { ModelFormatError } from '../errors.js';
import type { NamedTensor } from './tensor.js';

/** '%.18e' of the float32 value widened to float64, exactly as numpy prints it. */
export function formatScientific(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  const text = value.toExponential(18); // e.g. '1.000000014901161194e-1'
  const [mantissa, exponent] = text.split('e');
  const sign = exponent[0] === '-' ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
  const negativeZero = Object.is(value, -0) ? '-' : '';
  return `${negativeZero}${mantissa}e${sign}${digits}`;
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
