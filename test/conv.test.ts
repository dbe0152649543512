// Convolution and pooling layers (assembly/layers/conv2d.ts, pool.ts): forward against a plain
// float64 TypeScript reference on awkward shapes (odd sizes, stride 2, padding 1 and 2, channels
// not multiples of 4, batches of 1 and 3), max pooling's tie rule, and whole networks checked
// against the numerical gradient; their model files.
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, ValueError } from '../src/errors.js';
import { compareGradients } from '../src/gradient-check.js';
import {
  avgPool2d, conv2d, dense, flatten, maxPool2d, relu, tanh, type ImageShape, type LayerSpec, type Loss,
} from '../src/layers.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { assignSavetxtFiles, decodeModel, encodeModel, modelFromBytes, savetxtFiles } from '../src/model.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

/** nn.Conv2d's forward in float64: x [rows×C×H×W], w [O×C×kh×kw], b [O]. */
function referenceConv(
  x: Float32Array, rows: number, [channels, height, width]: ImageShape, w: Float32Array, b: Float32Array,
  out: number, [kh, kw]: [number, number], stride: number, padding: number,
): Float64Array {
  const oh = Math.floor((height + 2 * padding - kh) / stride) + 1;
  const ow = Math.floor((width + 2 * padding - kw) / stride) + 1;
  const y = new Float64Array(rows * out * oh * ow);
  for (let r = 0; r < rows; r++) for (let o = 0; o < out; o++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let sum = b[o];
    for (let c = 0; c < channels; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const iy = oy * stride - padding + i;
      const ix = ox * stride - padding + j;
      if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
      sum += x[((r * channels + c) * height + iy) * width + ix] * w[((o * channels + c) * kh + i) * kw + j];
    }
    y[((r * out + o) * oh + oy) * ow + ox] = sum;
  }
  return y;
}

/** nn.MaxPool2d / nn.AvgPool2d forward in float64, no padding. */
function referencePool(
  x: Float32Array, rows: number, [channels, height, width]: ImageShape, [kh, kw]: [number, number], stride: number, isMax: boolean,
): Float64Array {
  const oh = Math.floor((height - kh) / stride) + 1;
  const ow = Math.floor((width - kw) / stride) + 1;
  const y = new Float64Array(rows * channels * oh * ow);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    let best = -Infinity;
    let sum = 0;
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const v = x[((r * channels + c) * height + oy * stride + i) * width + ox * stride + j];
      best = Math.max(best, v);
      sum += v;
    }
    y[((r * channels + c) * oh + oy) * ow + ox] = isMax ? best : sum / (kh * kw);
  }
  return y;
}

/** An identity dense layer of `width` units: its output is exactly its input. */
function identity(width: number): Float32Array {
  const w = new Float32Array(width * width);
  for (let i = 0; i < width; i++) w[i * width + i] = 1;
  return w;
}

const CONVOLUTIONS: { shape: ImageShape; out: number; kernel: [number, number]; stride: number; padding: number; rows: number }[] = [
  { shape: [1, 7, 7], out: 3, kernel: [3, 3], stride: 1, padding: 0, rows: 1 },
  { shape: [3, 9, 11], out: 5, kernel: [3, 3], stride: 2, padding: 1, rows: 3 },
  { shape: [5, 8, 7], out: 1, kernel: [5, 3], stride: 1, padding: 2, rows: 3 },
  { shape: [3, 13, 13], out: 7, kernel: [4, 4], stride: 2, padding: 2, rows: 1 },
  { shape: [1, 28, 28], out: 6, kernel: [5, 5], stride: 1, padding: 2, rows: 3 },
  { shape: [6, 14, 14], out: 16, kernel: [5, 5], stride: 1, padding: 0, rows: 3 },
  { shape: [5, 1, 1], out: 3, kernel: [1, 1], stride: 1, padding: 0, rows: 3 },
  // Kernel columns that lie wholly in the padding, past both sides of a 1-wide image.
  { shape: [2, 3, 1], out: 2, kernel: [5, 5], stride: 2, padding: 2, rows: 2 },
];

