// The loss heads and the general network: each head's kernels against a float64 TypeScript
// reference on awkward shapes, and whole networks of unusual layer sequences under every head
// checked against the numerical gradient and against metrics recomputed from predict().
import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, SimdnetError, ValueError } from '../src/errors.js';
import { compareGradients } from '../src/gradient-check.js';
import { dense, relu, sigmoid, tanh, type LayerSpec, type Loss } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray } from './support/reference.js';
import { getF32, put, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const SHAPES: [number, number][] = [[1, 1], [1, 3], [3, 5], [17, 4], [5, 17], [100, 10], [7, 784]];

function unitTargets(count: number, seed: number): Float32Array {
  return randomArray(count, seed).map((v) => (v + 1) / 2);
}

describe('binary cross-entropy with logits', () => {
  it.each(SHAPES)('%i×%i forward and backward against float64, logits up to ±100', (rows, outputs) => {
    const count = rows * outputs;
    const z = randomArray(count, rows * 13 + outputs, 6);
    if (count > 3) z.set([100, -100, 0], 0);
    const t = unitTargets(count, rows + 3 * outputs);
    const { exports } = runtime.kernels;
    const zAt = put(runtime, z);
    const tAt = put(runtime, t);
    let want = 0;
    for (let i = 0; i < count; i++) want += Math.max(z[i], 0) - z[i] * t[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
    const got = exports.binaryCrossEntropyForward(zAt, tAt, count);
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * (want + count));
    // The gradient and the probabilities continue for 4 floats, so a step past the last element
    // would move the guard.
    const guard = randomArray(4, count + 9);
    const guarded = () => put(runtime, Float32Array.from([...new Float32Array(count), ...guard]));
    const gradAt = guarded();
    exports.binaryCrossEntropyBackward(gradAt, zAt, tAt, count, count);
    const grad = getF32(runtime, gradAt, count);
    const probsAt = guarded();
    exports.sigmoidProbabilities(probsAt, zAt, count);
    const probs = getF32(runtime, probsAt, count);
    for (let i = 0; i < count; i++) {
      const p = 1 / (1 + Math.exp(-z[i]));
      expect(Math.abs(grad[i] - (p - t[i]) / count)).toBeLessThanOrEqual(1e-6 / count);
      expect(Math.abs(probs[i] - p)).toBeLessThanOrEqual(1e-6);
    }
    expect(getF32(runtime, gradAt + 4 * count, 4)).toEqual(guard);
    expect(getF32(runtime, probsAt + 4 * count, 4)).toEqual(guard);
  });

  it('counts a logit of exactly 0 as the negative class, and a target of exactly 0.5 as negative', () => {
    // sigmoid(0) = 0.5 is not above the 0.5 threshold, on either side.
    const z = Float32Array.of(0, 0, 1, -1, 0, 2);
    const t = Float32Array.of(0.5, 1, 0.5, 0.5, 0, 0.75);
    const { exports } = runtime.kernels;
    const zAt = put(runtime, z);
    const tAt = put(runtime, t);
    // (z > 0) == (t > 0.5), element by element: yes, no, no, yes, yes, yes.
    expect(exports.countCorrectBinary(zAt, tAt, z.length)).toBe(4);
    expect(exports.countCorrectBinary(zAt, tAt, 2)).toBe(1);
  });
});

describe('mean squared error', () => {
  it.each(SHAPES)('%i×%i forward and backward against float64', (rows, outputs) => {
    const count = rows * outputs;
    const y = randomArray(count, rows * 17 + outputs, 3);
    const t = randomArray(count, rows + 5 * outputs, 3);
    const { exports } = runtime.kernels;
    const yAt = put(runtime, y);
    const tAt = put(runtime, t);
    let want = 0;
    for (let i = 0; i < count; i++) want += (y[i] - t[i]) ** 2;
    // Differences and squares are summed in f64 from the f32 values: exact but for the sum's rounding.
    expect(Math.abs(exports.squaredErrorSum(yAt, tAt, count) - want)).toBeLessThanOrEqual(1e-12 * (1 + want));
    const gradAt = runtime.arena.alloc(count * 4);
    exports.meanSquaredErrorBackward(gradAt, yAt, tAt, count, count);
    const grad = getF32(runtime, gradAt, count);
    for (let i = 0; i < count; i++) expect(Math.abs(grad[i] - (2 * (y[i] - t[i])) / count)).toBeLessThanOrEqual(2e-7 * Math.abs(grad[i]) + 1e-30);
  });
});

// See network.test.ts for the tolerances of f32 numerical gradients with h = 1e-2.
const H = 1e-2;
const ENTRY_FLOOR = 1e-3;
const ENTRY_TOLERANCE = 2e-2;
const ROWS = 6;

const NETWORKS: { name: string; input: number; layers: LayerSpec[]; loss: Loss }[] = [
  { name: 'regression 5→7 tanh→3', input: 5, layers: [dense(7), tanh(), dense(3)], loss: 'mse' },
  { name: 'regression 3→4 sigmoid→5 tanh→1', input: 3, layers: [dense(4), sigmoid(), dense(5), tanh(), dense(1)], loss: 'mse' },
  { name: 'multi-label 17→10 sigmoid→4', input: 17, layers: [dense(10), sigmoid(), dense(4)], loss: 'binary-cross-entropy' },
  { name: 'binary 4→1 (logistic regression)', input: 4, layers: [dense(1)], loss: 'binary-cross-entropy' },
  { name: 'classes: an activation before the first dense layer', input: 5, layers: [tanh(), dense(6), tanh(), dense(3)], loss: 'softmax-cross-entropy' },
  { name: 'classes: two dense layers with no activation between', input: 5, layers: [dense(6), dense(4), tanh(), dense(3)], loss: 'softmax-cross-entropy' },
  { name: 'classes: two activations in a row', input: 5, layers: [dense(6), tanh(), sigmoid(), dense(3)], loss: 'softmax-cross-entropy' },
];

function targetsFor(loss: Loss, outputs: number, seed: number): Float32Array | Int32Array {
  if (loss === 'softmax-cross-entropy') return Int32Array.from({ length: ROWS }, (_, r) => (r * 7 + seed) % outputs);
  if (loss === 'binary-cross-entropy') return Float32Array.from(randomArray(ROWS * outputs, seed), (v) => (v > 0 ? 1 : 0));
  return randomArray(ROWS * outputs, seed, 2);
}

describe.each(NETWORKS)('$name', ({ input, layers, loss }) => {
  const make = () => {
    const net = new Network(runtime, { input, layers, loss, weightInitStd: 0.8, seed: 4 });
    const x = randomArray(ROWS * input, input * 11 + 1);
    return { net, x, t: targetsFor(loss, net.outputSize, 5) };
  };

  it('backprop matches the numerical gradient', () => {
    const { net, x, t } = make();
    const comparison = compareGradients(net.gradient(x, t), net.numericalGradient(x, t, H), ENTRY_FLOOR);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(ENTRY_TOLERANCE);
    expect(comparison.globalRelativeError).toBeLessThan(1e-4);
    net.dispose();
  });

  it('evaluate() agrees with metrics recomputed in float64 from predict()', () => {
    const { net, x, t } = make();
    const y = net.predict(x);
    const outputs = net.outputSize;
    expect(y.length).toBe(ROWS * outputs);
    const e = net.evaluate(x, t);
    expect(e.count).toBe(ROWS);
    if (loss === 'mse') {
      let se = 0, ae = 0, mean = 0;
      for (let i = 0; i < y.length; i++) mean += t[i] / y.length;
      let ss = 0;
      for (let i = 0; i < y.length; i++) {
        se += (y[i] - t[i]) ** 2;
        ae += Math.abs(y[i] - t[i]);
        ss += (t[i] - mean) ** 2;
      }
      expect(e.mse).toBeCloseTo(se / y.length, 6);
      expect(e.loss).toBe(e.mse);
      expect(e.mae).toBeCloseTo(ae / y.length, 6);
      expect(e.r2).toBeCloseTo(1 - se / ss, 6);
      expect(e.accuracy).toBeUndefined();
      expect(() => net.accuracy(x, t)).toThrow(ValueError);
    } else if (loss === 'binary-cross-entropy') {
      let bce = 0, correct = 0;
      for (let i = 0; i < y.length; i++) {
        bce -= t[i] * Math.log(y[i]) + (1 - t[i]) * Math.log(1 - y[i]);
        if ((y[i] > 0.5) === (t[i] > 0.5)) correct++;
      }
      expect(e.loss).toBeCloseTo(bce / y.length, 5);
      expect(e.correct).toBe(correct);
      expect(e.accuracy).toBe(correct / y.length);
    } else {
      let ce = 0;
      for (let r = 0; r < ROWS; r++) ce -= Math.log(y[r * outputs + t[r]]);
      expect(e.loss).toBeCloseTo(ce / ROWS, 5);
    }
    net.dispose();
  });

  it('gradient() twice on one batch gives the same result (nothing accumulates across calls)', () => {
    const { net, x, t } = make();
    const first = net.gradient(x, t);
    const second = net.gradient(x, t);
    for (const name of net.paramNames) expect(second[name]).toEqual(first[name]);
    net.dispose();
  });
});

describe('training the other heads', () => {
  it('mse: a linear target y = x·A + c is fitted to R² > 0.999', () => {
    const input = 3, rows = 256;
    const x = randomArray(rows * input, 71);
    const t = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      t[2 * r] = 2 * x[r * 3] - x[r * 3 + 1] + 0.5;
      t[2 * r + 1] = x[r * 3 + 2] * 3 - 1;
    }
    const net = new Network(runtime, { input, layers: [dense(2)], loss: 'mse', init: 'pytorch' });
    for (let s = 0; s < 400; s++) net.trainStep(x, t, 0.1);
    expect(net.evaluate(x, t).r2).toBeGreaterThan(0.999);
    net.dispose();
  });

  it('binary cross-entropy: two independent labels of a separable problem are learned', () => {
    const rows = 200;
    const x = randomArray(rows * 2, 81);
    const t = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      t[2 * r] = x[2 * r] > 0 ? 1 : 0;
      t[2 * r + 1] = x[2 * r] + x[2 * r + 1] > 0 ? 1 : 0;
    }
    const net = new Network(runtime, { input: 2, layers: [dense(8), relu(), dense(2)], loss: 'binary-cross-entropy', init: 'he', seed: 2 });
    net.useOptimizer({ type: 'adam' });
    for (let s = 0; s < 300; s++) net.trainStep(x, t, 0.02);
    expect(net.evaluate(x, t).accuracy).toBeGreaterThan(0.97);
    net.dispose();
  });
});

