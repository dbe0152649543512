import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchIdx, fetchMnist } from '../src/data/mnist-fetch.js';
import { encodeIdx } from '../src/data/idx.js';
import { DatasetError, IdxFormatError } from '../src/errors.js';

// A loopback server standing in for a web server hosting the IDX files.
const images = (count: number) => encodeIdx({ dtype: 'uint8', dims: [count, 2, 2], data: Uint8Array.from({ length: count * 4 }, (_, i) => i % 256) });
const labels = (count: number) => encodeIdx({ dtype: 'uint8', dims: [count], data: Uint8Array.from({ length: count }, (_, i) => i % 10) });
const files: Record<string, Uint8Array> = {
  'train-images-idx3-ubyte': images(6), 'train-labels-idx1-ubyte': labels(6),
  't10k-images-idx3-ubyte': images(3), 't10k-labels-idx1-ubyte': labels(3),
  'truncated-idx1-ubyte': labels(5).subarray(0, 10),
  'corrupt.gz': new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]),
};
for (const name of Object.keys(files)) if (!name.includes('.gz')) files[`${name}.gz`] = gzipSync(files[name]);

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((request, response) => {
    const body = files[(request.url ?? '').replace(/^\/data\//, '')];
    if (!body) return void response.writeHead(404).end();
    response.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/data/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('MNIST over fetch', () => {
  it('loads the four files, raw or gzipped (DecompressionStream)', async () => {
    for (const suffix of ['', '.gz']) {
      const mnist = await fetchMnist(base, { suffix });
      expect([mnist.train.count, mnist.test.count]).toEqual([6, 3]);
      expect(mnist.train.images[1]).toBeCloseTo(1 / 255, 7);
      expect(Array.from(mnist.test.labels)).toEqual([0, 1, 2]);
    }
  });

  it('names what went wrong, with the same typed errors as the Node loader', async () => {
    await expect(fetchIdx(`${base}missing`)).rejects.toThrow(DatasetError);
    await expect(fetchIdx(`${base}missing`)).rejects.toThrow(/HTTP 404/);
    await expect(fetchIdx(`${base}truncated-idx1-ubyte`)).rejects.toThrow(/truncated: dimensions \[5\] need 5 bytes of payload, found 2/);
    await expect(fetchIdx(`${base}truncated-idx1-ubyte.gz`)).rejects.toThrow(IdxFormatError);
    await expect(fetchIdx(`${base}corrupt.gz`)).rejects.toThrow(/corrupt.gz: not a valid gzip stream/);
    await expect(fetchIdx('http://127.0.0.1:1/nothing')).rejects.toThrow(/cannot fetch/);
  });
});
