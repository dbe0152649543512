import { describe, expect, it } from 'vitest';
import { ModelFormatError, ShapeError, ValueError } from '../src/errors.js';
import { crc32 } from '../src/io/crc32.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';

const tensors = [
  { name: 'W1', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'b1', shape: [3], data: new Float32Array([0.5, -0.5, 0]) },
];

/** A file with exactly this header JSON (unpadded, no checksum) and `dataBytes` zero bytes of data. */
function fileWithHeader(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

describe('crc32', () => {
  it('gives the standard check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips tensors (in order) and metadata', () => {
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { format: 'test', note: 'ünïcode' }));
    expect(decoded.tensors).toEqual(tensors);
    expect(decoded.metadata).toEqual({ format: 'test', note: 'ünïcode' });
  });

  it('round-trips every float32 bit pattern class: ±0, denormals, extremes, infinities', () => {
    const data = new Float32Array([0, -0, 1e-45, -1e-45, 3.4028234663852886e38, -Infinity, Infinity, Math.PI]);
    const [back] = decodeSafetensors(encodeSafetensors([{ name: 'x', shape: [8], data }])).tensors;
    expect(new Uint32Array(back.data.buffer)).toEqual(new Uint32Array(data.buffer));
  });

  it('round-trips an I64 count, 8 bytes little-endian, beside F32 and I32 tensors', () => {
    const counts = { name: 'n', shape: [] as number[], data: BigInt64Array.from([2n ** 40n + 3n]) };
    const all = [{ name: 'a', shape: [1], data: new Float32Array([1]) }, counts, { name: 'i', shape: [1], data: Int32Array.from([-2]) }];
    const bytes = encodeSafetensors(all);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.tensors).toEqual(all);
    expect(Array.from(bytes.subarray(bytes.length - 12, bytes.length - 4))).toEqual([3, 0, 0, 0, 0, 1, 0, 0]);
    // Its data_offsets span 8 bytes a value: a span of 4 is refused.
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    expect(header.n).toEqual({ dtype: 'I64', shape: [], data_offsets: [4, 12] });
  });

  it('lays out a tiny tensor byte for byte as the format specifies', () => {
    const bytes = encodeSafetensors([{ name: 'a', shape: [1], data: new Float32Array([1]) }]);
    // 90 bytes of JSON, padded with spaces to 96; aca16a6a is the CRC-32 of the 4 data bytes.
    const json = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"crc32":"aca16a6a"}}';
    expect(crc32(new Uint8Array([0x00, 0x00, 0x80, 0x3f]))).toBe(0xaca16a6a);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([96, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(8, 104))).toBe(json + ' '.repeat(6));
    expect(Array.from(bytes.subarray(104))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f little-endian
  });

  it('decodes from an unaligned view into fresh, aligned arrays', () => {
    const encoded = encodeSafetensors(tensors);
    const shifted = new Uint8Array(encoded.length + 3);
    shifted.set(encoded, 3);
    const view = shifted.subarray(3);
    const decoded = decodeSafetensors(view);
    expect(decoded.tensors).toEqual(tensors);
    for (const t of decoded.tensors) {
      expect(t.data.buffer).not.toBe(shifted.buffer);
      expect(t.data.byteOffset % 4).toBe(0);
    }
  });

  it('accepts a file without a checksum or metadata, and zero-sized tensors', () => {
    const bytes = fileWithHeader({ e: f32([0, 5], 0, 0), a: f32([1], 0, 4) }, 4);
    const { tensors: decoded, metadata } = decodeSafetensors(bytes);
    expect(decoded.map((t) => [t.name, t.shape])).toEqual([['e', [0, 5]], ['a', [1]]]);
    expect(metadata).toEqual({});
  });

  it('decodes tensors listed in any order in the header, returning them in data order', () => {
    const values = (from: number, count: number) => Float32Array.from({ length: count }, (_, i) => from + i);
    const bytes = fileWithHeader({ c: f32([1], 16, 20), a: f32([2], 0, 8), d: f32([3], 20, 32), b: f32([2], 8, 16) }, 32);
    const view = new DataView(bytes.buffer);
    values(1, 8).forEach((v, i) => view.setFloat32(bytes.length - 32 + 4 * i, v, true));
    expect(decodeSafetensors(bytes).tensors).toEqual([
      { name: 'a', shape: [2], data: values(1, 2) },
      { name: 'b', shape: [2], data: values(3, 2) },
      { name: 'c', shape: [1], data: values(5, 1) },
      { name: 'd', shape: [3], data: values(6, 3) },
    ]);
  });

  it('writes the checksum as 8 hex digits, leading zeros included', () => {
    // The first single-float tensor whose CRC-32 is below 0x10000000 (about one in 16 is).
    let data = new Float32Array(1);
    while (crc32(new Uint8Array(data.buffer)) >= 0x10000000) data = Float32Array.of(data[0] + 1);
    const bytes = encodeSafetensors([{ name: 'x', shape: [1], data }]);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, bytes.length - 4)));
    expect(header.__metadata__.crc32).toBe(crc32(new Uint8Array(data.buffer)).toString(16).padStart(8, '0'));
    expect(header.__metadata__.crc32).toMatch(/^0[0-9a-f]{7}$/);
  });

  it('encodes zero-sized tensors', () => {
    const empty = { name: 'e', shape: [0, 3], data: new Float32Array(0) };
    expect(decodeSafetensors(encodeSafetensors([empty, tensors[1]])).tensors).toEqual([empty, tensors[1]]);
  });

  it('rejects tensors it cannot encode', () => {
    expect(() => encodeSafetensors([{ name: 'W', shape: [2, 2], data: new Float32Array(3) }])).toThrow(ShapeError);
    expect(() => encodeSafetensors([{ name: 'W', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/^W: shape \[2,2\] does not hold 3 values$/);
    expect(() => encodeSafetensors([{ name: 'W', shape: [-1, -3], data: new Float32Array(3) }])).toThrow(/W: shape \[-1,-3\] does not hold 3 values/);
    expect(() => encodeSafetensors([{ name: 'W', shape: [3, -1, -1], data: new Float32Array(3) }])).toThrow(ShapeError);
    expect(() => encodeSafetensors([{ name: 'W', shape: [1.5, 2], data: new Float32Array(3) }])).toThrow(ShapeError);
    expect(() => encodeSafetensors([tensors[1], tensors[1]])).toThrow(/^tensor name 'b1' is reserved or repeated$/);
    expect(() => encodeSafetensors([{ ...tensors[1], name: '__metadata__' }])).toThrow(ValueError);
  });

  const good = encodeSafetensors(tensors);
  const dataStart = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));
  const flipped = good.slice();
  flipped[dataStart + 5] ^= 0x01;
  const withLength = (length: bigint) => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setBigUint64(0, length, true);
    return bytes;
  };

  it.each([
    ['an empty file', new Uint8Array(0), /only 0 bytes: too short for the 8-byte header length/],
    ['a 5-byte file', good.subarray(0, 5), /only 5 bytes: too short/],
    ['a header length beyond the file', withLength(1n << 40n), /header length 1099511627776 runs past the end/],
    ['a truncated header', good.subarray(0, 20), /header length \d+ runs past the end of the 20-byte file/],
    ['a header 4 bytes longer than the file', withLength(BigInt(good.length - 8 + 4)), /header length \d+ runs past the end/],
    ['an 8-byte file with an empty header', withLength(0n).subarray(0, 8), /header is not valid JSON/],
    ['a header that is not JSON', fileWithHeader({}, 0).fill(0x41, 8, 9), /header is not valid JSON/],
    ['a header that is not UTF-8', fileWithHeader({ a: 'x' }, 0).fill(0xff, 14, 15), /header is not valid JSON/],
    ['an empty header', withLength(0n), /header is not valid JSON/],
    ['a JSON array header', fileWithHeader([1], 0), /header is not a JSON object/],
    ['a JSON null header', fileWithHeader(null, 0), /header is not a JSON object/],
    ['non-string metadata', fileWithHeader({ __metadata__: { n: 1 } }, 0), /__metadata__ must map names to strings/],
    ['a tensor entry that is not an object', fileWithHeader({ a: 3 }, 0), /tensor 'a' is not described by an object/],
    ['an F16 tensor', fileWithHeader({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), /tensor 'a' has dtype F16: only F32, I32 and I64 are supported/],
    ['a missing dtype', fileWithHeader({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /dtype undefined: only F32, I32 and I64 are supported/],
    ['an I64 tensor given 4 bytes a value', fileWithHeader({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 4] } }, 4), /shape \[1\] needs 8 bytes, data_offsets span 4/],
    ['a fractional dimension', fileWithHeader({ a: f32([1.5], 0, 6) }, 6), /tensor 'a' has no valid shape/],
    ['negative dimensions', fileWithHeader({ a: f32([-1, -1], 0, 4) }, 4), /tensor 'a' has no valid shape/],
    ['one negative dimension among valid ones', fileWithHeader({ a: f32([2, -1], 0, 4) }, 4), /tensor 'a' has no valid shape/],
    ['a negative offset', fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, 4), /no valid data_offsets/],
    ['one data offset', fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, 4), /tensor 'a' has no valid data_offsets/],
    ['three data offsets', fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, 4), /tensor 'a' has no valid data_offsets/],
    ['data offsets that are not an array', fileWithHeader({ a: { dtype: 'F32', shape: [1], data_offsets: { 0: 0, 1: 4 } } }, 4), /tensor 'a' has no valid data_offsets/],
    ['a shape that disagrees with the offsets', fileWithHeader({ a: f32([3], 0, 8) }, 8), /tensor 'a': shape \[3\] needs 12 bytes, data_offsets span 8/],
    ['reversed offsets', fileWithHeader({ a: f32([0], 4, 0) }, 4), /needs 0 bytes, data_offsets span -4/],
    ['offsets past the data', fileWithHeader({ a: f32([2], 4, 12) }, 8), /tensor 'a' ends at byte 12 of a 8-byte data section/],
    ['a truncated data section', good.subarray(0, good.length - 4), /ends at byte 36 of a 32-byte data section/],
    ['overlapping tensors', fileWithHeader({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), /tensor 'b' starts at byte 4, expected 8: overlapping or non-contiguous/],
    ['a gap between tensors', fileWithHeader({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), /tensor 'b' starts at byte 8, expected 4: overlapping or non-contiguous/],
    ['data not starting at 0', fileWithHeader({ a: f32([1], 4, 8) }, 8), /starts at byte 4, expected 0/],
    ['trailing bytes', Uint8Array.from([...good, 0, 0, 0, 0]), /4 trailing bytes after the last tensor/],
    ['a flipped data bit', flipped, /checksum mismatch: file is corrupt/],
  ])('rejects %s with a ModelFormatError naming the source', (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes, 'm.safetensors')).toThrow(ModelFormatError);
    expect(() => decodeSafetensors(bytes, 'm.safetensors')).toThrow(/^m\.safetensors: /);
    expect(() => decodeSafetensors(bytes, 'm.safetensors')).toThrow(message);
  });

  it('refuses a header longer than the format allows (100 MB), before parsing it', () => {
    const length = 100_000_008;
    const bytes = new Uint8Array(8 + length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(length), true);
    expect(() => decodeSafetensors(bytes, 'm')).toThrow(/m: header length 100000008 exceeds the format's limit of 100000000 bytes/);
  });

  it('names the input "safetensors data" when no source is given', () => {
    expect(() => decodeSafetensors(new Uint8Array(3))).toThrow(/^safetensors data: only 3 bytes/);
  });

  it('detects any single flipped data byte', () => {
    for (let i = dataStart; i < good.length; i++) {
      const corrupt = good.slice();
      corrupt[i] ^= 0x80;
      expect(() => decodeSafetensors(corrupt)).toThrow(/checksum mismatch: file is corrupt/);
    }
  });
});
