import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../src/errors.js';
import { compareGradients } from '../src/gradient-check.js';
import { createMLP, MLP, type Activation } from '../src/mlp.js';
import { sharedRuntime, type Runtime } from '../src/runtime.js';
import { TwoLayerNet } from '../src/two-layer-net.js';
import { maxRelativeError, randomArray, randomLabels, referenceNetwork } from './support/reference.js';
import { buildUnderTest, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const ARCHITECTURES: { sizes: number[]; activation: Activation }[] = [
  { sizes: [5, 7, 3], activation: 'sigmoid' },
  { sizes: [17, 10, 4], activation: 'sigmoid' },
  { sizes: [3, 5, 6, 4], activation: 'sigmoid' },
  { sizes: [5, 7, 3], activation: 'relu' },
  { sizes: [17, 10, 4], activation: 'relu' },
  { sizes: [3, 5, 6, 4], activation: 'relu' },
  { sizes: [5, 7, 3], activation: 'tanh' },
  { sizes: [3, 5, 6, 4], activation: 'tanh' },
];
const ROWS = 6;

function oneHot(labels: Int32Array, classes: number): Float32Array {
  const t = new Float32Array(labels.length * classes);
  labels.forEach((label, r) => (t[r * classes + label] = 1));
  return t;
}

/**
 * A network and batch whose hidden pre-activations all stay at least `margin` from 0, so that
 * a finite difference never steps across a ReLU kink (where the numerical gradient is simply
 * wrong). Seeds are tried in order, so the choice is deterministic.
 */
function networkAwayFromKinks(sizes: number[], activation: Activation, margin: number) {
  for (let seed = 1; ; seed++) {
    const net = new MLP(runtime, { sizes, activation, weightInitStd: 1, seed });
    const x = randomArray(ROWS * sizes[0], seed * 7 + 1);
    const labels = randomLabels(ROWS, sizes[sizes.length - 1], seed * 7 + 2);
    const ref = referenceNetwork(net.params, sizes, net.activations as string[], x, labels);
    const closest = Math.min(...ref.preActivations.map((z) => Math.min(...z.map(Math.abs))));
    if (activation !== 'relu' || closest > margin) return { net, x, labels, ref };
    net.dispose();
  }
}

// Numerical gradients in f32: the loss is exact to ~1e-7 relative, so with h = 1e-2 rounding
// contributes ~1e-7·L/2h ≈ 1e-5 and the truncation error h²·L'''/6 is of the same order. Entries
// are compared relative to max(|a|, |n|, 1e-3) and must agree to 2e-2; the global error
// ‖a−n‖/(‖a‖+‖n‖) must be below 1e-4 (observed: 5e-6 to 3e-5).
const H = 1e-2;
const ENTRY_FLOOR = 1e-3;
const ENTRY_TOLERANCE = 2e-2;
const GLOBAL_TOLERANCE = 1e-4;

describe.each(ARCHITECTURES)('$sizes $activation', ({ sizes, activation }) => {
  it('forward and loss match a float64 reference', () => {
    const { net, x, labels, ref } = networkAwayFromKinks(sizes, activation, 0.05);
    expect(maxRelativeError(net.predict(x), ref.probs, 1e-3)).toBeLessThan(1e-5);
    expect(Math.abs(net.loss(x, labels) - ref.loss)).toBeLessThan(1e-6 * (1 + ref.loss));
    net.dispose();
  });

  it('backprop matches a float64 reference backprop', () => {
    const { net, x, labels, ref } = networkAwayFromKinks(sizes, activation, 0.05);
    const grads = net.gradient(x, labels);
    for (const name of net.paramNames) {
      expect(maxRelativeError(grads[name], ref.grads[name], 1e-4), name).toBeLessThan(1e-4);
    }
    net.dispose();
  });

  it.each(['index labels', 'one-hot targets'])('backprop matches the numerical gradient, %s', (kind) => {
    const { net, x, labels } = networkAwayFromKinks(sizes, activation, 0.05);
    const t = kind === 'index labels' ? labels : oneHot(labels, sizes[sizes.length - 1]);
    const comparison = compareGradients(net.gradient(x, t), net.numericalGradient(x, t, H), ENTRY_FLOOR);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(ENTRY_TOLERANCE);
    expect(comparison.globalRelativeError).toBeLessThan(GLOBAL_TOLERANCE);
    net.dispose();
  });
});

describe('the gradient check fails on a wrong gradient', () => {
  const { sizes, activation } = ARCHITECTURES[1];
  it.each([
    ['one weight off by 5% of the largest entry', (g: Record<string, Float32Array>) => {
      const w = g.W1;
      w[3] += 0.05 * Math.max(...w.map(Math.abs));
    }],
    ['bias gradient scaled by 1.05', (g: Record<string, Float32Array>) => g.b2.forEach((v, i) => (g.b2[i] = v * 1.05))],
    ['mean forgotten (sum over the batch)', (g: Record<string, Float32Array>) => {
      for (const name of Object.keys(g)) g[name].forEach((v, i) => (g[name][i] = v * ROWS));
    }],
    ['every W1 entry 30% too large', (g: Record<string, Float32Array>) => g.W1.forEach((v, i) => (g.W1[i] = v * 1.3))],
  ])('%s', (_, corrupt) => {
    const { net, x, labels } = networkAwayFromKinks(sizes, activation, 0);
    const analytic = net.gradient(x, labels);
    const numerical = net.numericalGradient(x, labels, H);
    expect(compareGradients(analytic, numerical, ENTRY_FLOOR).maxRelativeError).toBeLessThan(ENTRY_TOLERANCE);
    corrupt(analytic);
    expect(compareGradients(analytic, numerical, ENTRY_FLOOR).maxRelativeError).toBeGreaterThan(ENTRY_TOLERANCE);
    net.dispose();
  });
});

describe('training step', () => {
  it('the fused step equals gradient() followed by p −= lr·g', () => {
    const options = { inputSize: 17, hiddenSize: 10, outputSize: 4, weightInitStd: 0.5, seed: 5 };
    const fused = new TwoLayerNet(runtime, options);
    const stepwise = new TwoLayerNet(runtime, options);
    const x = randomArray(ROWS * 17, 3);
    const t = randomLabels(ROWS, 4, 4);
    const lr = 0.1;
    for (let step = 0; step < 3; step++) {
      const loss = stepwise.loss(x, t);
      const grads = stepwise.gradient(x, t);
      for (const name of stepwise.paramNames) {
        const p = stepwise.params[name];
        for (let i = 0; i < p.length; i++) p[i] = Math.fround(p[i] - Math.fround(Math.fround(lr) * grads[name][i]));
      }
      expect(fused.trainStep(x, t, lr)).toBeCloseTo(loss, 6);
      for (const name of fused.paramNames) expect(fused.params[name]).toEqual(stepwise.params[name]);
    }
    fused.dispose();
    stepwise.dispose();
  });

  it('reduces the loss on a fixed batch', () => {
    const net = new MLP(runtime, { sizes: [17, 10, 4], activation: 'relu', weightInitStd: 0.1, seed: 1 });
    const x = randomArray(32 * 17, 8);
    const t = randomLabels(32, 4, 9);
    const first = net.trainStep(x, t, 0.5);
    let last = first;
    for (let i = 0; i < 200; i++) last = net.trainStep(x, t, 0.5);
    expect(last).toBeLessThan(first / 2);
    net.dispose();
  });

  it('same seed gives bit-identical weights after N steps; another seed does not', () => {
    const train = (seed: number) => {
      const net = new TwoLayerNet(runtime, { inputSize: 17, hiddenSize: 10, outputSize: 4, seed });
      const x = randomArray(ROWS * 17, 3);
      const t = randomLabels(ROWS, 4, 4);
      for (let i = 0; i < 20; i++) net.trainStep(x, t, 0.1);
      const weights = net.paramNames.map((name) => net.params[name].slice());
      net.dispose();
      return weights;
    };
    expect(train(42)).toEqual(train(42));
    expect(train(42)[0]).not.toEqual(train(43)[0]);
  });
});

describe('initialization', () => {
  it('weights are weightInitStd·N(0,1), biases zero', () => {
    const net = new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10, weightInitStd: 0.01, seed: 1 });
    const w = net.params.W1;
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.01 * 5 / Math.sqrt(w.length));
    expect(Math.abs(std / 0.01 - 1)).toBeLessThan(0.01);
    expect(net.params.b1.every((v) => v === 0)).toBe(true);
    expect(net.paramShape('W1')).toEqual([784, 100]);
    expect(net.parameterCount).toBe(79510);
    expect(net.layers.map((layer) => layer.name)).toEqual(['Affine1', 'Sigmoid1', 'Affine2', 'SoftmaxWithLoss']);
    net.dispose();
  });
});

