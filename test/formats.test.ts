import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accuracyChartSvg } from '../src/chart.js';
import { ModelFormatError } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { crc32 } from '../src/io/crc32.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { formatSavetxt, formatScientific, parseLoadtxt } from '../src/io/savetxt.js';
import { randomArray } from './support/reference.js';

describe('np.savetxt format', () => {
  it.each([
    // Printed by numpy 1.x: np.savetxt(f, np.array([...], dtype=np.float32)).
    [0.1, '1.000000014901161194e-01'],
    [-2.5, '-2.500000000000000000e+00'],
    [0, '0.000000000000000000e+00'],
    [-0, '-0.000000000000000000e+00'],
    [1e-30, '1.000000003171076851e-30'],
    [3.4028234663852886e38, '3.402823466385288598e+38'],
    [1.401298464324817e-45, '1.401298464324817071e-45'],
    [2 ** -28, '3.725290298461914062e-09'], // an exact tie at 19 digits: printf rounds to even
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ])('%s → %s', (value, text) => {
    expect(formatScientific(Math.fround(value))).toBe(text);
  });

  it('writes a 2-D tensor row per line and a 1-D tensor value per line', () => {
    expect(formatSavetxt({ name: 'W', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) })).toBe(
      '1.000000000000000000e+00 2.000000000000000000e+00\n3.000000000000000000e+00 4.000000000000000000e+00\n',
    );
    expect(formatSavetxt({ name: 'b', shape: [2], data: new Float32Array([1, -1]) })).toBe(
      '1.000000000000000000e+00\n-1.000000000000000000e+00\n',
    );
  });

  it('round-trips float32 bit for bit, denormals included', () => {
    const data = randomArray(10000, 3).map((v, i) => v * 10 ** ((i % 80) - 40));
    data[0] = 1e-45;
    data[1] = -3e-39;
    const text = formatSavetxt({ name: 'W', shape: [100, 100], data });
    const back = parseLoadtxt(text, 'W', [100, 100]);
    expect(back.data).toEqual(data);
    expect(parseLoadtxt('# comment\n1 2\n\n3 4\n', 'x').shape).toEqual([2, 2]);
    expect(parseLoadtxt('1.5\n2.5\n', 'b').shape).toEqual([2]);
  });

  it.each([
    ['1 2\n3\n', /line 2 has 1 values, the first row has 2/],
    ['1 x\n', /line 1: 'x' is not a number/],
    ['', /no values/],
    ['1 2\n3 4\n', /shape \[2,2\] in the file, expected \[4\]/],
  ])('rejects %j', (text, message) => {
    expect(() => parseLoadtxt(text, 'W1.txt', text.startsWith('1 2\n3 4') ? [4] : undefined)).toThrow(ModelFormatError);
    expect(() => parseLoadtxt(text, 'W1.txt', text.startsWith('1 2\n3 4') ? [4] : undefined)).toThrow(message);
  });
});

describe('safetensors', () => {
  const tensors = [
    { name: 'W1', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { name: 'b1', shape: [3], data: new Float32Array([0.5, -0.5, 0]) },
  ];

  it('round-trips tensors and metadata', () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { format: 'test' }));
    expect(decoded.tensors).toEqual(tensors);
    expect(decoded.metadata).toEqual({ format: 'test' });
  });

  it('lays out the header as the format specifies', () => {
    const bytes = encodeSafetensors([{ name: 'a', shape: [1], data: new Float32Array([1]) }]);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    const crc = crc32(new Uint8Array([0, 0, 0x80, 0x3f])).toString(16).padStart(8, '0');
    expect(header.trimEnd()).toBe(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"crc32":"${crc}"}}`);
    expect(Array.from(bytes.subarray(8 + headerLength))).toEqual([0, 0, 0x80, 0x3f]); // 1.0f little-endian
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  const good = encodeSafetensors(tensors);
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
  const withHeader = (header: object, dataBytes = 36) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  const flipped = good.slice();
  flipped[8 + headerLength + 5] ^= 1;
  it.each([
    ['a 5-byte file', good.subarray(0, 5), /too short for the 8-byte header length/],
    ['a truncated header', good.subarray(0, 20), /header length \d+ runs past the end/],
    ['a truncated data section', good.subarray(0, good.length - 4), /ends at byte 36 of a 32-byte data section/],
    ['a header that is not JSON', withHeader({}).fill(65, 8, 10), /not valid JSON/],
    ['a JSON array header', withHeader([1]), /not a JSON object/],
    ['an F16 tensor', withHeader({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), /dtype F16: only F32 is supported/],
    ['a shape that disagrees with the offsets', withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes, data_offsets span 8/],
    ['overlapping tensors', withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /overlapping or non-contiguous/],
    ['trailing bytes', Uint8Array.from([...good, 0, 0, 0, 0]), /4 trailing bytes/],
    ['a flipped data bit', flipped, /checksum mismatch: file is corrupt/],
  ])('rejects %s with a ModelFormatError', (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes, 'm.safetensors')).toThrow(ModelFormatError);
    expect(() => decodeSafetensors(bytes, 'm.safetensors')).toThrow(message);
  });
});

describe('writeFileAtomic', () => {
  it('writes, overwrites, and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-'));
    const path = join(dir, 'sub', 'file.txt');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, new TextEncoder().encode('second'));
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(join(dir, 'sub'))).toEqual(['file.txt']);
  });

  it('on failure keeps the old target and removes its temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-atomic-'));
    const target = join(dir, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['target']);
    expect(await readFile(join(target, 'keep'), 'utf8')).toBe('x');
  });
});

describe('accuracy chart', () => {
  it('draws every point of both series, escapes text, never prints NaN', () => {
    const svg = accuracyChartSvg(
      [{ label: 'train <acc>', values: [0.1, 0.8, 0.9] }, { label: 'test & acc', values: [0.1, 0.82, NaN], dashed: true }],
      { title: 'a "title"', xLabel: 'epochs', yLabel: 'accuracy' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle /g)?.length).toBe(3);
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="6"/g)?.length).toBe(2);
    expect(svg).toContain('train &lt;acc&gt;');
    expect(svg).toContain('test &amp; acc');
    expect(svg).toContain('a &quot;title&quot;');
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(accuracyChartSvg([{ label: 'one', values: [0.5] }])).not.toMatch(/NaN/);
  });
});
