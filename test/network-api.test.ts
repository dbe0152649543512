// The Network class's own surface, beside the passes: what it reports about itself (layers,
// parameter names and shapes), the metrics it derives from evaluate()'s sums, batches larger
// than its buffers, its initializations, and the message of every error it raises itself.
import { beforeAll, describe, expect, it } from 'vitest';
import { CompressedRows } from '../src/compressed-rows.js';
import { ShapeError, SimdnetError, ValueError } from '../src/errors.js';
import { avgPool2d, conv2d, dense, dropout, flatten, leakyRelu, maxPool2d, relu, sigmoid, tanh } from '../src/layers.js';
import { createNetwork, Network, type NetworkOptions } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray, randomLabels } from './support/reference.js';
import { put, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const small = (options: Partial<NetworkOptions> = {}) => new Network(runtime, { input: 5, layers: [dense(4), sigmoid(), dense(3)], ...options });

describe('what a network reports about itself', () => {
  it('every layer kind, with its shapes and tensor names', () => {
    const net = new Network(runtime, {
      inputShape: [2, 6, 6],
      layers: [conv2d(3, 3), leakyRelu(), maxPool2d(2), conv2d(4, 1), avgPool2d(2), flatten(), dropout(0.25), dense(5), tanh(), dense(2)],
    });
    expect(net.inputSize).toBe(72);
    expect(net.layers).toEqual([
      { kind: 'convolution', name: 'Convolution1', inShape: [2, 6, 6], outShape: [3, 4, 4], weights: 'W1', bias: 'b1' },
      { kind: 'leaky-relu', name: 'Leaky-relu1' },
      { kind: 'max-pooling', name: 'MaxPooling1', inShape: [3, 4, 4], outShape: [3, 2, 2] },
      { kind: 'convolution', name: 'Convolution2', inShape: [3, 2, 2], outShape: [4, 2, 2], weights: 'W2', bias: 'b2' },
      { kind: 'average-pooling', name: 'AveragePooling2', inShape: [4, 2, 2], outShape: [4, 1, 1] },
      { kind: 'flatten', name: 'Flatten2' },
      { kind: 'dropout', name: 'Dropout2', p: 0.25 },
      { kind: 'affine', name: 'Affine3', inputSize: 4, outputSize: 5, weights: 'W3', bias: 'b3' },
      { kind: 'tanh', name: 'Tanh3' },
      { kind: 'affine', name: 'Affine4', inputSize: 5, outputSize: 2, weights: 'W4', bias: 'b4' },
      { kind: 'softmax-with-loss', name: 'SoftmaxWithLoss' },
    ]);
    expect(net.paramNames).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4']);
    expect(net.paramNames.map((name) => net.parameterLayer(name))).toEqual([0, 0, 3, 3, 7, 7, 9, 9]);
    expect(net.paramShape('W1')).toEqual([3, 2, 3, 3]);
    expect(net.paramShape('W3')).toEqual([4, 5]);
    expect(net.parameterCount).toBe(3 * 2 * 9 + 3 + 4 * 3 + 4 + 4 * 5 + 5 + 5 * 2 + 2);
    net.dispose();
  });

  it('the binary and mse heads', () => {
    const binary = small({ loss: 'binary-cross-entropy' });
    expect(binary.layers.at(-1)).toEqual({ kind: 'sigmoid-with-loss', name: 'SigmoidWithLoss' });
    binary.dispose();
    const regression = small({ loss: 'mse', layers: [dense(4), relu(), dense(3)] });
    expect(regression.layers.at(-1)).toEqual({ kind: 'mse-loss', name: 'MeanSquaredError' });
    regression.dispose();
  });

  it('shares no array with the caller: its shapes and layer list are copies', () => {
    const inputShape: [number, number, number] = [1, 4, 4];
    const layers = [conv2d(2, [3, 3]), flatten(), dense(2)];
    const net = new Network(runtime, { inputShape, layers });
    inputShape[1] = 9;
    (layers[0] as { kernel: number[] }).kernel[0] = 7;
    layers[2] = dense(9);
    expect(net.inputShape).toEqual([1, 4, 4]);
    expect(net.layerSpecs).toEqual([conv2d(2, [3, 3]), flatten(), dense(2)]);
    net.paramShape('W1')[0] = 100;
    expect(net.paramShape('W1')).toEqual([2, 1, 3, 3]);
    net.dispose();
  });
});

describe('metrics, as evaluate() derives them from its sums', () => {
  const rows = 7;
  const x = randomArray(rows * 5, 21);

  it('softmax cross-entropy: the mean loss and the rows whose largest probability is the label', () => {
    const net = small({ weightInitStd: 1, seed: 4 });
    const labels = Array.from(randomLabels(rows, 3, 22));
    const p = net.predict(x);
    let loss = 0;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      loss -= Math.log(row[labels[r]]);
      if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
    }
    const evaluation = net.evaluate(x, labels);
    expect(evaluation.count).toBe(rows);
    expect(evaluation.correct).toBe(correct);
    expect(evaluation.accuracy).toBe(correct / rows);
    expect(evaluation.loss).toBeCloseTo(loss / rows, 5);
    expect(net.accuracy(x, labels)).toBe(correct / rows);
    expect(net.loss(x, labels)).toBe(evaluation.loss);
    net.dispose();
  });

  it('binary cross-entropy: loss and accuracy over every label, not every row', () => {
    const net = small({ loss: 'binary-cross-entropy', weightInitStd: 1, seed: 5 });
    const t = new Float32Array(rows * 3).map((_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const p = net.predict(x);
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < t.length; i++) {
      loss -= t[i] * Math.log(p[i]) + (1 - t[i]) * Math.log(1 - p[i]);
      if ((p[i] > 0.5 ? 1 : 0) === t[i]) correct++;
    }
    const evaluation = net.evaluate(x, t);
    expect(evaluation.correct).toBe(correct);
    expect(evaluation.accuracy).toBe(correct / (rows * 3));
    expect(evaluation.loss).toBeCloseTo(loss / (rows * 3), 5);
    net.dispose();
  });

  it('mse: mse, mae and R² of the predictions', () => {
    const net = small({ loss: 'mse', layers: [dense(4), tanh(), dense(3)], weightInitStd: 1, seed: 6 });
    const t = randomArray(rows * 3, 23);
    const p = net.predict(x);
    let squares = 0;
    let absolute = 0;
    let mean = 0;
    for (let i = 0; i < t.length; i++) {
      squares += (p[i] - t[i]) ** 2;
      absolute += Math.abs(p[i] - t[i]);
      mean += t[i] / t.length;
    }
    const total = t.reduce((sum, v) => sum + (v - mean) ** 2, 0);
    const evaluation = net.evaluate(x, t);
    expect(evaluation.count).toBe(rows);
    expect(evaluation.accuracy).toBeUndefined();
    expect(evaluation.mse).toBe(evaluation.loss);
    expect(evaluation.loss).toBeCloseTo(squares / t.length, 5);
    expect(evaluation.mae).toBeCloseTo(absolute / t.length, 5);
    expect(evaluation.r2).toBeCloseTo(1 - squares / total, 5);
    // Constant targets have no variance to explain.
    expect(net.evaluate(x, new Float32Array(rows * 3).fill(0.5)).r2).toBeNaN();
    expect(() => net.accuracy(x, t)).toThrow(/accuracy is not defined for the mse loss: use evaluate\(\) for mse, mae and r2/);
    net.dispose();
  });
});

describe('batches larger than the buffers', () => {
  it('predict and evaluate go through the workspace block by block, with the same results', () => {
    const rows = 10;
    const x = randomArray(rows * 5, 31);
    const labels = Array.from(randomLabels(rows, 3, 32));
    const blocked = small({ maxRows: 3, weightInitStd: 1, seed: 7 });
    const whole = small({ maxRows: 16, weightInitStd: 1, seed: 7 });
    expect(blocked.predict(x)).toEqual(whole.predict(x));
    const a = blocked.evaluate(x, labels);
    const b = whole.evaluate(x, labels);
    expect(a.count).toBe(rows);
    expect(a.correct).toBe(b.correct);
    expect(a.loss).toBeCloseTo(b.loss, 12);
    blocked.dispose();
    whole.dispose();
  });
});

describe('initialization', () => {
  const variance = (w: Float32Array) => w.reduce((a, b) => a + b * b, 0) / w.length;

  it('normal: weightInitStd sets the spread, 0 gives zero weights; the seed defaults to 0', () => {
    const net = small({ input: 400, layers: [dense(300), relu(), dense(10)], weightInitStd: 0.5 });
    expect(Math.sqrt(variance(net.params.W1)) / 0.5).toBeCloseTo(1, 1);
    const seeded = small({ input: 400, layers: [dense(300), relu(), dense(10)], weightInitStd: 0.5, seed: 0 });
    expect(seeded.params.W1).toEqual(net.params.W1);
    const zero = small({ weightInitStd: 0 });
    expect(zero.params.W1.every((v) => v === 0)).toBe(true);
    for (const n of [net, seeded, zero]) n.dispose();
  });

  // Convolution weights [out, in, kh, kw] count in·kh·kw inputs and out·kh·kw outputs, as
  // torch.nn.init does: 2400 weights of conv2d(16, 5) over 6 channels.
  it.each([
    ['he', 2 / (6 * 25)],
    ['xavier', 6 / ((6 + 16) * 25) / 3],
    ['pytorch', 1 / (6 * 25) / 3],
  ] as const)('%s on a convolution uses its receptive field', (init, expected) => {
    const net = new Network(runtime, { inputShape: [6, 5, 5], layers: [conv2d(16, 5), flatten(), dense(2)], init, seed: 9 });
    expect(variance(net.params.W1) / expected).toBeCloseTo(1, 1);
    if (init === 'pytorch') {
      const bound = 1 / Math.sqrt(6 * 25);
      expect(Math.max(...net.params.b1.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...net.params.b1.map(Math.abs))).toBeGreaterThan(bound / 4);
    } else {
      expect(net.params.b1.every((v) => v === 0)).toBe(true);
    }
    net.dispose();
  });
});

describe('the errors the network raises itself', () => {
  it('options', () => {
    expect(() => small({ weightInitStd: -1 })).toThrow(/weightInitStd is -1: must be finite and >= 0/);
    expect(() => small({ weightInitStd: Infinity })).toThrow(ValueError);
    for (const seed of [-1, 1.5, 2 ** 32]) {
      expect(() => small({ seed })).toThrow(new RegExp(`seed is ${seed}: must be an integer from 0 to 2\\^32 − 1`));
    }
    expect(() => small({ seed: 2 ** 32 - 1 }).dispose()).not.toThrow();
    for (const maxRows of [0, 2.5]) {
      expect(() => small({ maxRows })).toThrow(new RegExp(`maxRows is ${maxRows}: must be a positive integer`));
    }
    expect(() => small({ maxRows: 1 }).dispose()).not.toThrow();
  });

  it('parameters', () => {
    const net = small();
    expect(() => net.paramShape('W3')).toThrow(/no parameter 'W3': this network has W1, b1, W2, b2/);
    expect(() => net.parameterLayer('c1')).toThrow(ValueError);
    const before = net.params.W1.slice();
    const bad = Array.from(randomArray(3, 1));
    bad[2] = NaN;
    // All or nothing: W1 is valid, b2 is not, and nothing is written.
    expect(() => net.assignParams({ W1: randomArray(20, 2), b2: bad }, 'file.json')).toThrow(/file.json: b2\[2\] is NaN: parameters must be finite/);
    expect(() => net.assignParams({ b1: [1, 2, 3] })).toThrow(/parameters: b1 has shape \[4\] \(4 values\), got 3 values/);
    expect(net.params.W1).toEqual(before);
    net.dispose();
  });

  it('the numerical gradient step', () => {
    const net = small();
    const x = randomArray(5, 3);
    for (const h of [0, -1e-2, Infinity, NaN]) {
      expect(() => net.numericalGradient(x, [1], h)).toThrow(new RegExp(`h is ${h}: must be a positive finite step`));
    }
    net.dispose();
  });

  it('resident batches', () => {
    const net = small({ maxRows: 4 });
    const rows = 4;
    const inputs = put(runtime, randomArray(rows * 5, 4));
    const targets = put(runtime, new Int32Array([0, 1, 2, 0]));
    for (const bad of [0, 1.5, 5]) {
      expect(() => net.trainStepResident(inputs, targets, bad, 0.1)).toThrow(new RegExp(`batch of ${bad} rows: call ensureRows first`));
    }
    net.ensureRows(5);
    net.batchIndices().set([0, 1, 2, 3, 0]);
    expect(() => net.trainStepResident(inputs, targets, 5, 0.1)).not.toThrow();
    const compressed = new CompressedRows(runtime, inputs, rows, 5);
    expect(() => net.evaluateResident(inputs, targets, 5, compressed)).toThrow(/5 rows asked of 4 compressed rows/);
    const narrow = new CompressedRows(runtime, inputs, 5, 4);
    expect(() => net.evaluateResident(inputs, targets, 4, narrow)).toThrow(/compressed rows of 4 columns cannot feed this network's first layer \(dense, 5 inputs\)/);
    const image = new Network(runtime, { inputShape: [1, 2, 2], layers: [conv2d(1, 1), flatten(), dense(2)] });
    const four = new CompressedRows(runtime, inputs, 4, 4);
    expect(() => image.evaluateResident(inputs, targets, 4, four)).toThrow(/cannot feed this network's first layer \(conv2d, 4 inputs\)/);
    for (const c of [compressed, narrow, four]) c.dispose();
    image.dispose();
    net.dispose();
  });

  it('after dispose, every call names the disposal; dispose itself may repeat', () => {
    const net = small();
    expect(net.disposed).toBe(false);
    net.dispose();
    expect(net.disposed).toBe(true);
    expect(() => net.dispose()).not.toThrow();
    expect(() => net.optimizerState()).toThrow(SimdnetError);
    expect(() => net.paramNames).toThrow(/this network was disposed/);
  });
});

describe('optimizer records', () => {
  it('no optimizer state until one is used; replacing or failing to restore one leaks nothing', () => {
    const start = runtime.arena.allocatedBytes;
    const net = small();
    expect(net.optimizerState()).toBeUndefined();
    const allocated = runtime.arena.allocatedBytes;
    net.useOptimizer({ type: 'adam', lr: 0.01 } as never);
    const withAdam = runtime.arena.allocatedBytes;
    expect(withAdam).toBeGreaterThan(allocated);
    net.useOptimizer({ type: 'adam', lr: 0.01 } as never);
    expect(runtime.arena.allocatedBytes).toBe(withAdam);
    const saved = net.optimizerState()!;
    expect(saved.step).toBe(0);
    const bad = saved.state.map((s) => s.slice());
    bad[0][0] = NaN;
    expect(() => net.restoreOptimizerState({ ...saved, state: bad })).toThrow(ValueError);
    expect(runtime.arena.allocatedBytes).toBe(withAdam);
    expect(net.optimizerState()!.options).toEqual(saved.options);
    net.dispose();
    expect(runtime.arena.allocatedBytes).toBe(start);
  });

  it('trainStep returns the loss before its update; stepLoss holds the resident step\'s', () => {
    const net = small({ weightInitStd: 1, seed: 8 });
    const x = randomArray(3 * 5, 5);
    const labels = [2, 0, 1];
    const before = net.loss(x, labels);
    expect(net.trainStep(x, labels, 0.5)).toBeCloseTo(before, 6);
    expect(net.loss(x, labels)).toBeLessThan(before);
    const inputs = put(runtime, x);
    const targets = put(runtime, new Int32Array(labels));
    net.batchIndices().set([0, 1, 2]);
    const now = net.loss(x, labels);
    net.trainStepResident(inputs, targets, 3, 0.5);
    expect(net.stepLoss()[0]).toBeCloseTo(now, 6);
    net.dispose();
  });
});

describe('a network whose first layer is an activation', () => {
  // Nothing before the first dense layer learns, so the backward pass stops there: no layer
  // before it writes an input gradient, and memory below the arena, where the kernel module's
  // own data lives, stays as it was.
  it('computes no input gradient, and writes nothing to the module’s own memory', () => {
    const net = new Network(runtime, { input: 8, layers: [tanh(), dense(3)], weightInitStd: 1, seed: 2 });
    const x = randomArray(4 * 8, 12);
    const low = () => new Uint8Array(runtime.arena.memory.buffer, 0, 4 * 8 * 4).slice();
    const before = low();
    net.gradient(x, [0, 1, 2, 0]);
    net.trainStep(x, [0, 1, 2, 0], 0.1);
    net.assignParams({ W1: randomArray(8 * 3, 13) });
    expect(low()).toEqual(before);
    net.dispose();
  });
});

describe('two dense layers with no activation between', () => {
  // The numerical gradient's fast path takes the layer before the last as identity-activated:
  // with weights of spread 1 half the pre-activations are negative, where any other function
  // (leaky relu's 0.01·z, relu's 0) would move the loss differently.
  it('the numerical gradient of both layers matches backprop', () => {
    const net = new Network(runtime, { input: 5, layers: [dense(4), dense(3)], weightInitStd: 1, seed: 3 });
    const x = randomArray(6 * 5, 14);
    const labels = randomLabels(6, 3, 15);
    const numerical = net.numericalGradient(x, labels, 1e-3);
    const backprop = net.gradient(x, labels);
    for (const name of net.paramNames) {
      for (let i = 0; i < backprop[name].length; i++) expect(numerical[name][i], `${name}[${i}]`).toBeCloseTo(backprop[name][i], 4);
    }
    net.dispose();
  });
});

describe('what one call leaves behind for the next', () => {
  const x = randomArray(6 * 5, 51);
  const labels = [0, 1, 2, 2, 1, 0];
  const withDropout = () => new Network(runtime, { input: 5, layers: [dense(8), relu(), dropout(0.5), dense(3)], weightInitStd: 1, seed: 13 });

  it('predict and evaluate switch dropout off, whatever the call before them left', () => {
    const net = withDropout();
    const p = net.predict(x);
    const e = net.evaluate(x, labels);
    net.gradient(x, labels); // leaves the plan drawing masks
    expect(net.predict(x)).toEqual(p);
    net.gradient(x, labels);
    expect(net.evaluate(x, labels)).toEqual(e);
    const inputs = put(runtime, x);
    const targets = put(runtime, new Int32Array(labels));
    net.gradient(x, labels);
    expect(net.evaluateResident(inputs, targets, 6)).toEqual(e);
    net.dispose();
  });

  it('trainStep draws masks, whatever the call before it left', () => {
    const net = withDropout();
    const state = net.dropoutState();
    const g = net.gradient(x, labels);
    net.restoreDropoutState(state);
    net.predict(x); // leaves dropout off
    const before = Object.fromEntries(net.paramNames.map((name) => [name, net.params[name].slice()]));
    net.trainStep(x, labels, 0.1);
    for (const name of net.paramNames) {
      for (let i = 0; i < g[name].length; i++) expect(net.params[name][i], `${name}[${i}]`).toBeCloseTo(before[name][i] - 0.1 * g[name][i], 6);
    }
    net.dispose();
  });

  it('numericalGradient draws its masks as gradient() does, from the same random state', () => {
    const net = withDropout();
    net.predict(x); // leaves dropout off
    const state = net.dropoutState();
    const numerical = net.numericalGradient(x, labels);
    net.restoreDropoutState(state);
    const backprop = net.gradient(x, labels);
    for (const name of net.paramNames) {
      for (let i = 0; i < backprop[name].length; i++) expect(numerical[name][i], `${name}[${i}]`).toBeCloseTo(backprop[name][i], 2);
    }
    net.dispose();
  });

  it('a pass over compressed rows leaves the network reading its dense input again', () => {
    const net = small({ weightInitStd: 1, seed: 14, maxRows: 6 });
    const inputs = put(runtime, x);
    const targets = put(runtime, new Int32Array(labels));
    const compressed = new CompressedRows(runtime, inputs, 6, 5);
    const other = randomArray(6 * 5, 52);
    const before = net.predict(other);
    net.evaluateResident(inputs, targets, 6, compressed);
    expect(net.predict(other)).toEqual(before);
    net.batchIndices().set([5, 4, 3, 2, 1, 0]);
    net.trainStepResident(inputs, targets, 1, 0.1, compressed);
    const twin = small({ weightInitStd: 1, seed: 14 });
    twin.assignParams(Object.fromEntries(net.paramNames.map((name) => [name, net.params[name]])));
    expect(net.predict(other)).toEqual(twin.predict(other));
    compressed.dispose();
    twin.dispose();
    net.dispose();
  });

  it('a one-row resident step is a step', () => {
    const net = small({ weightInitStd: 1, seed: 15 });
    const twin = small({ weightInitStd: 1, seed: 15 });
    const inputs = put(runtime, x);
    const targets = put(runtime, new Int32Array(labels));
    net.batchIndices().set([2]);
    net.trainStepResident(inputs, targets, 1, 0.5);
    expect(net.stepLoss()[0]).toBe(twin.trainStep(x.slice(10, 15), [labels[2]], 0.5));
    for (const name of net.paramNames) expect(net.params[name]).toEqual(twin.params[name]);
    net.dispose();
    twin.dispose();
  });

  it('blocks of mse rows read their own target rows', () => {
    const rows = 10;
    const xs = randomArray(rows * 5, 53);
    const t = randomArray(rows * 3, 54);
    const blocked = small({ loss: 'mse', maxRows: 3, weightInitStd: 1, seed: 16 });
    const whole = small({ loss: 'mse', maxRows: 16, weightInitStd: 1, seed: 16 });
    const a = blocked.evaluate(xs, t);
    const b = whole.evaluate(xs, t);
    for (const key of ['loss', 'mae', 'r2'] as const) expect(a[key]).toBeCloseTo(b[key]!, 12);
    blocked.dispose();
    whole.dispose();
  });

  it('restoring an optimizer state twice frees the first record', () => {
    const net = small();
    net.useOptimizer({ type: 'sgd', momentum: 0.9 } as never);
    const saved = net.optimizerState()!;
    net.restoreOptimizerState(saved);
    const allocated = runtime.arena.allocatedBytes;
    net.restoreOptimizerState(saved);
    expect(runtime.arena.allocatedBytes).toBe(allocated);
    net.dispose();
  });

  it('params lists every tensor; a learning rate of 0 is refused', async () => {
    const net = await createNetwork({ input: 5, layers: [dense(4), sigmoid(), dense(3)] });
    expect(Object.keys(net.params)).toEqual(net.paramNames);
    expect(() => net.trainStep(x, labels, 0)).toThrow('learning rate is 0: must be a positive finite number');
    expect(() => small({ init: 'lecun' as never })).toThrow("unknown init 'lecun': expected one of normal, xavier, he, pytorch");
    net.dispose();
  });

  it('a batch too large for memory is refused at construction, and nothing is kept', () => {
    const allocated = runtime.arena.allocatedBytes;
    expect(() => small({ maxRows: 2 ** 52 })).toThrow('a batch of 4503599627370496 rows does not fit in WebAssembly memory');
    expect(runtime.arena.allocatedBytes).toBe(allocated);
  });
});
