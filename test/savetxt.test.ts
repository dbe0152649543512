import { describe, expect, it } from 'vitest';
import { ModelFormatError, ShapeError } from '../src/errors.js';
import { decimalTokenLength, formatSavetxt, formatScientific, parseLoadtxt } from '../src/io/savetxt.js';

/** Deterministic float32 bit patterns over every exponent, denormals included. */
function randomFloat32(count: number, seed: number): Float32Array {
  const bits = new Uint32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    bits[i] = state;
  }
  const values = new Float32Array(bits.buffer);
  // NaN payloads need not survive text; keep the values finite.
  for (let i = 0; i < count; i++) if (!Number.isFinite(values[i])) values[i] = 0;
  return values;
}

describe('formatScientific (np.savetxt fmt %.18e)', () => {
  // Each expected string is what numpy 2.x writes for np.savetxt(f, np.array([v], np.float32)).
  it.each([
    [0.1, '1.000000014901161194e-01'],
    [-2.5, '-2.500000000000000000e+00'],
    [1e-30, '1.000000003171076851e-30'],
    [3.4028234663852886e38, '3.402823466385288598e+38'],
    [1.401298464324817e-45, '1.401298464324817071e-45'], // smallest denormal
    [1.1754942106924411e-38, '1.175494210692441075e-38'], // largest denormal
    [0, '0.000000000000000000e+00'],
    [-0, '-0.000000000000000000e+00'],
    [1, '1.000000000000000000e+00'],
    [123456792, '1.234567920000000000e+08'],
    // Exact ties at 19 digits: printf rounds half to even, toExponential would round up.
    [2 ** -28, '3.725290298461914062e-09'],
    [-(2 ** -28), '-3.725290298461914062e-09'],
    [3 * 2 ** -27, '2.235174179077148438e-08'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('%s → %s', (value, text) => {
    expect(formatScientific(Math.fround(value))).toBe(text);
  });

  it('formats any double as Python does, not only float32 values', () => {
    expect(formatScientific(0.9999999999999999)).toBe('9.999999999999998890e-01');
    expect(formatScientific(2 ** 63)).toBe('9.223372036854775808e+18');
    expect(formatScientific(1e20)).toBe('1.000000000000000000e+20');
    expect(formatScientific(5e-324)).toBe('4.940656458412465442e-324');
    // Fewer than 19 exact digits (2^52 has 16): padded with zeros.
    expect(formatScientific(2 ** 52)).toBe('4.503599627370496000e+15');
    expect(formatScientific(2 ** 53 + 2)).toBe('9.007199254740994000e+15');
  });
});

describe('formatSavetxt', () => {
  it('writes a 2-D tensor one row per line and a 1-D tensor one value per line', () => {
    expect(formatSavetxt({ name: 'W', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) })).toBe(
      '1.000000000000000000e+00 2.000000000000000000e+00\n3.000000000000000000e+00 4.000000000000000000e+00\n',
    );
    expect(formatSavetxt({ name: 'b', shape: [2], data: new Float32Array([1, -1]) })).toBe(
      '1.000000000000000000e+00\n-1.000000000000000000e+00\n',
    );
  });

  it('rejects shapes np.savetxt cannot write or that do not fit the data', () => {
    expect(() => formatSavetxt({ name: 'T', shape: [2, 2, 2], data: new Float32Array(8) })).toThrow(ShapeError);
    expect(() => formatSavetxt({ name: 'T', shape: [2, 2, 2], data: new Float32Array(8) }))
      .toThrow('T: np.savetxt writes 1-D or 2-D arrays, not shape [2,2,2]');
    expect(() => formatSavetxt({ name: 'W', shape: [2, 3], data: new Float32Array(5) })).toThrow(/\[2,3\] does not hold 5 values/);
  });
});

describe('parseLoadtxt', () => {
  it('round-trips 10,000 float32 values bit for bit, denormals included', () => {
    const data = randomFloat32(10_000, 7);
    data[0] = 1.401298464324817e-45;
    data[1] = -1.1754942106924411e-38;
    data[2] = 2 ** -28;
    const denormals = data.filter((v) => v !== 0 && Math.abs(v) < 1.1754943508222875e-38).length;
    expect(denormals).toBeGreaterThan(2);
    const back = parseLoadtxt(formatSavetxt({ name: 'W', shape: [100, 100], data }), 'W', [100, 100]);
    expect(back.shape).toEqual([100, 100]);
    expect(new Uint32Array(back.data.buffer)).toEqual(new Uint32Array(data.buffer));
  });

  it('reads what np.loadtxt reads: comments, blank lines, any whitespace, 1-D for one row or column', () => {
    expect(parseLoadtxt('# header\n1 2\n\n3\t4  # note\r\n', 'x')).toEqual({ name: 'x', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(parseLoadtxt('1.5\n2.5\n', 'b').shape).toEqual([2]);
    expect(parseLoadtxt('1 2 3\n', 'b').shape).toEqual([3]);
    expect(Array.from(parseLoadtxt('nan inf -inf +1e3 .5 -0\n', 'v').data)).toEqual([NaN, Infinity, -Infinity, 1000, 0.5, -0]);
    expect(parseLoadtxt('1   2\n 3 \t 4\n', 'x')).toEqual({ name: 'x', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(Array.from(parseLoadtxt('1E3 2e-1 -Infinity NAN\n', 'v').data)).toEqual([1000, Math.fround(0.2), -Infinity, NaN]);
  });

  it('accepts the expected shape, a 1-D one as a column or a row', () => {
    expect(parseLoadtxt('1\n2\n', 'b', [2]).shape).toEqual([2]);
    expect(parseLoadtxt('1 2\n', 'b', [2]).shape).toEqual([2]);
    expect(parseLoadtxt('1\n2\n', 'W', [2, 1]).shape).toEqual([2, 1]);
    expect(parseLoadtxt('1 2\n', 'W', [1, 2]).shape).toEqual([1, 2]);
    expect(parseLoadtxt('', 'e', [0]).data.length).toBe(0);
    expect(parseLoadtxt('# none\n', 'W', [0, 5])).toEqual({ name: 'W', shape: [0, 5], data: new Float32Array(0) });
  });

  it.each([
    ['ragged rows', '1 2\n3\n', undefined, /W1\.txt: line 2 has 1 values, the first row has 2/],
    ['a non-numeric token', '1 2\n3 x\n', undefined, /W1\.txt: line 2: 'x' is not a number/],
    ['a hex number', '0x10\n', undefined, /line 1: '0x10' is not a number/],
    ['a doubled sign', '--1\n', undefined, /'--1' is not a number/],
    ['an empty file', '# nothing\n', undefined, /W1\.txt: no values/],
    ['a 2-D file for a 1-D shape', '1 2\n3 4\n', [4], /shape \[2,2\] in the file, expected \[4\]/],
    ['a transposed matrix', '1 2 3\n4 5 6\n', [3, 2], /shape \[2,3\] in the file, expected \[3,2\]/],
    ['too few values', '1\n2\n', [3], /shape \[2\] in the file, expected \[3\]/],
    ['a 3-D shape', '1\n', [1, 1, 1], /expected \[1,1,1\]/],
    ['a 2-D file whose rows match a 1-D length', '1 2\n3 4\n', [2], /^W1\.txt: shape \[2,2\] in the file, expected \[2\]$/],
    ['one row too many', '1 2\n3 4\n5 6\n', [2, 2], /^W1\.txt: shape \[3,2\] in the file, expected \[2,2\]$/],
    ['one column too many', '1 2 3\n4 5 6\n', [2, 2], /^W1\.txt: shape \[2,3\] in the file, expected \[2,2\]$/],
    ['a word ending in inf', 'xinf\n', undefined, /^W1\.txt: line 1: 'xinf' is not a number$/],
    ['a word starting with nan', 'nanx\n', undefined, /^W1\.txt: line 1: 'nanx' is not a number$/],
    ['a 40-character token, shown whole', `${'z'.repeat(40)}\n`, undefined, new RegExp(`^W1\\.txt: line 1: '${'z'.repeat(40)}' is not a number$`)],
    ['a 41-character token, shown cut', `${'z'.repeat(41)}\n`, undefined, new RegExp(`^W1\\.txt: line 1: '${'z'.repeat(40)}… \\(41 characters\\)' is not a number$`)],
  ])('rejects %s with a ModelFormatError', (_, text, shape, message) => {
    expect(() => parseLoadtxt(text, 'W1.txt', shape)).toThrow(ModelFormatError);
    expect(() => parseLoadtxt(text, 'W1.txt', shape)).toThrow(message);
  });

  it('scans a number in one pass: a 100k-digit malformed token is rejected reading each character at most twice (K)', () => {
    // The old regex (\d+\.?\d*) split a digit run every possible way before failing: quadratic.
    let reads = 0;
    const counted = (text: string) => Object.assign(new String(text), {
      charCodeAt(k: number) {
        reads++;
        return text.charCodeAt(k);
      },
    }) as unknown as string;
    const digits = '1'.repeat(100_000);
    for (const [token, valid] of [[`${digits}x`, 100_000], [`${digits}.${digits}e+`, 200_001], [`-.${digits}e-12`, 100_006], ['1e', 1], ['.', -1], ['+', -1]] as const) {
      reads = 0;
      expect(decimalTokenLength(counted(token)), token.slice(-8)).toBe(valid);
      expect(reads).toBeLessThanOrEqual(2 * token.length + 2);
    }
    expect(() => parseLoadtxt(`1 ${digits}x\n`, 'W1.txt')).toThrow(/line 1: '1{40}… \(100001 characters\)' is not a number/);
    expect(parseLoadtxt(`${digits}e-99999\n`, 'b').data[0]).toBeCloseTo(1.1111111, 5);
  });
});
