// Batch normalization (assembly/layers/batchnorm.ts), as nn.BatchNorm1d/2d: the forward pass in
// training and in evaluation against a plain float64 TypeScript reference on awkward shapes
// (1, 3 and 17 features; 3 and 5 channels of odd height × width), the running statistics, the
// refusal of one value per channel in training, whole networks against the numerical gradient,
// determinism, and the buffers in model files and PyTorch's state_dict names. The kernel works on
// runs of height·width floats four at a time, so the shapes include runs of 1, 3, 4, 9, 35 and 99.
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError, ShapeError, ValueError } from '../src/errors.js';
import { compareGradients } from '../src/gradient-check.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import {
  avgPool2d, batchNorm1d, batchNorm2d, conv2d, dense, dropout, flatten, maxPool2d, networkGeometry, relu, tanh, type ImageShape, type LayerSpec, type Loss,
} from '../src/layers.js';
import { checkpointFromBytes, decodeModel, encodeModel, modelFromBytes } from '../src/model.js';
import { Network } from '../src/network.js';
import { Plan } from '../src/plan.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { assignTorchSafetensors, assignTorchStateDict, encodeTorchSafetensors, torchStateDict } from '../src/torch.js';
import { train } from '../src/train.js';
import { getF32, put } from './support/runtime.js';
import { randomArray, randomLabels } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

interface Statistics {
  mean: Float64Array;
  /** Biased: what training normalizes with. */
  variance: Float64Array;
  /** Unbiased: what the running variance is updated with. */
  unbiased: Float64Array;
}

/** Per-channel mean and variances of x [rows×channels×spatial], in float64. */
function referenceStatistics(x: Float32Array, rows: number, channels: number, spatial: number): Statistics {
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  const unbiased = new Float64Array(channels);
  const count = rows * spatial;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) for (let s = 0; s < spatial; s++) sum += x[(r * channels + c) * spatial + s];
    mean[c] = sum / count;
    let squares = 0;
    for (let r = 0; r < rows; r++) for (let s = 0; s < spatial; s++) squares += (x[(r * channels + c) * spatial + s] - mean[c]) ** 2;
    variance[c] = squares / count;
    unbiased[c] = squares / (count - 1);
  }
  return { mean, variance, unbiased };
}

/** y = γ·(x − μ)/√(σ² + ε) + β per channel, in float64. */
function referenceNormalize(
  x: Float32Array, rows: number, channels: number, spatial: number,
  mean: ArrayLike<number>, variance: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps = 1e-5,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) for (let s = 0; s < spatial; s++) {
    const i = (r * channels + c) * spatial + s;
    y[i] = gamma[c] * (x[i] - mean[c]) / Math.sqrt(variance[c] + eps) + beta[c];
  }
  return y;
}

/** Largest |a − b| over the largest |b|. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const SHAPES: { name: string; layer: () => LayerSpec; shape: ImageShape; rows: number }[] = [
  { name: '1 feature, 2 rows', layer: batchNorm1d, shape: [1, 1, 1], rows: 2 },
  { name: '3 features, 5 rows', layer: batchNorm1d, shape: [3, 1, 1], rows: 5 },
  { name: '17 features, 3 rows', layer: batchNorm1d, shape: [17, 1, 1], rows: 3 },
  { name: '17 features, 100 rows', layer: batchNorm1d, shape: [17, 1, 1], rows: 100 },
  { name: '3 channels of 5×7, 1 row', layer: batchNorm2d, shape: [3, 5, 7], rows: 1 },
  { name: '5 channels of 3×3, 3 rows', layer: batchNorm2d, shape: [5, 3, 3], rows: 3 },
  { name: '5 channels of 9×11, 4 rows', layer: batchNorm2d, shape: [5, 9, 11], rows: 4 },
  // Runs of exactly one vector, and shorter than one: only the scalar tail.
  { name: '2 channels of 2×2, 3 rows', layer: batchNorm2d, shape: [2, 2, 2], rows: 3 },
  { name: '3 channels of 1×3, 2 rows', layer: batchNorm2d, shape: [3, 1, 3], rows: 2 },
];

/** The batchnorm layer alone in front of a dense layer, as the engine lays it out. */
function probe(layer: LayerSpec, shape: ImageShape): { layers: LayerSpec[]; inputShape?: ImageShape; input: number } {
  const input = shape[0] * shape[1] * shape[2];
  return layer.kind === 'batchnorm2d' ? { layers: [layer, flatten(), dense(2)], inputShape: shape, input } : { layers: [layer, dense(2)], input };
}

