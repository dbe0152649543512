// Parity with PyTorch 1.13 for the loss heads other than cross-entropy (nn.BCEWithLogitsLoss,
// nn.MSELoss) and for the optimizers and options that test/pytorch-parity.test.ts does not
// cover: RMSprop (plain; momentum, alpha and weight decay), Adagrad (lr decay, weight decay,
// initial accumulator), Adam with coupled L2 decay, SGD with decay alone, and clip_grad_norm_.
// The fixtures come from scripts/make-reference.py; tolerances as in pytorch-parity.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { dense, tanh, type Loss } from '../src/layers.js';
import { MLP, type Activation } from '../src/mlp.js';
import { Network } from '../src/network.js';
import type { OptimizerOptions } from '../src/optimizer.js';
import type { Runtime } from '../src/runtime.js';
import { assignTorchStateDict, toTorchLayout } from '../src/torch.js';
import { testRuntime } from './support/runtime.js';
import { relativeToLargest } from './support/reference.js';
import { loadFixture, tensorsOf } from './support/fixtures.js';
import { expectTensors, expectTrainingRun } from './support/parity.js';

const heads = loadFixture('pytorch-heads.json');
const base = loadFixture('pytorch-reference.json');

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});


describe('loss heads against PyTorch on a 5-4-3 tanh network', () => {
  const x = Float32Array.from(heads.x as number[]);
  it.each(Object.keys(heads.heads))('%s: loss and every gradient', (name) => {
    const loss = name.startsWith('binary') ? 'binary-cross-entropy' : ('mse' as Loss);
    const net = new Network(runtime, { input: 5, layers: [dense(4), tanh(), dense(3)], loss });
    assignTorchStateDict(net, tensorsOf(heads.state), 'fixture');
    const expected = heads.heads[name];
    const t = Float32Array.from(expected.targets as number[]);
    expect(Math.abs(net.loss(x, t) - expected.loss)).toBeLessThan(1e-6 * expected.loss);
    expectTensors(toTorchLayout(net, net.gradient(x, t)), expected.gradients);
    net.dispose();
  });
});

describe('optimizers against PyTorch on the 6-5-4-3 tanh/relu MLP', () => {
  const x = Float32Array.from(base.x as number[]);
  const y = Int32Array.from(base.y as number[]);
  const optimizers: Record<string, OptimizerOptions & { lr: number }> = {
    rmsprop: { type: 'rmsprop', lr: 1e-2 },
    'rmsprop-momentum': { type: 'rmsprop', lr: 1e-2, alpha: 0.9, momentum: 0.9, weightDecay: 1e-3 },
    adagrad: { type: 'adagrad', lr: 0.1, lrDecay: 0.01, weightDecay: 1e-3, initialAccumulatorValue: 0.1 },
    'adam-l2': { type: 'adam', lr: 1e-2, weightDecay: 0.05 },
    'sgd-decay-only': { type: 'sgd', lr: 0.1, weightDecay: 0.05 },
    'sgd-clipped': { type: 'sgd', lr: 0.1, maxGradNorm: 0.03 },
    'adam-clipped': { type: 'adam', lr: 1e-2, maxGradNorm: 0.03 },
  };
  it.each(Object.keys(optimizers))('%s: parameters after each of 5 steps', (name) => {
    const net = new MLP(runtime, { sizes: base.sizes, activation: base.activations as Activation[] });
    assignTorchStateDict(net, tensorsOf(base.state), 'fixture');
    expectTrainingRun(net, optimizers[name], x, y, heads.optimizers[name], heads.steps);
    net.dispose();
  });

  it('clipping changes the run: the gradient norm (about 0.1) is above 0.03, so the fixtures differ from unclipped SGD', () => {
    expect(relativeToLargest(heads.optimizers['sgd-clipped'].state['0.weight'], base.after.sgd.state['0.weight'])).toBeGreaterThan(1e-3);
  });
});
