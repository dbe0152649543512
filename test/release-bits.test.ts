// Same seed → same bits as the release before the layer engine (commit b9a216f): the weights
// after training three configurations on real MNIST, hashed. The hashes were printed by that
// release's own build; a change in any kernel's summation order, an init, the sampler or an
// optimizer's update order changes them. A deliberate change of order must update them here and
// say so in its commit.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist-node.js';
import type { Mnist } from '../src/data/mnist.js';
import { MLP } from '../src/mlp.js';
import type { Network } from '../src/network.js';
import { createRuntime } from '../src/runtime.js';
import { train } from '../src/train.js';
import { TwoLayerNet } from '../src/two-layer-net.js';
import { buildUnderTest } from './support/runtime.js';

const EXPECTED: Record<'simd' | 'relaxed-simd', string[]> = {
  simd: ['05f2ebb379c7e22e', '2389517391c81786', 'ac910a00ca7c7d22'],
  'relaxed-simd': ['0c22be62a6c49373', '5b5e245d9ef7be68', '6e8eb45c334ea06c'],
};

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist();
});

function hash(net: Network): string {
  const h = createHash('sha256');
  for (const name of net.paramNames) h.update(new Uint8Array(net.params[name].slice().buffer));
  return h.digest('hex').slice(0, 16);
}

describe('weights bit-identical to the previous release', () => {
  it('784-100-10 sigmoid (1200 steps, SGD), 784-128-256-10 relu (1 shuffled epoch, Adam with weight decay), 784-50-10 tanh (Nesterov)', async () => {
    const runtime = await createRuntime(buildUnderTest);
    const build = runtime.kernels.build;
    const a = new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10 });
    train(a, { train: mnist.train }, { iterations: 1200, batchSize: 100, learningRate: 0.1, evaluateTrain: false });
    const b = new MLP(runtime, { sizes: [784, 128, 256, 10], activation: 'relu', init: 'pytorch', seed: 3 });
    train(b, { train: mnist.train }, {
      sampling: 'shuffled-epochs', epochs: 1, batchSize: 64, learningRate: 0.001,
      optimizer: { type: 'adam', weightDecay: 0.01 }, evaluateTrain: false,
    });
    const c = new MLP(runtime, { sizes: [784, 50, 10], activation: 'tanh', init: 'xavier' });
    train(c, { train: mnist.train }, {
      iterations: 300, batchSize: 100, learningRate: 0.1, optimizer: { type: 'sgd', momentum: 0.9, nesterov: true }, evaluateTrain: false,
    });
    expect([hash(a), hash(b), hash(c)]).toEqual(EXPECTED[build]);
  });
});
