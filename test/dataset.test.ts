// ResidentDataset: a dataset copied once into linear memory, its targets as the loss head reads
// them; what it refuses (with the names of the user's own data), and that a refusal or a
// dispose gives every byte back.
import { beforeAll, describe, expect, it } from 'vitest';
import { inputsOf, ResidentDataset, targetsOf } from '../src/dataset.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { dense, relu } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const network = (loss: 'softmax-cross-entropy' | 'binary-cross-entropy' | 'mse' = 'softmax-cross-entropy') =>
  new Network(runtime, { input: 4, layers: [dense(5), relu(), dense(3)], loss });

describe('ResidentDataset', () => {
  it('holds the inputs as f32 rows and class labels as i32 indices, one-hot rows included', () => {
    const net = network();
    const images = randomArray(3 * 4, 1);
    const set = new ResidentDataset(net, { images, labels: [2, 0, 1] });
    expect(set.count).toBe(3);
    expect(new Float32Array(runtime.arena.memory.buffer, set.inputs, 12)).toEqual(images);
    expect(Array.from(new Int32Array(runtime.arena.memory.buffer, set.targets, 3))).toEqual([2, 0, 1]);
    const oneHot = new ResidentDataset(net, { inputs: images, targets: new Float32Array([0, 0, 1, 1, 0, 0, 0, 1, 0]) });
    expect(Array.from(new Int32Array(runtime.arena.memory.buffer, oneHot.targets, 3))).toEqual([2, 0, 1]);
    // The evaluation through the resident rows is the one through the arrays.
    expect(net.evaluateResident(set.inputs, set.targets, 3)).toEqual(net.evaluate(images, [2, 0, 1]));
    set.dispose();
    oneHot.dispose();
    net.dispose();
  });

  it('holds binary and regression targets as f32 rows', () => {
    for (const loss of ['binary-cross-entropy', 'mse'] as const) {
      const net = network(loss);
      const targets = new Float32Array([1, 0, 1, 0, 0, 1]);
      const set = new ResidentDataset(net, { inputs: randomArray(2 * 4, 2), targets });
      // The blocks hold whole rows: a set allocated after this one overwrites none of it.
      const next = new ResidentDataset(net, { inputs: randomArray(2 * 4, 3), targets: new Float32Array(6).fill(0.5) });
      expect(new Float32Array(runtime.arena.memory.buffer, set.targets, 6)).toEqual(targets);
      next.dispose();
      set.dispose();
      net.dispose();
    }
  });

  it('names the user’s data in its refusals', () => {
    const net = network();
    const images = randomArray(3 * 4, 3);
    expect(() => new ResidentDataset(net, { images, labels: [0, 1] }, 'the test set')).toThrow(ShapeError);
    expect(() => new ResidentDataset(net, { images, labels: [0, 1] }, 'the test set')).toThrow('the test set has 3 images but 2 labels');
    expect(() => new ResidentDataset(net, { inputs: images, targets: [0, 1, 2, 0] })).toThrow('dataset has 3 input rows but 4 target values');
    expect(() => new ResidentDataset(net, { inputs: randomArray(5, 4), targets: [0] })).toThrow('dataset inputs has 5 values, not a whole number of rows of inputSize 4');
    const regression = network('mse');
    // Per-row targets of a regression are whole rows: one value per row is not enough.
    expect(() => new ResidentDataset(regression, { inputs: images, targets: new Float32Array(3) })).toThrow('dataset has 3 input rows but 3 target values');
    regression.dispose();
    net.dispose();
  });

  it('a refusal of its targets, and a dispose, give every byte back', () => {
    const net = network();
    const allocated = runtime.arena.allocatedBytes;
    expect(() => new ResidentDataset(net, { images: randomArray(3 * 4, 5), labels: [0, 7, 1] })).toThrow(ValueError);
    expect(runtime.arena.allocatedBytes).toBe(allocated);
    const set = new ResidentDataset(net, { images: randomArray(3 * 4, 5), labels: [0, 2, 1] });
    set.compress();
    expect(set.compress()).toBe(set.compressed);
    set.dispose();
    set.dispose();
    expect(runtime.arena.allocatedBytes).toBe(allocated);
    net.dispose();
  });

  it('inputsOf and targetsOf read either form', () => {
    const x = new Float32Array(2);
    expect(inputsOf({ images: x, labels: [1] })).toBe(x);
    expect(inputsOf({ inputs: x, targets: [1] })).toBe(x);
    expect(targetsOf({ images: x, labels: [3] })).toEqual([3]);
    expect(targetsOf({ inputs: x, targets: [4] })).toEqual([4]);
  });
});
