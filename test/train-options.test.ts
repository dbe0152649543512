import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import type { Runtime } from '../src/runtime.js';
import { train, type TrainOptions } from '../src/train.js';
import { randomArray } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const data = { train: { images: randomArray(30 * 4, 1), labels: Uint8Array.from({ length: 30 }, (_, i) => i % 3) } };
const withNet = <T>(use: (net: MLP) => T): T => {
  const net = new MLP(runtime, { sizes: [4, 3], seed: 1 });
  try {
    return use(net);
  } finally {
    net.dispose();
  }
};

describe('train() options', () => {
  it('fills in the documented defaults', () => {
    const history = withNet((net) => train(net, data, { iterations: 2 }));
    expect(history.options).toEqual({
      learningRate: 0.1, schedule: 'constant', optimizer: undefined, evaluateTrain: true, batchSize: 100,
      sampling: 'with-replacement', iterations: 2, epochs: 1, dropLast: false, evaluateEvery: 1, seed: 0,
      gradient: 'backprop', numericalStep: undefined, sparseInput: 'auto',
    });
    expect(withNet((net) => train(net, data, { iterations: 1, batchSize: 7 })).options.evaluateEvery).toBe(5); // ceil(30/7)
  });

  it.each([
    [{ batchSize: 1.5 }, /batchSize is 1.5: must be a positive integer/],
    [{ iterations: 0 }, /iterations is 0: must be a positive integer/],
    [{ epochs: 0, sampling: 'shuffled-epochs' }, /epochs is 0: must be a positive integer/],
    [{ evaluateEvery: 0 }, /evaluateEvery is 0: must be a positive integer/],
    [{ seed: 0.5 }, /seed is 0.5: must be an integer/],
    [{ learningRate: 0 }, /learning rate is 0: must be a positive finite number/],
    [{ learningRate: Infinity }, /learning rate is Infinity/],
    [{ schedule: 'linear' }, /bad schedule "linear": expected 'constant', 'cosine' or \{ stepEvery, gamma \}/],
    [{ schedule: { stepEvery: 2.5, gamma: 0.5 } }, /bad schedule/],
    [{ schedule: { stepEvery: 2, gamma: -0.5 } }, /bad schedule/],
    [{ schedule: { stepEvery: 2, gamma: Infinity } }, /bad schedule/],
    [{ sampling: 'shuffled' }, /unknown sampling 'shuffled': expected with-replacement or shuffled-epochs/],
  ] as [TrainOptions, RegExp][])('rejects %o', (options, message) => {
    withNet((net) => {
      expect(() => train(net, data, { iterations: 2, ...options })).toThrow(ValueError);
      expect(() => train(net, data, { iterations: 2, ...options })).toThrow(message);
    });
  });

  it('accepts the edges: a step schedule with gamma 0, seed 0 and negative seeds', () => {
    withNet((net) => {
      expect(train(net, data, { iterations: 2, schedule: { stepEvery: 1, gamma: 0 } }).iterations).toBe(2);
      expect(train(net, data, { iterations: 2, seed: -3 }).iterations).toBe(2);
    });
  });
});