describe('batch normalization forward against float64', () => {
  it.each(SHAPES)('training, $name: batch statistics and the running ones', ({ layer, shape, rows }) => {
    const spec = probe(layer(), shape);
    const geometry = networkGeometry(spec.input, spec.layers, 'mse', spec.inputShape);
    const plan = new Plan(runtime, spec.input, spec.layers, geometry, 'mse');
    const { layout, exports } = runtime.kernels;
    const [channels, height, width] = shape;
    const spatial = height * width;
    const gamma = randomArray(channels, 3);
    const beta = randomArray(channels, 4);
    plan.tensorView(plan.tensors[0], 'params').array.set(gamma);
    plan.tensorView(plan.tensors[1], 'params').array.set(beta);
    // Offset and scaled inputs, so the mean is far from 0 and the variance from 1.
    const x = Float32Array.from(randomArray(rows * spec.input, spec.input + rows), (v, i) => 3 * v + 2 + (i % 3));
    const at = put(runtime, x);
    plan.workspace(rows);
    plan.mode(layout.MODE_TRAIN);
    exports.forward(plan.offset, at, rows);
    // The batchnorm layer's output buffer, from its record (layer 0).
    const output = new Int32Array(runtime.arena.memory.buffer, plan.offset, layout.PLAN_HEADER_WORDS + layout.LAYER_WORDS)[layout.PLAN_HEADER_WORDS + layout.LAYER_OUTPUT];
    const y = getF32(runtime, output, rows * spec.input);
    const stats = referenceStatistics(x, rows, channels, spatial);
    const want = referenceNormalize(x, rows, channels, spatial, stats.mean, stats.variance, gamma, beta);
    expect(worst(y, want)).toBeLessThan(1e-6);
    // Running statistics: 0.9·(0, 1) + 0.1·(μ, unbiased σ²), and one batch counted.
    const [mean, variance, count] = plan.buffers.map((buffer) => plan.bufferView(buffer).slice());
    expect(worst(mean as Float32Array, stats.mean.map((m) => 0.1 * m))).toBeLessThan(1e-6);
    expect(worst(variance as Float32Array, stats.unbiased.map((v) => 0.9 + 0.1 * v))).toBeLessThan(1e-6);
    expect(Array.from(count as BigInt64Array)).toEqual([1n]);
    // Replaying (the numerical gradient) normalizes the same way and moves nothing.
    plan.mode(layout.MODE_REPLAY);
    exports.forward(plan.offset, at, rows);
    expect(getF32(runtime, output, rows * spec.input)).toEqual(y);
    expect(plan.buffers.map((buffer) => plan.bufferView(buffer).slice())).toEqual([mean, variance, count]);
    runtime.arena.release(at);
    plan.release();
  });

  it.each(SHAPES)('evaluation, $name: the running statistics', ({ layer, shape, rows }) => {
    const spec = probe(layer(), shape);
    const net = new Network(runtime, { ...spec, loss: 'mse', seed: 2 });
    const [channels, height, width] = shape;
    const x = Float32Array.from(randomArray(rows * spec.input, 11 + rows), (v) => 2 * v + 1);
    const gamma = randomArray(channels, 5);
    const beta = randomArray(channels, 6);
    const runningMean = randomArray(channels, 7);
    const runningVar = Float32Array.from(randomArray(channels, 8), (v) => v * v + 0.5);
    net.assignParams({ gamma1: gamma, beta1: beta });
    net.assignBuffers({ running_mean1: runningMean, running_var1: runningVar });
    // An identity dense layer of as many units as values would pass them through; the probe's
    // two units read two mixtures instead: y·W, which the reference forms the same way.
    const w = randomArray(spec.input * 2, 9);
    net.assignParams({ W2: w, b2: new Float32Array(2) });
    const normalized = referenceNormalize(x, rows, channels, height * width, runningMean, runningVar, gamma, beta);
    const want = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) for (let j = 0; j < 2; j++) for (let i = 0; i < spec.input; i++) want[r * 2 + j] += normalized[r * spec.input + i] * w[i * 2 + j];
    expect(worst(net.predict(x), want)).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe('both kernel builds', () => {
  it('normalize to the same bits and keep the same running statistics: the kernel uses no FMA', async () => {
    const shape: ImageShape = [5, 9, 11];
    const rows = 3;
    const spec = probe(batchNorm2d(), shape);
    const x = Float32Array.from(randomArray(rows * spec.input, 5), (v, i) => 3 * v + (i % 7));
    const run = async (build: 'simd' | 'relaxed-simd') => {
      const own = await createRuntime(build);
      expect(own.kernels.build).toBe(build);
      const plan = new Plan(own, spec.input, spec.layers, networkGeometry(spec.input, spec.layers, 'mse', spec.inputShape), 'mse');
      const { layout, exports } = own.kernels;
      plan.tensorView(plan.tensors[0], 'params').array.set(randomArray(5, 6));
      plan.workspace(rows);
      plan.mode(layout.MODE_TRAIN);
      exports.forward(plan.offset, put(own, x), rows);
      const output = new Int32Array(own.arena.memory.buffer, plan.offset, layout.PLAN_HEADER_WORDS + layout.LAYER_WORDS)[layout.PLAN_HEADER_WORDS + layout.LAYER_OUTPUT];
      const y = getF32(own, output, rows * spec.input);
      return [new Uint32Array(y.buffer), ...plan.buffers.map((buffer) => plan.bufferView(buffer).slice())];
    };
    expect(await run('simd')).toEqual(await run('relaxed-simd'));
  });
});

describe('one value per channel in training', () => {
  it('is refused with a ShapeError by every training entry point, as PyTorch refuses it', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), batchNorm1d(), relu(), dense(2)] });
    const x = randomArray(3, 1);
    const t = Int32Array.from([1]);
    const message = /layer 1 \(batchnorm1d\) expects more than 1 value per channel when training, got a batch of 1 row/;
    expect(() => net.trainStep(x, t, 0.1)).toThrow(ShapeError);
    expect(() => net.trainStep(x, t, 0.1)).toThrow(message);
    expect(() => net.gradient(x, t)).toThrow(message);
    expect(() => net.numericalGradient(x, t)).toThrow(message);
    // The trainer's last batch of 1 row (5 rows in batches of 2), unless dropLast leaves it out.
    const data = { train: { inputs: randomArray(5 * 3, 2), targets: randomLabels(5, 2, 3) } };
    expect(() => train(net, data, { sampling: 'shuffled-epochs', epochs: 1, batchSize: 2, learningRate: 0.1 })).toThrow(message);
    expect(() => train(net, data, { sampling: 'shuffled-epochs', epochs: 1, batchSize: 2, learningRate: 0.1, dropLast: true })).not.toThrow();
    // Evaluation normalizes with the running statistics: one row is fine.
    expect(net.predict(x).length).toBe(2);
    net.dispose();
  });

  it('counts the image: batchNorm2d takes one row of several values per channel, not one of 1×1', () => {
    const images = new Network(runtime, { inputShape: [2, 3, 1], layers: [batchNorm2d(), flatten(), dense(2)] });
    expect(Number.isFinite(images.trainStep(randomArray(6, 1), Int32Array.from([0]), 0.1))).toBe(true);
    images.dispose();
    const pixels = new Network(runtime, { inputShape: [2, 1, 1], layers: [batchNorm2d(), flatten(), dense(2)] });
    expect(() => pixels.trainStep(randomArray(2, 1), Int32Array.from([0]), 0.1)).toThrow(/layer 0 \(batchnorm2d\) expects more than 1 value per channel/);
    pixels.dispose();
  });
});

