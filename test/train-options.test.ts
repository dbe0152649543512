import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import type { Runtime } from '../src/runtime.js';
import { Random } from '../src/random.js';
import { MAX_STEPS, train, type TrainOptions } from '../src/train.js';
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

describe('train() refusals, word for word', () => {
  const random = new Random(1).getState();
  it.each([
    [{ iterations: MAX_STEPS + 1 }, `${MAX_STEPS + 1} steps planned: a run may plan at most ${MAX_STEPS}`],
    [{ gradient: 'finite' }, "unknown gradient 'finite': expected backprop or numerical"],
    [{ iterations: 2, epochs: 2, dropLast: true }, 'epochs and dropLast do not apply to with-replacement sampling (it runs iterations steps)'],
    [{ sampling: 'shuffled-epochs', iterations: 2, evaluateEvery: 1 }, 'iterations and evaluateEvery do not apply to shuffled-epochs sampling (it runs epochs passes)'],
    [{ iterations: 4, resume: { iterations: -1, random } }, 'cannot resume at iteration -1: this run plans 4 steps'],
    [{ iterations: 4, resume: { iterations: 1.5, random } }, 'cannot resume at iteration 1.5: this run plans 4 steps'],
    [{ iterations: 4, resume: { iterations: 5, random } }, 'cannot resume at iteration 5: this run plans 4 steps'],
    [{ iterations: 4, resume: { iterations: 2, random, loss: new Float32Array(3) } }, 'the resume point holds 3 step losses, more than its 2 iterations'],
    // 30 rows in batches of 10: three steps an epoch.
    [{ sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, resume: { iterations: 2, random, order: Int32Array.from({ length: 30 }, (_, i) => i) } },
      'cannot resume at iteration 2: it does not fit this data and these options'],
    [{ sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, resume: { iterations: 3, random, order: Int32Array.from({ length: 29 }, (_, i) => i) } },
      'cannot resume at iteration 3: it does not fit this data and these options'],
    [{ sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, resume: { iterations: 3, random, order: Int32Array.from({ length: 30 }, (_, i) => (i === 4 ? -1 : i)) } },
      'the saved shuffled-epoch order is not a permutation of the 30 training rows (entry 4 is -1)'],
  ] as [TrainOptions, string][])('%o', (options, message) => {
    withNet((net) => {
      expect(() => train(net, data, options)).toThrow(ValueError);
      expect(() => train(net, data, options)).toThrow(message);
    });
  });

  it('accepts dropLast: false with with-replacement sampling, and resumes at the end of an epoch', () => {
    withNet((net) => {
      expect(train(net, data, { iterations: 1, dropLast: false }).iterations).toBe(1);
      const order = Int32Array.from({ length: 30 }, (_, i) => 29 - i);
      expect(train(net, data, { sampling: 'shuffled-epochs', epochs: 2, batchSize: 10, resume: { iterations: 3, random, order } }).iterations).toBe(6);
      expect(train(net, data, { iterations: 4, resume: { iterations: 4, random } }).iterations).toBe(4);
    });
  });

  it('takes its default first-layer path from SIMDNET_SPARSE_INPUT, and refuses another value', () => {
    const saved = process.env.SIMDNET_SPARSE_INPUT;
    try {
      for (const [value, resolved] of [['', 'auto'], ['dense', 'dense'], ['sparse', 'sparse'], ['auto', 'auto']]) {
        process.env.SIMDNET_SPARSE_INPUT = value;
        expect(withNet((net) => train(net, data, { iterations: 1 })).options.sparseInput, value).toBe(resolved);
      }
      delete process.env.SIMDNET_SPARSE_INPUT;
      expect(withNet((net) => train(net, data, { iterations: 1 })).options.sparseInput).toBe('auto');
      process.env.SIMDNET_SPARSE_INPUT = 'fast';
      expect(() => withNet((net) => train(net, data, { iterations: 1 }))).toThrow(new ValueError("SIMDNET_SPARSE_INPUT is 'fast': expected auto, dense or sparse"));
    } finally {
      if (saved === undefined) delete process.env.SIMDNET_SPARSE_INPUT;
      else process.env.SIMDNET_SPARSE_INPUT = saved;
    }
  });
});