describe('declaring a network', () => {
  it.each([
    [{ input: 0, layers: [dense(2)] }, /input is 0/],
    [{ input: 3, layers: [] }, /at least one layer/],
    [{ input: 3, layers: [relu()] }, /at least one dense layer/],
    [{ input: 3, layers: [dense(2.5)] }, /layer 0 \(dense\) has 2.5 units/],
    [{ input: 3, layers: [dense(4), { kind: 'activation', function: 'swish' }, dense(2)] }, /layer 1: unknown activation 'swish'/],
    [{ input: 3, layers: [dense(4), { kind: 'conv' }] }, /layer 1 is/],
    [{ input: 3, layers: [dense(1)], loss: 'softmax-cross-entropy' }, /at least 2 outputs/],
    [{ input: 3, layers: [dense(2)], loss: 'hinge' }, /unknown loss 'hinge'/],
    [{ input: 3, layers: [dense(2)], maxRows: 0 }, /maxRows is 0/],
    [{ input: 3, layers: [dense(2)], maxRows: 1.5 }, /maxRows is 1.5/],
    [{ input: 3, layers: [dense(2)], seed: -1 }, /seed is -1/],
    [{ input: 3, layers: [dense(2)], seed: 2 ** 32 }, /seed is 4294967296/],
  ])('%j is refused', (options, message) => {
    expect(() => new Network(runtime, options as never)).toThrow(message);
  });

  it('targets that do not fit the loss are typed errors', () => {
    const net = new Network(runtime, { input: 2, layers: [dense(3)], loss: 'binary-cross-entropy' });
    const x = new Float32Array(4);
    expect(() => net.loss(x, new Float32Array(5))).toThrow(ShapeError);
    expect(() => net.loss(x, new Float32Array([0, 1, 0.5, 1, 2, 0]))).toThrow(/target \[1\]\[1\] is 2/);
    const regression = new Network(runtime, { input: 2, layers: [dense(1)], loss: 'mse' });
    expect(() => regression.loss(x, new Float32Array([1, NaN]))).toThrow(/target \[1\]\[0\] is NaN/);
    net.dispose();
    regression.dispose();
  });

  it('the layer list names what runs, as the tutorials name it', () => {
    const net = new Network(runtime, { input: 4, layers: [dense(3), tanh(), dense(2)], loss: 'mse' });
    expect(net.layers.map((l) => l.name)).toEqual(['Affine1', 'Tanh1', 'Affine2', 'MeanSquaredError']);
    expect(net.paramNames).toEqual(['W1', 'b1', 'W2', 'b2']);
    net.dispose();
    expect(() => net.predict(new Float32Array(4))).toThrow(SimdnetError);
  });
});