describe('conv2d forward against float64', () => {
  it.each(CONVOLUTIONS)('$shape → $out channels, kernel $kernel, stride $stride, padding $padding, $rows row(s)', ({ shape, out, kernel, stride, padding, rows }) => {
    const net = new Network(runtime, { inputShape: shape, layers: [conv2d(out, kernel, { stride, padding }), flatten()], loss: 'mse', init: 'pytorch', seed: 3 });
    net.params.b1 = randomArray(out, 17);
    const input = shape[0] * shape[1] * shape[2];
    const x = randomArray(rows * input, input + rows);
    const want = referenceConv(x, rows, shape, net.params.W1, net.params.b1, out, kernel, stride, padding);
    const got = net.predict(x);
    expect(got.length).toBe(want.length);
    const terms = shape[0] * kernel[0] * kernel[1];
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(1e-6 * terms);
    net.dispose();
  });
});

const POOLS: { shape: ImageShape; kernel: [number, number]; stride: number; rows: number }[] = [
  { shape: [1, 7, 7], kernel: [2, 2], stride: 2, rows: 1 },
  { shape: [3, 9, 11], kernel: [3, 3], stride: 2, rows: 3 },
  { shape: [5, 8, 7], kernel: [3, 2], stride: 1, rows: 3 },
  { shape: [6, 28, 28], kernel: [2, 2], stride: 2, rows: 3 },
];

describe.each(['max', 'avg'] as const)('%spool2d forward against float64', (kind) => {
  it.each(POOLS)('$shape, kernel $kernel, stride $stride, $rows row(s)', ({ shape, kernel, stride, rows }) => {
    const pool = kind === 'max' ? maxPool2d(kernel, stride) : avgPool2d(kernel, stride);
    const input = shape[0] * shape[1] * shape[2];
    const x = randomArray(rows * input, input + 3 * rows);
    const want = referencePool(x, rows, shape, kernel, stride, kind === 'max');
    const width = want.length / rows;
    // An identity dense layer after it passes the pooled values through exactly.
    const net = new Network(runtime, { inputShape: shape, layers: [pool, flatten(), dense(width)], loss: 'mse' });
    net.params.W1 = identity(width);
    net.params.b1 = new Float32Array(width);
    const got = net.predict(x);
    for (let i = 0; i < want.length; i++) {
      if (kind === 'max') expect(got[i], `element ${i}`).toBe(Math.fround(want[i]));
      else expect(Math.abs(got[i] - want[i]), `element ${i}`).toBeLessThanOrEqual(1e-6);
    }
    net.dispose();
  });
});

describe('maxpool2d backward', () => {
  it('routes the gradient to the first maximum of a window, as PyTorch', () => {
    // Two input channels through a 1×1 convolution with weights [1, 0]: its output is channel 0,
    // which has ties, while channel 1 tells the tied positions apart in dW[0][1].
    const shape: ImageShape = [2, 2, 4];
    const x = Float32Array.from([
      5, 5, 1, 2,
      5, 0, 2, 2,
      1, 10, 100, 1000,
      10000, 100000, 1e6, 1e7,
    ]);
    const net = new Network(runtime, { inputShape: shape, layers: [conv2d(1, 1), maxPool2d(2), flatten(), dense(1)], loss: 'mse' });
    net.params.W1 = Float32Array.from([1, 0]);
    net.params.b1 = new Float32Array(1);
    net.params.W2 = Float32Array.from([1, 1]);
    net.params.b2 = new Float32Array(1);
    // y = 5 + 2 = 7, target 0: dL/dy = 14, routed to (0,0) of the first window (not (0,1) or
    // (1,0)) and to (0,3) of the second (not (1,2) or (1,3)).
    const g = net.gradient(x, Float32Array.from([0]));
    expect(Array.from(g.W1)).toEqual([14 * 5 + 14 * 2, 14 * 1 + 14 * 1000]);
    expect(Array.from(g.b1)).toEqual([28]);
    net.dispose();
  });
});

const H = 1e-2;
const ENTRY_FLOOR = 1e-3;
const ENTRY_TOLERANCE = 2e-2;