// Normalizing by the batch's own statistics curves the loss more than a dense layer does: at the
// other tests' step of 1e-2 the central difference's h² error reaches 2% of an entry before a
// batchnorm layer (measured on the first network: 21% at 3e-2, 2.3% at 1e-2, 0.85% at 3e-3,
// rounding-bound below), and more on few rows: the conv network has 6, not 3, for that reason.
const H = 3e-3;
const NETWORKS: { name: string; input?: number; inputShape?: ImageShape; layers: LayerSpec[]; loss: Loss; rows: number }[] = [
  { name: 'dense → batchNorm1d → tanh → dense (cross-entropy)', input: 5, layers: [dense(6), batchNorm1d(), tanh(), dense(3)], loss: 'softmax-cross-entropy', rows: 7 },
  { name: 'batchNorm1d first, 1 feature (mse)', input: 1, layers: [batchNorm1d(), dense(3), tanh(), dense(2)], loss: 'mse', rows: 4 },
  { name: 'two batchNorm1d, 17 features, eps and momentum given (binary)', input: 4, layers: [dense(17), batchNorm1d({ eps: 1e-3, momentum: 0.3 }), tanh(), dense(3), batchNorm1d(), dense(2)], loss: 'binary-cross-entropy', rows: 5 },
  // Average pooling: a max pool's winner may switch within a step, a kink the difference straddles.
  { name: 'conv → batchNorm2d → tanh → avgpool → flatten → batchNorm1d → dense', inputShape: [2, 7, 5], layers: [conv2d(3, 3, { padding: 1 }), batchNorm2d(), tanh(), avgPool2d(2), flatten(), batchNorm1d(), dense(3)], loss: 'softmax-cross-entropy', rows: 6 },
  { name: 'batchNorm2d first, 5 channels of 3×3, one row', inputShape: [5, 3, 3], layers: [batchNorm2d(), conv2d(2, 2), tanh(), flatten(), dense(2)], loss: 'softmax-cross-entropy', rows: 1 },
];

