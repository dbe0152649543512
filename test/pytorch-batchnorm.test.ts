// Parity with PyTorch's nn.BatchNorm1d and nn.BatchNorm2d (test/fixtures/pytorch-batchnorm.json,
// written by scripts/make-reference.py): an MLP and a CNN whose γ, β and running statistics start
// away from the defaults. Evaluation-mode predictions, the training-mode loss and gradients, the
// running statistics after one training forward and after five optimizer steps, and the
// state_dict in safetensors byte for byte as the script wrote it (and load_state_dict read it).
// Each normalization follows an activation: a bias right before one has a zero gradient, which
// both sides hold only as rounding (the script says more).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NamedTensor } from '../src/io/tensor.js';
import { batchNorm1d, batchNorm2d, conv2d, dense, flatten, maxPool2d, relu, tanh, type ImageShape } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { OptimizerOptions } from '../src/optimizer.js';
import type { Runtime } from '../src/runtime.js';
import { assignTorchStateDict, encodeTorchSafetensors, torchStateDict, toTorchLayout } from '../src/torch.js';
import { loadFixture, tensorsOf } from './support/fixtures.js';
import { expectProbabilities, expectTensors, expectTrainingRun } from './support/parity.js';
import { testRuntime } from './support/runtime.js';

const reference = loadFixture('pytorch-batchnorm.json');

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

/** The fixture's two nn.Sequential models, layer for layer. */
const MODELS = {
  mlp: () => new Network(runtime, { input: 5, layers: [dense(6), tanh(), batchNorm1d(), dense(3)] }),
  cnn: () => new Network(runtime, {
    inputShape: reference.cnn.inputShape as ImageShape,
    layers: [conv2d(4, 3, { padding: 1 }), relu(), batchNorm2d(), maxPool2d(2), flatten(), dense(3)],
  }),
};

/** Every tensor of a state_dict, num_batches_tracked as numbers. */
const values = (t: NamedTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe.each(['mlp', 'cnn'] as const)(`parity with PyTorch ${reference.torch}: %s with batch normalization`, (name) => {
  const fixture = reference[name];
  const x = Float32Array.from(fixture.x as number[]);
  const y = Int32Array.from(fixture.y as number[]);
  const referenceNet = () => {
    const net = MODELS[name]();
    assignTorchStateDict(net, tensorsOf(fixture.state), 'fixture');
    return net;
  };

  it('evaluation mode: predictions from the running statistics', () => {
    const net = referenceNet();
    expectProbabilities(net.predict(x), fixture.evalLogits, 3, 1e-6);
    net.dispose();
  });

  it('training mode: the loss, every gradient and the running statistics the forward leaves', () => {
    const net = referenceNet();
    expectTensors(toTorchLayout(net, net.gradient(x, y)), fixture.gradients);
    const again = referenceNet();
    // trainStep reports the loss before its update, after the forward has moved the statistics.
    const loss = again.trainStep(x, y, 0.1);
    expect(Math.abs(loss - fixture.loss)).toBeLessThan(1e-6 * fixture.loss);
    const buffers = torchStateDict(again).filter((t) => /running|tracked/.test(t.name));
    expectTensors(buffers, Object.fromEntries(Object.entries(fixture.afterForward).filter(([key]) => /running|tracked/.test(key))) as never);
    expectTensors(torchStateDict(net).filter((t) => /running|tracked/.test(t.name)), Object.fromEntries(buffers.map((t) => [t.name, values(t)])));
    net.dispose();
    again.dispose();
  });

  const optimizers: Record<string, OptimizerOptions & { lr: number }> = {
    'sgd-momentum': { type: 'sgd', momentum: 0.9, lr: 0.1 },
    adam: { type: 'adam', lr: 1e-2 },
  };
  it.each(Object.keys(optimizers))('%s: losses, parameters and buffers after each of 5 steps, then evaluation', (optimizer) => {
    const net = referenceNet();
    const expected = fixture.after[optimizer];
    expectTrainingRun(net, optimizers[optimizer], x, y, expected, reference.steps);
    expectProbabilities(net.predict(x), expected.evalLogits, 3, 1e-5);
    net.dispose();
  });
});

describe('a batch-normalized network in safetensors with PyTorch names', () => {
  it('is, byte for byte, the file load_state_dict read in the script (num_batches_tracked as I64)', () => {
    const net = MODELS.mlp();
    assignTorchStateDict(net, tensorsOf(reference.mlp.state), 'fixture');
    const file = new Uint8Array(readFileSync(new URL('./fixtures/pytorch-batchnorm.safetensors', import.meta.url)));
    expect(encodeTorchSafetensors(net)).toEqual(file);
    net.dispose();
  });
});
