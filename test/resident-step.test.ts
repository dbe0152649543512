// The training loop's step gathers its batch from the resident dataset inside wasm (inputs and
// targets, row by row, in the loss head's own target format). A step over the whole set must
// then be the step over the same rows passed as arrays: for every loss head, and with the rows
// in another order, which changes nothing but the order of the gradient's sums.
import { beforeAll, describe, expect, it } from 'vitest';
import { dense, tanh } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { train } from '../src/train.js';
import { randomArray, randomLabels } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const ROWS = 9;
const targetsFor = {
  'softmax-cross-entropy': () => Array.from(randomLabels(ROWS, 3, 41)),
  'binary-cross-entropy': () => new Float32Array(ROWS * 3).map((_, i) => ((i * 5) % 7 < 3 ? 1 : 0)),
  mse: () => randomArray(ROWS * 3, 42),
};

describe.each(Object.keys(targetsFor) as (keyof typeof targetsFor)[])('%s', (loss) => {
  it('one training step over the resident set is trainStep over the same rows', () => {
    const options = { input: 4, layers: [dense(6), tanh(), dense(3)], loss, weightInitStd: 0.5, seed: 11 };
    const resident = new Network(runtime, options);
    const arrays = new Network(runtime, options);
    const inputs = randomArray(ROWS * 4, 43);
    const targets = targetsFor[loss]();
    const losses: number[] = [];
    train(resident, { train: { inputs, targets } }, {
      sampling: 'shuffled-epochs', epochs: 1, batchSize: ROWS, learningRate: 0.5, evaluateTrain: false,
      onStep: (_, stepLoss) => void losses.push(stepLoss),
    });
    const expected = arrays.trainStep(inputs, targets, 0.5);
    expect(losses).toHaveLength(1);
    expect(losses[0]).toBeCloseTo(expected, 6);
    for (const name of resident.paramNames) {
      const got = resident.params[name];
      const want = arrays.params[name];
      for (let i = 0; i < want.length; i++) expect(got[i], `${name}[${i}]`).toBeCloseTo(want[i], 6);
    }
    resident.dispose();
    arrays.dispose();
  });
});