describe.each(NETWORKS)('$name', ({ input, inputShape, layers, loss, rows }) => {
  it('backprop matches the numerical gradient with batch statistics', () => {
    const net = new Network(runtime, { input, inputShape, layers, loss, init: 'pytorch', seed: 4 });
    // γ and β away from their initial 1 and 0, so a gradient that ignores them shows.
    for (const name of net.paramNames.filter((n) => n.startsWith('gamma') || n.startsWith('beta'))) {
      net.params[name] = Float32Array.from(randomArray(net.params[name].length, name.length), (v) => (name.startsWith('gamma') ? 1 + 0.5 * v : 0.3 * v));
    }
    const x = Float32Array.from(randomArray(rows * net.inputSize, net.inputSize * 7 + 1), (v) => 2 * v + 0.5);
    const outputs = net.outputSize;
    const t = loss === 'softmax-cross-entropy'
      ? Int32Array.from({ length: rows }, (_, r) => (r * 5 + 1) % outputs)
      : loss === 'binary-cross-entropy' ? Float32Array.from(randomArray(rows * outputs, 9), (v) => (v > 0 ? 1 : 0)) : randomArray(rows * outputs, 9);
    const comparison = compareGradients(net.gradient(x, t), net.numericalGradient(x, t, H), 1e-3);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(2e-2);
    // The smaller step leaves more of the f32 loss's rounding in the difference: 1.7e-4 measured.
    expect(comparison.globalRelativeError).toBeLessThan(5e-4);
    net.dispose();
  });
});

