// A small MNIST-shaped dataset on disk (the four IDX files), for CLI runs that must be quick:
// random pixels, labels a function of them so training has something to learn.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '../../src/data/idx.js';
import { MNIST_FILE_NAMES } from '../../src/data/mnist.js';
import { Random } from '../../src/random.js';

export interface TinyMnistOptions {
  train?: number;
  test?: number;
  /** Geometry of the test images (default that of the training images, 28×28). */
  testShape?: [number, number];
}

function split(count: number, rows: number, cols: number, random: Random) {
  const pixels = new Uint8Array(count * rows * cols);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < rows * cols; p++) pixels[i * rows * cols + p] = random.int(256);
    labels[i] = pixels[i * rows * cols] % 10;
  }
  return {
    images: encodeIdx({ dtype: 'uint8', dims: [count, rows, cols], data: pixels }),
    labels: encodeIdx({ dtype: 'uint8', dims: [count], data: labels }),
  };
}

/** A fresh folder holding the four files; returns its path. */
export async function tinyMnist(options: TinyMnistOptions = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'simdnet-tiny-mnist-'));
  const random = new Random(11);
  const train = split(options.train ?? 300, 28, 28, random);
  const [rows, cols] = options.testShape ?? [28, 28];
  const test = split(options.test ?? 100, rows, cols, random);
  await writeFile(join(dir, MNIST_FILE_NAMES.trainImages), train.images);
  await writeFile(join(dir, MNIST_FILE_NAMES.trainLabels), train.labels);
  await writeFile(join(dir, MNIST_FILE_NAMES.testImages), test.images);
  await writeFile(join(dir, MNIST_FILE_NAMES.testLabels), test.labels);
  return dir;
}
