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
// A gzip bomb: a header declaring 3 labels, then 64 MB of zeros (65 KB compressed).
const bomb = new Uint8Array(64 << 20);
bomb.set(labels(3));
const bombGz = gzipSync(bomb);
// What a single-page-app server (vite preview) sends for a file it does not have, and a JSON error.
const htmlPage = '<!doctype html>\n<html><head><title>app</title></head><body></body></html>\n';
for (const name of Object.keys(files)) if (!name.includes('.gz')) files[`${name}.gz`] = gzipSync(files[name]);
files['bomb.gz'] = bombGz;

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((request, response) => {
    const name = (request.url ?? '').replace(/^\/data\//, '');
    if (name.startsWith('spa/')) return void response.writeHead(200, { 'Content-Type': 'text/html' }).end(htmlPage);
    if (name === 'html-as-octets') return void response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(htmlPage);
    if (name === 'json') return void response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"error":"no"}');
    if (name === 'json-utf8') return void response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end('{"error":"no"}');
    if (name === 'untyped') return void response.writeHead(200).end('plain words');
    if (name === 'html-tag') return void response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end('\n  <HTML><body></body></HTML>');
    if (name === 'one-byte') return void response.writeHead(200).end(new Uint8Array([7]));
    if (name.startsWith('bytes/')) return void response.writeHead(200).end(Uint8Array.from(name.slice(6).split(','), Number));
    if (name === 'json-noting-html') return void response.writeHead(200, { 'Content-Type': 'application/json; note=text/html' }).end('{}');
    if (name === 'html-typed') return void response.writeHead(200, { 'Content-Type': 'text/html' }).end('plain words');
    if (name === 'encoded.gz') {
      // A server that marks .gz files Content-Encoding: gzip: fetch hands over the IDX bytes.
      return void response.writeHead(200, { 'Content-Encoding': 'gzip' }).end(files['train-labels-idx1-ubyte.gz']);
    }
    const body = files[name];
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

  it('says the server returned an HTML page (or something else), not "bad magic"', async () => {
    const url = `${base}spa/train-labels-idx1-ubyte.gz`;
    await expect(fetchIdx(url)).rejects.toThrow(DatasetError);
    await expect(fetchIdx(url)).rejects.toThrow(`the server returned an HTML page for ${url}, not the IDX file`);
    // Recognised by its content too, whatever the Content-Type says.
    await expect(fetchIdx(`${base}html-as-octets`)).rejects.toThrow(/the server returned an HTML page for .*html-as-octets/);
    await expect(fetchIdx(`${base}json`)).rejects.toThrow(/the server returned a response \(application\/json\) that is neither IDX nor gzip for .*json/);
    await expect(fetchMnist(`${base}spa/`, { suffix: '.gz' })).rejects.not.toThrow(/bad magic/);
  });

  it('takes a .gz file that the server sent already decoded (Content-Encoding: gzip)', async () => {
    const tensor = await fetchIdx(`${base}encoded.gz`);
    expect(tensor.dims).toEqual([6]);
    expect(Array.from(tensor.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('what the server sent instead', () => {
  const neither = (url: string, what: string) => new DatasetError(
    `the server returned ${what} for ${url}, not the IDX file: the file is not at that URL ` +
      '(copy the MNIST IDX files there, or pass the URL of the folder that holds them)',
  );

  it('a response type without its parameters, or none', async () => {
    await expect(fetchIdx(`${base}json-utf8`)).rejects.toThrow(neither(`${base}json-utf8`, 'a response (application/json) that is neither IDX nor gzip'));
    await expect(fetchIdx(`${base}untyped`)).rejects.toThrow(neither(`${base}untyped`, 'a response that is neither IDX nor gzip'));
  });

  it('an <html> page after white space, in any case', async () => {
    await expect(fetchIdx(`${base}html-tag`)).rejects.toThrow(neither(`${base}html-tag`, 'an HTML page'));
  });

  it('gzip by both magic bytes, IDX by two zero bytes: anything else is neither', async () => {
    for (const body of ['31,0,0,1', '0,139,0,1', '0,5,0,1', '5,0,0,1', '1,2']) {
      await expect(fetchIdx(`${base}bytes/${body}`), body).rejects.toThrow(neither(`${base}bytes/${body}`, 'a response that is neither IDX nor gzip'));
    }
  });

  it('an HTML page by its type, which must start with text/html', async () => {
    await expect(fetchIdx(`${base}html-typed`)).rejects.toThrow(neither(`${base}html-typed`, 'an HTML page'));
    await expect(fetchIdx(`${base}json-noting-html`)).rejects.toThrow(neither(`${base}json-noting-html`, 'a response (application/json) that is neither IDX nor gzip'));
  });

  it('a single byte is judged as IDX: too short to be a file', async () => {
    await expect(fetchIdx(`${base}one-byte`)).rejects.toThrow(IdxFormatError);
  });

  it('a request that fails names the URL and why', async () => {
    await expect(fetchIdx('http://127.0.0.1:1/nothing')).rejects.toThrow(/^cannot fetch http:\/\/127\.0\.0\.1:1\/nothing: .+/);
    await expect(fetchIdx(`${base}missing`)).rejects.toThrow(new DatasetError(`cannot fetch ${base}missing: HTTP 404`));
  });

  it('fetchMnist appends no suffix unless asked, and takes a URL object', async () => {
    const mnist = await fetchMnist(new URL(base), { normalize: false });
    expect(mnist.train.images[1]).toBe(1);
    // Whichever of the four fails first: each URL ends in the file's plain name.
    await expect(fetchMnist(`${base}spa/`)).rejects.toThrow(/the server returned an HTML page for http:\S+\/spa\/[a-z0-9-]+-idx[13]-ubyte, not the IDX file/);
  });
});

describe('bounded decompression (J)', () => {
  it('stops inflating a .gz once more than its header declares has arrived', async () => {
    await expect(fetchIdx(`${base}bomb.gz`)).rejects.toThrow(new IdxFormatError(`${base}bomb.gz: inflates to more than the 11 bytes its header declares`));
  });
});