// A batch smaller than the one before leaves the earlier batch's rows in the workspace's
// buffers past its own: batch normalization's sums must stop at the batch's last row, and its
// input gradient must not write past it (buffers of exactly the small batch's rows at first,
// maxRows, and a red zone after each).
describe('a batch after a larger one', () => {
  it.each([
    ['batchNorm1d after a dense layer', { input: 6, layers: [dense(5), batchNorm1d(), tanh(), dense(3)] }],
    ['batchNorm2d after a convolution', { inputShape: [2, 5, 5] as ImageShape, layers: [conv2d(3, 3), batchNorm2d(), relu(), flatten(), dense(3)] }],
  ])('%s: the gradient is a fresh network\'s', (_, spec) => {
    const make = () => new Network(runtime, { ...spec, loss: 'softmax-cross-entropy', init: 'pytorch', seed: 5, maxRows: 2 });
    const fresh = make();
    const used = make();
    const x = randomArray(4 * fresh.inputSize, 8);
    const t = randomLabels(4, 3, 9);
    const small = [x.subarray(0, 2 * fresh.inputSize), t.subarray(0, 2)] as const;
    const want = fresh.gradient(...small);
    used.gradient(x, t);
    const got = used.gradient(...small);
    for (const name of Object.keys(want)) expect(Array.from(got[name]), name).toEqual(Array.from(want[name]));
    fresh.dispose();
    used.dispose();
  });
});

describe('what moves the running statistics', () => {
  it('every training forward, once: trainStep, gradient, numericalGradient; never predict or evaluate', () => {
    const net = new Network(runtime, { input: 3, layers: [dense(4), tanh(), batchNorm1d(), dense(2)], seed: 2 });
    const x = randomArray(5 * 3, 4, 2);
    const t = randomLabels(5, 2, 5);
    const count = () => net.buffers()[2].data[0];
    const mean = () => Array.from(net.buffers()[0].data as Float32Array);
    net.predict(x);
    net.evaluate(x, t);
    expect([count(), mean()]).toEqual([0n, [0, 0, 0, 0]]);
    net.gradient(x, t);
    expect(count()).toBe(1n);
    const once = mean();
    expect(once.some((m) => m !== 0)).toBe(true);
    net.numericalGradient(x, t);
    expect(count()).toBe(2n);
    net.trainStep(x, t, 0.1);
    expect(count()).toBe(3n);
    net.dispose();
  });

  it('a network gives its buffers back to the arena when disposed', () => {
    const allocated = runtime.arena.allocatedBytes;
    for (let i = 0; i < 50; i++) new Network(runtime, { inputShape: [3, 5, 5], layers: [batchNorm2d(), conv2d(2, 3), flatten(), batchNorm1d(), dense(2)], seed: i }).dispose();
    expect(runtime.arena.allocatedBytes).toBe(allocated);
  });
});

describe('training with batch normalization', () => {
  const layers = (): LayerSpec[] => [dense(12), batchNorm1d(), relu(), dropout(0.2), dense(3)];
  const data = { train: { inputs: Float32Array.from(randomArray(120 * 6, 21), (v) => 4 * v + 3), targets: randomLabels(120, 3, 22) } };
  const options = { sampling: 'shuffled-epochs' as const, epochs: 3, batchSize: 20, learningRate: 0.05, optimizer: { type: 'adam' as const, weightDecay: 0.1 } };
  const state = (net: Network) => [...net.paramNames.map((n) => net.params[n].slice()), ...net.buffers().map((t) => t.data)];

  it('is bit-deterministic, and the buffers are no optimizer’s: weight decay leaves them alone', () => {
    const run = () => {
      const net = new Network(runtime, { input: 6, layers: layers(), seed: 3 });
      train(net, data, options);
      const result = state(net);
      expect(net.parameterCount).toBe(6 * 12 + 12 + 12 + 12 + 12 * 3 + 3);
      expect(net.optimizerState()!.state[0].length).toBe(net.parameterCount + 1); // b2's 3 floats padded to 4
      const [mean, variance, count] = net.buffers();
      expect(count.data).toEqual(BigInt64Array.from([18n]));
      // The inputs' scale, not a decayed one: the running mean follows the batches.
      expect(Math.max(...Array.from(mean.data as Float32Array, Math.abs))).toBeGreaterThan(0.1);
      expect(Math.min(...(variance.data as Float32Array))).toBeGreaterThan(0);
      net.dispose();
      return result;
    };
    expect(run()).toEqual(run());
  });

  it('a checkpoint carries the running statistics: resumed equals straight, bit for bit', () => {
    const straight = new Network(runtime, { input: 6, layers: layers(), seed: 4 });
    train(straight, data, options);
    const first = new Network(runtime, { input: 6, layers: layers(), seed: 4 });
    let saved: Uint8Array | undefined;
    train(first, data, { ...options, onEvaluation: (e, progress) => (e.epoch === 1 ? ((saved = encodeModel(first, progress())), false) : undefined) });
    const { net: resumed, progress } = checkpointFromBytes(runtime, saved!);
    expect(resumed.buffers()[2].data).toEqual(BigInt64Array.from([BigInt(progress!.iterations)])); // one batch counted per step
    train(resumed, data, { ...options, resume: progress });
    expect(state(resumed)).toEqual(state(straight));
    [straight, first, resumed].forEach((net) => net.dispose());
  });

  it('learns: an MLP with batchNorm1d fits a separable set', () => {
    const inputs = randomArray(200 * 2, 31, 3);
    const targets = Int32Array.from({ length: 200 }, (_, r) => (inputs[2 * r] + 10 * inputs[2 * r + 1] > 1 ? 1 : 0));
    const net = new Network(runtime, { input: 2, layers: [dense(16), batchNorm1d(), relu(), dense(2)], init: 'he', seed: 1 });
    train(net, { train: { inputs, targets } }, { sampling: 'shuffled-epochs', epochs: 30, batchSize: 20, learningRate: 0.01, optimizer: { type: 'adam' }, dropLast: true });
    expect(net.accuracy(inputs, targets)).toBeGreaterThan(0.95);
    net.dispose();
  });
});