const NETWORKS: { name: string; inputShape: ImageShape; layers: LayerSpec[]; loss: Loss; rows: number }[] = [
  { name: '[1,7,7] conv 3×3 → relu → maxpool 2 → flatten → dense 3', inputShape: [1, 7, 7], layers: [conv2d(2, 3), relu(), maxPool2d(2), flatten(), dense(3)], loss: 'softmax-cross-entropy', rows: 3 },
  { name: '[3,9,8] conv 3×3 stride 2 pad 1 → tanh → conv 2×2 → avgpool 2 → flatten → dense 4 → tanh → dense 3', inputShape: [3, 9, 8], layers: [conv2d(5, 3, { stride: 2, padding: 1 }), tanh(), conv2d(3, 2), avgPool2d(2, 1), flatten(), dense(4), tanh(), dense(3)], loss: 'softmax-cross-entropy', rows: 2 },
  { name: 'maxpool first, conv pad 2, mse', inputShape: [2, 8, 8], layers: [maxPool2d(2), conv2d(3, 3, { padding: 2 }), tanh(), flatten(), dense(2)], loss: 'mse', rows: 3 },
  { name: 'a 1×1 conv, then a 5×5 kernel past a 3×1 image (stride 2, pad 2)', inputShape: [1, 3, 1], layers: [conv2d(2, 1), tanh(), conv2d(2, 5, { stride: 2, padding: 2 }), flatten(), dense(2)], loss: 'mse', rows: 3 },
  // Softmax cross-entropy whose last layer is not dense: the numerical gradient's fast path for
  // the last dense layers (numerical-gradient.ts) must not take it.
  { name: 'softmax cross-entropy straight from a flatten: conv 5×5 → flatten', inputShape: [1, 5, 5], layers: [conv2d(3, 5), flatten()], loss: 'softmax-cross-entropy', rows: 4 },
  { name: 'a conv after a dense-free tail: conv → flatten (binary)', inputShape: [1, 5, 5], layers: [conv2d(1, 5), flatten()], loss: 'binary-cross-entropy', rows: 4 },
];

describe.each(NETWORKS)('$name', ({ inputShape, layers, loss, rows }) => {
  it('backprop matches the numerical gradient', () => {
    const net = new Network(runtime, { inputShape, layers, loss, init: 'pytorch', seed: 4 });
    const x = randomArray(rows * net.inputSize, net.inputSize * 7 + 1);
    const outputs = net.outputSize;
    const t = loss === 'softmax-cross-entropy'
      ? Int32Array.from({ length: rows }, (_, r) => (r * 5 + 1) % outputs)
      : loss === 'binary-cross-entropy' ? Float32Array.from(randomArray(rows * outputs, 9), (v) => (v > 0 ? 1 : 0)) : randomArray(rows * outputs, 9);
    const comparison = compareGradients(net.gradient(x, t), net.numericalGradient(x, t, H), ENTRY_FLOOR);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(ENTRY_TOLERANCE);
    expect(comparison.globalRelativeError).toBeLessThan(1e-4);
    net.dispose();
  });
});

describe('declaring image layers', () => {
  it('names the parameters W_k/b_k over conv and dense layers, in PyTorch shapes', () => {
    const net = new Network(runtime, { inputShape: [1, 28, 28], layers: [conv2d(6, 5, { padding: 2 }), relu(), maxPool2d(2), flatten(), dense(10)] });
    expect(net.paramNames).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect(net.paramShape('W1')).toEqual([6, 1, 5, 5]);
    expect(net.paramShape('W2')).toEqual([6 * 14 * 14, 10]);
    expect(net.inputSize).toBe(784);
    expect(net.layers.map((layer) => layer.name)).toEqual(['Convolution1', 'Relu1', 'MaxPooling1', 'Flatten1', 'Affine2', 'SoftmaxWithLoss']);
    net.dispose();
  });

  it.each([
    ['no input shape', { input: 784, layers: [conv2d(6, 5), flatten(), dense(10)] }, /inputShape/],
    ['a dense layer on images', { inputShape: [1, 28, 28], layers: [conv2d(6, 5), dense(10)] }, /flatten\(\) before it/],
    ['images at the end', { inputShape: [1, 28, 28], layers: [conv2d(6, 5)] }, /end the network with flatten/],
    ['a kernel larger than its input', { inputShape: [1, 4, 4], layers: [conv2d(2, 5), flatten(), dense(2)] }, /larger than its input/],
    ['input and inputShape disagree', { input: 100, inputShape: [1, 28, 28], layers: [conv2d(2, 5), flatten(), dense(2)] }, /784 values, but input is 100/],
    ['a stride of 0', { inputShape: [1, 8, 8], layers: [conv2d(2, 3, { stride: 0 }), flatten(), dense(2)] }, /stride is 0/],
    ['a fractional channel count', { inputShape: [1, 8, 8], layers: [conv2d(2.5, 3), flatten(), dense(2)] }, /2.5 channels/],
  ] as const)('refuses %s with a ValueError', (_, options, message) => {
    expect(() => new Network(runtime, options as never)).toThrow(ValueError);
    expect(() => new Network(runtime, options as never)).toThrow(message);
  });
});