describe.each(['xavier', 'he', 'pytorch'] as const)('%s initialization', (init) => {
  it('draws weights (and for pytorch biases) with the documented spread', () => {
    const net = new MLP(runtime, { sizes: [400, 300, 10], init, seed: 3 });
    const w = net.params.W1;
    const variance = w.reduce((a, b) => a + b * b, 0) / w.length;
    const expected = init === 'xavier' ? 6 / 700 / 3 : init === 'he' ? 2 / 400 : 1 / 400 / 3;
    expect(Math.abs(variance / expected - 1)).toBeLessThan(0.02);
    if (init === 'he') expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(Math.sqrt(expected) * 3);
    else expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(3 * expected));
    expect(net.params.b1.some((v) => v !== 0)).toBe(init === 'pytorch');
    net.dispose();
  });
});

describe('API misuse is a clear error', () => {
  let net: TwoLayerNet;
  beforeAll(() => {
    net = new TwoLayerNet(runtime, { inputSize: 5, hiddenSize: 4, outputSize: 3 });
  });
  const x = randomArray(2 * 5, 1);

  it('rejects inputs that are not whole rows', () => {
    expect(() => net.predict(randomArray(7, 1))).toThrow(ShapeError);
    expect(() => net.predict(new Float32Array(0))).toThrow(/not a whole number of rows/);
    expect(() => net.predict([1, 2, 3, 4, 5] as unknown as Float32Array)).toThrow(ShapeError);
  });
  it('rejects non-finite inputs, naming the element', () => {
    const bad = x.slice();
    bad[7] = NaN;
    expect(() => net.trainStep(bad, [0, 1], 0.1)).toThrow(/x\[1\]\[2\] is NaN/);
    bad[7] = Infinity;
    expect(() => net.loss(bad, [0, 1])).toThrow(ValueError);
  });
  it('rejects labels out of range or of the wrong count', () => {
    expect(() => net.trainStep(x, [0, 3], 0.1)).toThrow(/label 1 is 3: labels must be integers in \[0, 3\)/);
    expect(() => net.gradient(x, [0, -1])).toThrow(ValueError);
    expect(() => net.accuracy(x, [0, 1.5])).toThrow(ValueError);
    expect(() => net.loss(x, [0])).toThrow(ShapeError);
    expect(() => net.loss(x, new Float32Array([0, 1, 0, 0.5, 0.5, 0]))).toThrow(/not one-hot/);
    expect(() => net.trainStep(x, new Float32Array([0, 1, 1, 1, 0, 0]), 0.1)).toThrow(/targets row 0 is not one-hot \(value 1 at column 2\)/);
    expect(() => net.gradient(x, new Float32Array([0, 1, 0, 0, 0, 0]))).toThrow(/targets row 1 is all zeros/);
    expect(() => net.loss(x, new Float32Array(5))).toThrow(ShapeError);
  });
  it('rejects bad learning rates, parameters and options', () => {
    expect(() => net.trainStep(x, [0, 1], NaN)).toThrow(/learning rate is NaN/);
    expect(() => net.trainStep(x, [0, 1], -1)).toThrow(ValueError);
    expect(() => (net.params.W1 = new Float32Array(3))).toThrow(/W1 has shape \[5,4\]/);
    expect(() => (net.params.b1 = new Float32Array([0, NaN, 0, 0]))).toThrow(ValueError);
    expect(() => new MLP(runtime, { sizes: [5, 0, 3] })).toThrow(/layer size 1 is 0/);
    expect(() => new MLP(runtime, { sizes: [5, 3], activation: 'tanh' as Activation })).not.toThrow();
    expect(() => new MLP(runtime, { sizes: [5, 4, 3], activation: 'swish' as Activation })).toThrow(/unknown activation 'swish'/);
    expect(() => new MLP(runtime, { sizes: [5, 4, 3], weightInitStd: NaN })).toThrow(ValueError);
    expect(() => new MLP(runtime, { sizes: [5, 4, 3], init: 'lecun' as never })).toThrow(/unknown init 'lecun'/);
    expect(() => net.useOptimizer({ type: 'lion' } as never)).toThrow(/unknown optimizer 'lion'/);
    expect(() => net.useOptimizer({ type: 'sgd', momentum: 1.5 })).toThrow(/momentum is 1.5/);
    expect(() => net.useOptimizer({ type: 'sgd', nesterov: true })).toThrow(/nesterov momentum needs momentum > 0/);
    expect(() => net.useOptimizer({ type: 'adam', eps: 0 })).toThrow(/eps is 0/);
  });
  it('setting params copies values in; the view stays live', () => {
    const values = randomArray(20, 5);
    net.params.W1 = values;
    expect(net.params.W1).toEqual(values);
    const view = net.params.W1;
    view[0] = 42;
    expect(net.params.W1[0]).toBe(42);
  });
});