describe('declaring batch normalization', () => {
  it('names γ and β gamma_k, beta_k among the other parameters; its buffers as PyTorch', () => {
    const net = new Network(runtime, { inputShape: [3, 8, 8], layers: [conv2d(4, 3), batchNorm2d(), relu(), flatten(), dense(5), batchNorm1d(), dense(2)] });
    expect(net.paramNames).toEqual(['W1', 'b1', 'gamma2', 'beta2', 'W3', 'b3', 'gamma4', 'beta4', 'W5', 'b5']);
    expect(net.paramShape('gamma2')).toEqual([4]);
    expect(net.paramShape('beta4')).toEqual([5]);
    expect(Array.from(net.params.gamma2)).toEqual([1, 1, 1, 1]);
    expect(Array.from(net.params.beta4)).toEqual([0, 0, 0, 0, 0]);
    expect(net.bufferNames).toEqual(['running_mean2', 'running_var2', 'num_batches_tracked2', 'running_mean4', 'running_var4', 'num_batches_tracked4']);
    expect(net.buffers().map((t) => [t.name, t.shape, Array.from(t.data)])).toEqual([
      ['running_mean2', [4], [0, 0, 0, 0]], ['running_var2', [4], [1, 1, 1, 1]], ['num_batches_tracked2', [], [0n]],
      ['running_mean4', [5], [0, 0, 0, 0, 0]], ['running_var4', [5], [1, 1, 1, 1, 1]], ['num_batches_tracked4', [], [0n]],
    ]);
    expect(net.layers.map((layer) => layer.name)).toEqual(['Convolution1', 'BatchNorm2', 'Relu2', 'Flatten2', 'Affine3', 'BatchNorm4', 'Affine5', 'SoftmaxWithLoss']);
    net.dispose();
  });

  it.each([
    ['batchNorm1d on images', { inputShape: [2, 4, 4], layers: [batchNorm1d(), flatten(), dense(2)] }, /normalizes flat rows, not images \[2,4,4\]: use batchNorm2d\(\)/],
    ['batchNorm2d on flat rows', { input: 4, layers: [batchNorm2d(), dense(2)] }, /needs image rows/],
    ['eps 0', { input: 4, layers: [batchNorm1d({ eps: 0 }), dense(2)] }, /eps is 0: must be a positive number/],
    ['momentum 2', { input: 4, layers: [batchNorm1d({ momentum: 2 }), dense(2)] }, /momentum is 2: must be in \[0, 1\]/],
    ['only batchnorm', { input: 4, layers: [batchNorm1d()] }, /at least one dense layer or conv2d layer/],
  ] as const)('refuses %s with a ValueError', (_, options, message) => {
    expect(() => new Network(runtime, options as never)).toThrow(ValueError);
    expect(() => new Network(runtime, options as never)).toThrow(message);
  });

  it('assignBuffers checks every value before writing any', () => {
    const net = new Network(runtime, { input: 3, layers: [batchNorm1d(), dense(2)] });
    const before = net.buffers();
    expect(() => net.assignBuffers({ running_mean1: [1, 2, 3], running_var1: [1, -1, 1] })).toThrow(/running_var1\[1\] is -1: must be finite and >= 0/);
    expect(() => net.assignBuffers({ running_mean1: [1, NaN, 3] })).toThrow(/running_mean1\[1\] is NaN: must be finite/);
    expect(() => net.assignBuffers({ num_batches_tracked1: [1.5] })).toThrow(/num_batches_tracked1\[0\] is 1.5: must be an integer >= 0/);
    expect(() => net.assignBuffers({ running_mean1: [1, 2] })).toThrow(ShapeError);
    expect(() => net.assignBuffers({ running_mean9: [1, 2, 3] })).toThrow(/no buffer 'running_mean9'/);
    expect(net.buffers()).toEqual(before);
    net.assignBuffers({ num_batches_tracked1: BigInt64Array.from([7n]) });
    expect(net.buffers()[2].data).toEqual(BigInt64Array.from([7n]));
    net.dispose();
  });
});

