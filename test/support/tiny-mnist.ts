// Small MNIST-shaped datasets on disk (the four IDX files), for CLI runs that must be quick:
// random pixels with labels a function of them so training has something to learn, or the first
// rows of the real MNIST.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '../../src/data/idx.js';
import { MNIST_FILE_NAMES, type Mnist } from '../../src/data/mnist.js';
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

/** A fresh folder holding the first `train` and `test` images of `mnist` (loaded with normalize: false). */
export async function mnistSlice(mnist: Mnist, train = 300, test = 100): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'simdnet-mnist-slice-'));
  const write = (name: string, dims: number[], values: Float32Array | Uint8Array) =>
    writeFile(join(dir, name), encodeIdx({ dtype: 'uint8', dims, data: Uint8Array.from(values) }));
  await write(MNIST_FILE_NAMES.trainImages, [train, 28, 28], mnist.train.images.subarray(0, train * 784));
  await write(MNIST_FILE_NAMES.trainLabels, [train], mnist.train.labels.subarray(0, train));
  await write(MNIST_FILE_NAMES.testImages, [test, 28, 28], mnist.test.images.subarray(0, test * 784));
  await write(MNIST_FILE_NAMES.testLabels, [test], mnist.test.labels.subarray(0, test));
  return dir;
}