describe('model files of a convolutional network', () => {
  const layers = (): LayerSpec[] => [conv2d(4, 3, { stride: 2, padding: 1 }), relu(), maxPool2d(2), conv2d(3, [2, 1]), avgPool2d(1, 1), flatten(), dense(5)];

  it('round-trip the layer descriptors, the input shape, the parameters and the optimizer state', () => {
    const net = new Network(runtime, { inputShape: [3, 11, 9], layers: layers(), init: 'he', seed: 5 });
    net.useOptimizer({ type: 'adam' });
    const x = randomArray(2 * net.inputSize, 3);
    net.trainStep(x, Int32Array.from([1, 4]), 1e-2);
    const loaded = modelFromBytes(runtime, encodeModel(net));
    expect(loaded.inputShape).toEqual([3, 11, 9]);
    expect(loaded.layerSpecs).toEqual(net.layerSpecs);
    for (const name of net.paramNames) expect(loaded.params[name]).toEqual(net.params[name]);
    expect(loaded.optimizerState()?.state).toEqual(net.optimizerState()?.state);
    expect(loaded.predict(x)).toEqual(net.predict(x));
    net.dispose();
    loaded.dispose();
  });

  it('refuses a file whose tensors do not fit its convolutions, before allocating', () => {
    const net = new Network(runtime, { inputShape: [3, 11, 9], layers: layers() });
    const decoded = decodeSafetensors(encodeModel(net), 'm');
    const description = JSON.parse(decoded.metadata.network);
    description.layers[0].kernel = [5, 5];
    const metadata: Record<string, string> = { format: decoded.metadata.format, network: JSON.stringify(description) };
    const edited = encodeSafetensors(decoded.tensors, metadata);
    expect(() => decodeModel(edited, 'm')).toThrow(ModelFormatError);
    expect(() => decodeModel(edited, 'm')).toThrow('W1 has shape [4,3,3,3], the network needs [4,3,5,5]');
    description.layers[0].kernel = 'big';
    expect(() => decodeModel(encodeSafetensors(decoded.tensors, { ...metadata, network: JSON.stringify(description) }), 'm'))
      .toThrow(/kernel is "big": must be \[height, width\]/);
    net.dispose();
  });
});

describe('np.savetxt files of a convolutional network', () => {
  it('write a conv2d weight as one row per filter and read it back', () => {
    const net = new Network(runtime, { inputShape: [3, 6, 6], layers: [conv2d(4, [2, 3]), flatten(), dense(3)], init: 'he', seed: 2 });
    const files = savetxtFiles(net);
    const rows = files['W1.txt'].trim().split('\n');
    expect(rows.length).toBe(4);
    expect(rows.every((row) => row.split(' ').length === 3 * 2 * 3)).toBe(true);
    const copy = new Network(runtime, { inputShape: [3, 6, 6], layers: [conv2d(4, [2, 3]), flatten(), dense(3)], seed: 7 });
    assignSavetxtFiles(copy, files, 'dir');
    for (const name of net.paramNames) expect(copy.params[name]).toEqual(net.params[name]);
    net.dispose();
    copy.dispose();
  });
});