describe('batch normalization in model files', () => {
  const layers = (): LayerSpec[] => [conv2d(3, 3, { padding: 1 }), batchNorm2d(), relu(), maxPool2d(2), flatten(), dense(6), batchNorm1d({ momentum: 0.2 }), tanh(), dense(3)];
  const trained = () => {
    const net = new Network(runtime, { inputShape: [2, 6, 5], layers: layers(), init: 'he', seed: 5 });
    net.useOptimizer({ type: 'adam' });
    const x = randomArray(4 * net.inputSize, 3, 2);
    for (let i = 0; i < 3; i++) net.trainStep(x, Int32Array.from([1, 0, 2, 1]), 1e-2);
    return { net, x };
  };

  it('round-trip the running statistics and batch counts with the parameters', () => {
    const { net, x } = trained();
    const loaded = modelFromBytes(runtime, encodeModel(net));
    expect(loaded.layerSpecs).toEqual(net.layerSpecs);
    expect(loaded.buffers()).toEqual(net.buffers());
    expect(loaded.buffers()[2].data).toEqual(BigInt64Array.from([3n]));
    for (const name of net.paramNames) expect(loaded.params[name]).toEqual(net.params[name]);
    expect(loaded.predict(x)).toEqual(net.predict(x));
    // And training goes on from the same state: the same next step, bit for bit.
    expect(loaded.trainStep(x, Int32Array.from([1, 0, 2, 1]), 1e-2)).toBe(net.trainStep(x, Int32Array.from([1, 0, 2, 1]), 1e-2));
    expect(loaded.buffers()).toEqual(net.buffers());
    net.dispose();
    loaded.dispose();
  });

  it('refuse missing, misshapen, mistyped or invalid buffers with a ModelFormatError', () => {
    const { net } = trained();
    const decoded = decodeSafetensors(encodeModel(net), 'm');
    // Without the metadata checksum (as earlier releases wrote files), so the edited copies decode.
    const { metadata_crc32: _, ...metadata } = decoded.metadata;
    const edit = (change: (tensors: typeof decoded.tensors) => typeof decoded.tensors) => encodeSafetensors(change(decoded.tensors.map((t) => ({ ...t, data: t.data.slice() }))), metadata);
    const cases: [ReturnType<typeof edit>, RegExp][] = [
      [edit((ts) => ts.filter((t) => t.name !== 'running_var2')), /no tensor 'running_var2'/],
      [edit((ts) => ts.map((t) => (t.name === 'running_mean2' ? { ...t, shape: [1, 3] } : t))), /running_mean2 has shape \[1,3\], the network needs \[3\]/],
      [edit((ts) => ts.map((t) => (t.name === 'num_batches_tracked4' ? { ...t, data: Int32Array.from([3]) } : t))), /num_batches_tracked4 must be I64/],
      [edit((ts) => ts.map((t) => (t.name === 'running_var4' ? { ...t, data: Float32Array.from(t.data as Float32Array, () => -1) } : t))), /running_var4\[0\] is -1: must be finite and >= 0/],
      [edit((ts) => ts.map((t) => (t.name === 'num_batches_tracked2' ? { ...t, data: BigInt64Array.from([-1n]) } : t))), /num_batches_tracked2\[0\] is -1: must be an integer >= 0/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => checkpointFromBytes(runtime, bytes, 'm')).toThrow(ModelFormatError);
      expect(() => checkpointFromBytes(runtime, bytes, 'm')).toThrow(message);
    }
    expect(() => decodeModel(cases[0][0], 'm')).toThrow(ModelFormatError);
    net.dispose();
  });
});