describe('memory', () => {
  it('views stay valid when memory grows, and disposing networks frees their memory', () => {
    const net = new TwoLayerNet(runtime, { inputSize: 5, hiddenSize: 4, outputSize: 3, seed: 1 });
    const before = net.params.W1.slice();
    const big = runtime.arena.alloc(64 << 20); // forces memory.grow, detaching the old buffer
    expect(net.params.W1).toEqual(before);
    runtime.arena.release(big);

    const allocated = runtime.arena.allocatedBytes;
    const size = runtime.arena.memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) {
      new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10, seed: i }).dispose();
    }
    expect(runtime.arena.allocatedBytes).toBe(allocated);
    expect(runtime.arena.memory.buffer.byteLength).toBe(size);
    net.dispose();
  });
});

describe('MLP and TwoLayerNet build the layers their options describe', () => {
  const kinds = (net: MLP) => net.layerSpecs.map((spec) => (spec.kind === 'dense' ? `dense(${(spec as { units: number }).units})` : (spec as { function: string }).function));

  it('dense layers of the widths with one activation between each, relu by default, softmax cross-entropy', () => {
    const net = new MLP(runtime, { sizes: [5, 4, 3, 2] });
    expect(kinds(net)).toEqual(['dense(4)', 'relu', 'dense(3)', 'relu', 'dense(2)']);
    expect([net.inputSize, net.lossKind, net.sizes, net.activations]).toEqual([5, 'softmax-cross-entropy', [5, 4, 3, 2], ['relu', 'relu']]);
    net.dispose();
  });

  it('an activation per hidden layer; the widths and activations are copies', () => {
    const sizes = [5, 4, 3, 2];
    const activation: Activation[] = ['tanh', 'sigmoid'];
    const net = new MLP(runtime, { sizes, activation });
    expect(kinds(net)).toEqual(['dense(4)', 'tanh', 'dense(3)', 'sigmoid', 'dense(2)']);
    sizes[1] = 9;
    activation[0] = 'relu';
    expect([net.sizes, net.activations]).toEqual([[5, 4, 3, 2], ['tanh', 'sigmoid']]);
    net.dispose();
  });

  it.each([
    [{ sizes: [5] }, 'sizes must list at least an input and an output width, e.g. [784, 100, 10]'],
    [{ sizes: 'a,b' as unknown as number[] }, 'sizes must list at least an input and an output width, e.g. [784, 100, 10]'],
    [{ sizes: [5, 2.5, 3] }, 'layer size 1 is 2.5: every size must be a positive integer'],
    [{ sizes: [0, 3] }, 'layer size 0 is 0: every size must be a positive integer'],
    [{ sizes: [5, 1] }, 'the output layer needs at least 2 classes'],
    [{ sizes: [5, 4, 3, 2], activation: ['relu'] as Activation[] }, '1 activations given for 2 hidden layers'],
    [{ sizes: [5, 4, 2], activation: ['relu', 'swish'] as Activation[] }, '2 activations given for 1 hidden layers'],
    [{ sizes: [5, 4, 3, 2], activation: ['relu', 'swish'] as Activation[] }, "unknown activation 'swish': expected one of sigmoid, relu, tanh, leaky-relu"],
    [{ sizes: [5, 4, 2], maxRows: 0 }, 'maxRows is 0: must be a positive integer'],
  ])('%j is refused: %s', (options, message) => {
    expect(() => new MLP(runtime, options)).toThrow(new ValueError(message));
  });

  it('the seed is passed on: the same seed, the same weights', () => {
    const [a, b, c] = [1, 1, 2].map((seed) => new MLP(runtime, { sizes: [5, 4, 2], init: 'he', seed }));
    expect(a.params.W1).toEqual(b.params.W1);
    expect(a.params.W1).not.toEqual(c.params.W1);
    for (const net of [a, b, c]) net.dispose();
  });

  it('TwoLayerNet: sigmoid by default, its sizes, std, seed and maxRows passed on', () => {
    const net = new TwoLayerNet(runtime, { inputSize: 5, hiddenSize: 4, outputSize: 3, weightInitStd: 0, seed: 3 });
    expect(kinds(net)).toEqual(['dense(4)', 'sigmoid', 'dense(3)']);
    expect(Array.from(net.params.W1).every((w) => w === 0)).toBe(true); // std 0: no weight drawn
    const relu = new TwoLayerNet(runtime, { inputSize: 5, hiddenSize: 4, outputSize: 3, activation: 'relu', seed: 3 });
    const again = new MLP(runtime, { sizes: [5, 4, 3], activation: 'relu', init: 'normal', weightInitStd: 0.01, seed: 3 });
    expect(kinds(relu)).toEqual(['dense(4)', 'relu', 'dense(3)']);
    expect(relu.params.W1).toEqual(again.params.W1);
    expect(() => new TwoLayerNet(runtime, { inputSize: 5, hiddenSize: 4, outputSize: 3, maxRows: -1 })).toThrow('maxRows is -1');
    for (const n of [net, relu, again]) n.dispose();
  });

  it('createMLP and TwoLayerNet.create use the shared runtime of the build', async () => {
    const shared = await sharedRuntime(buildUnderTest);
    const mlp = await createMLP({ sizes: [5, 4, 2], build: buildUnderTest });
    const two = await TwoLayerNet.create({ inputSize: 5, hiddenSize: 4, outputSize: 2, build: buildUnderTest, seed: 2 });
    expect(mlp.runtime).toBe(shared);
    expect(two.runtime).toBe(shared);
    expect(kinds(two)).toEqual(['dense(4)', 'sigmoid', 'dense(2)']);
    mlp.dispose();
    two.dispose();
  });
});
