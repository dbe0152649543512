// The sparse first layer inside training and evaluation: forced on, forced off and automatic,
// the same seed gives the same bits — weights, every step's loss, every evaluation — on real
// MNIST, with plain SGD and with optimizers whose state decays on rows no input touches.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist-node.js';
import type { Mnist } from '../src/data/mnist.js';
import { ShapeError } from '../src/errors.js';
import { dense, relu, tanh } from '../src/layers.js';
import { MLP } from '../src/mlp.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import type { OptimizerOptions } from '../src/optimizer.js';
import { train, type SparseInput, type TrainOptions } from '../src/train.js';
import { ResidentDataset } from '../src/dataset.js';
import { firstDifference } from './support/first-difference.js';
import { randomArray } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
let mnist: Mnist;
let small: { train: { images: Float32Array; labels: Uint8Array }; test: { images: Float32Array; labels: Uint8Array } };
beforeAll(async () => {
  runtime = await testRuntime();
  mnist = await loadMnist();
  const take = (set: Mnist['train'], count: number) => ({ images: set.images.subarray(0, count * 784), labels: set.labels.subarray(0, count) });
  small = { train: take(mnist.train, 6000), test: take(mnist.test, 2000) };
});

const bits = (net: Network) => net.paramNames.map((name) => Array.from(new Uint32Array(net.params[name].slice().buffer)));

function runAll(make: () => Network, options: TrainOptions) {
  return (['dense', 'sparse', 'auto'] as SparseInput[]).map((sparseInput) => {
    const net = make();
    const history = train(net, small, { ...options, sparseInput });
    const result = { history, bits: bits(net) };
    net.dispose();
    return result;
  });
}

describe('sparse and dense first layers give the same bits', () => {
  it.each([
    ['784-100-10 sigmoid, SGD, batches with replacement', () => new MLP(runtime, { sizes: [784, 100, 10], activation: 'sigmoid' }),
      { iterations: 300, batchSize: 100, learningRate: 0.1, evaluateEvery: 100 }],
    ['784-50-10 relu, Adam, shuffled epochs with a partial batch', () => new MLP(runtime, { sizes: [784, 50, 10], activation: 'relu', init: 'he', seed: 2 }),
      { sampling: 'shuffled-epochs', epochs: 1, batchSize: 64, learningRate: 1e-3, optimizer: { type: 'adam' } }],
    ['784-30-20-10 tanh, SGD momentum and weight decay', () => new MLP(runtime, { sizes: [784, 30, 20, 10], activation: 'tanh', init: 'xavier' }),
      { iterations: 200, batchSize: 50, learningRate: 0.05, optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 1e-3 }, evaluateEvery: 100 }],
  ] as const)('%s', (_, make, options) => {
    const [denseRun, sparseRun, autoRun] = runAll(make, options as TrainOptions);
    expect(denseRun.history.firstLayer).toBe('dense');
    expect(sparseRun.history.firstLayer).toBe('sparse');
    expect(autoRun.history.firstLayer).toBe('sparse'); // MNIST is 19% nonzero
    for (const run of [sparseRun, autoRun]) {
      expect(firstDifference(run.bits, denseRun.bits)).toBeUndefined();
      expect(firstDifference(Array.from(run.history.loss), Array.from(denseRun.history.loss))).toBeUndefined();
      expect(run.history.evaluations.map((e) => [e.train, e.test])).toEqual(denseRun.history.evaluations.map((e) => [e.train, e.test]));
    }
  });

  it('auto keeps dense inputs dense, and a first layer that is not dense always reads densely', () => {
    const x = randomArray(200 * 12, 5);
    const labels = Int32Array.from({ length: 200 }, (_, i) => i % 3);
    const net = new Network(runtime, { input: 12, layers: [dense(8), tanh(), dense(3)] });
    expect(train(net, { train: { inputs: x, targets: labels } }, { iterations: 5, batchSize: 20 }).firstLayer).toBe('dense');
    const activationFirst = new Network(runtime, { input: 12, layers: [relu(), dense(3)] });
    expect(train(activationFirst, { train: { inputs: x, targets: labels } }, { iterations: 5, batchSize: 20, sparseInput: 'sparse' }).firstLayer).toBe('dense');
    net.dispose();
    activationFirst.dispose();
  });

  it('evaluating more rows than the compressed set holds is refused', () => {
    const net = new MLP(runtime, { sizes: [784, 10, 10] });
    const set = new ResidentDataset(net, small.test);
    expect(() => net.evaluateResident(set.inputs, set.targets, set.count + 1, set.compress())).toThrow(ShapeError);
    expect(net.evaluateResident(set.inputs, set.targets, set.count, set.compress())).toEqual(net.evaluateResident(set.inputs, set.targets, set.count));
    set.dispose();
    net.dispose();
  });
});

describe('the update of weight rows no input of the batch touches', () => {
  // Input 0 is nonzero in row 0 only: a step on row 0, then a step on row 1, whose gradient for
  // input 0's weight row is +0. Plain SGD skips that row in the sparse path (its update would
  // change nothing); every optimizer with state must still move it, as the dense path does.
  const x = Float32Array.from([0.5, 0, 1, -0.75, 0, 0.25, 0, 1]);
  const labels = Int32Array.from([1, 0]);

  function twoSteps(optimizer: OptimizerOptions | undefined, sparse: boolean) {
    const net = new Network(runtime, { input: 4, layers: [dense(3), tanh(), dense(2)], init: 'xavier', seed: 4 });
    const set = new ResidentDataset(net, { inputs: x, targets: labels });
    if (optimizer) net.useOptimizer(optimizer);
    net.ensureRows(1);
    const rowOfInput0 = () => Array.from(new Uint32Array(net.params.W1.slice(0, 3).buffer));
    const rows: number[][] = [];
    for (const row of [0, 1]) {
      net.batchIndices()[0] = row;
      net.trainStepResident(set.inputs, set.targets, 1, 0.1, sparse ? set.compress() : undefined);
      rows.push(rowOfInput0());
    }
    const result = { afterFirst: rows[0], afterSecond: rows[1], all: bits(net) };
    set.dispose();
    net.dispose();
    return result;
  }

  it.each([
    ['plain SGD', undefined, false],
    ['SGD with momentum', { type: 'sgd', momentum: 0.9 }, true],
    ['Adam', { type: 'adam' }, true],
    ['AdamW (decoupled weight decay)', { type: 'adamw' }, true],
    ['RMSprop with momentum', { type: 'rmsprop', momentum: 0.5 }, true],
  ] as const)('%s', (_, optimizer, moves) => {
    const denseRun = twoSteps(optimizer as OptimizerOptions | undefined, false);
    const sparseRun = twoSteps(optimizer as OptimizerOptions | undefined, true);
    expect(firstDifference(sparseRun.all, denseRun.all)).toBeUndefined();
    expect(sparseRun.afterFirst).toEqual(denseRun.afterFirst);
    if (moves) expect(sparseRun.afterSecond).not.toEqual(sparseRun.afterFirst);
    else expect(sparseRun.afterSecond).toEqual(sparseRun.afterFirst);
  });
});