describe('batch normalization in PyTorch names', () => {
  it('exports weight, bias, running_mean, running_var, num_batches_tracked (I64, shape []) per module', () => {
    const net = new Network(runtime, { input: 4, layers: [dense(3), batchNorm1d(), relu(), dense(2)], seed: 1 });
    net.trainStep(randomArray(8, 1), Int32Array.from([0, 1]), 0.1);
    const exported = decodeSafetensors(encodeTorchSafetensors(net), 'export').tensors;
    expect(exported.map((t) => [t.name, t.shape, t.data.constructor.name])).toEqual([
      ['0.weight', [3, 4], 'Float32Array'], ['0.bias', [3], 'Float32Array'],
      ['1.weight', [3], 'Float32Array'], ['1.bias', [3], 'Float32Array'],
      ['1.running_mean', [3], 'Float32Array'], ['1.running_var', [3], 'Float32Array'], ['1.num_batches_tracked', [], 'BigInt64Array'],
      ['3.weight', [2, 3], 'Float32Array'], ['3.bias', [2], 'Float32Array'],
    ]);
    expect(exported[6].data).toEqual(BigInt64Array.from([1n]));
    const copy = new Network(runtime, { input: 4, layers: [dense(3), batchNorm1d(), relu(), dense(2)], seed: 9 });
    assignTorchSafetensors(copy, encodeTorchSafetensors(net), 'bn.safetensors');
    expect(copy.buffers()).toEqual(net.buffers());
    expect(copy.predict(randomArray(8, 2))).toEqual(net.predict(randomArray(8, 2)));
    copy.dispose();
    net.dispose();
  });

  it('imports all or nothing: a bad running variance leaves parameters and buffers as they were', () => {
    const net = new Network(runtime, { input: 4, layers: [dense(3), batchNorm1d(), relu(), dense(2)], seed: 1 });
    const state = torchStateDict(net);
    const before = [net.params.W1.slice(), net.buffers()];
    const without = state.filter((t) => t.name !== '1.running_mean');
    expect(() => assignTorchStateDict(net, without, 'sd')).toThrow(/sd: no 1.running_mean \(BatchNorm1d\(3\) keeps its running statistics\)/);
    const misshapen = state.map((t) => (t.name === '1.num_batches_tracked' ? { ...t, shape: [1] } : t));
    expect(() => assignTorchStateDict(net, misshapen, 'sd')).toThrow(/1.num_batches_tracked has shape \[1\], BatchNorm1d\(3\) needs \[\]/);
    const negative = state.map((t) => (t.name === '1.running_var' ? { ...t, data: Float32Array.from([1, -2, 1]) } : t.name === '0.weight' ? { ...t, data: new Float32Array(12) } : t));
    expect(() => assignTorchStateDict(net, negative, 'sd')).toThrow(ModelFormatError);
    const badWeight = state.map((t) => (t.name === '0.weight' ? { ...t, data: new Float32Array(12).fill(NaN) } : t.name === '1.running_var' ? { ...t, data: Float32Array.from([5, 5, 5]) } : t));
    expect(() => assignTorchStateDict(net, badWeight, 'sd')).toThrow(/must be finite/);
    expect([net.params.W1.slice(), net.buffers()]).toEqual(before);
    net.dispose();
  });
});
