import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MLP, type Activation } from '../src/mlp.js';
import type { OptimizerOptions } from '../src/optimizer.js';
import type { Runtime } from '../src/runtime.js';
import { assignTorchSafetensors, assignTorchStateDict, encodeTorchSafetensors, toTorchLayout } from '../src/torch.js';
import { expectTensors, expectTrainingRun } from './support/parity.js';
import { testRuntime } from './support/runtime.js';
import { loadFixture, tensorsOf } from './support/fixtures.js';

// Produced by scripts/make-reference.py with PyTorch (see its header); committed as test data.
const reference = loadFixture('pytorch-reference.json');
const torchBytes = new Uint8Array(readFileSync(new URL('./fixtures/pytorch-state.safetensors', import.meta.url)));
const state = tensorsOf(reference.state);
const x = Float32Array.from(reference.x as number[]);
const y = Int32Array.from(reference.y as number[]);

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

function referenceNet(): MLP {
  const net = new MLP(runtime, { sizes: reference.sizes, activation: reference.activations as Activation[] });
  assignTorchStateDict(net, state, 'fixture');
  return net;
}

describe('parity with PyTorch 1.13 on a 6-5-4-3 tanh/relu MLP', () => {
  // Both sides compute in f32 with different summation orders (and PyTorch, like the relaxed
  // build, fuses some multiply-adds), so results agree to rounding: the loss to 1e-6, gradients
  // and the parameters after five optimizer steps to 1e-5 of each tensor's largest entry
  // (observed: ≤ 2e-6).
  it('loss and every gradient', () => {
    const net = referenceNet();
    expect(Math.abs(net.loss(x, y) - reference.loss)).toBeLessThan(1e-6 * reference.loss);
    expectTensors(toTorchLayout(net, net.gradient(x, y)), reference.gradients);
    net.dispose();
  });

  const optimizers: Record<string, OptimizerOptions & { lr: number }> = {
    sgd: { type: 'sgd', lr: 0.1 },
    'sgd-momentum': { type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 },
    'sgd-nesterov': { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true },
    'sgd-weight-decay': { type: 'sgd', lr: 0.1, weightDecay: 0.05 },
    adam: { type: 'adam', lr: 1e-2 },
    'adam-weight-decay': { type: 'adam', lr: 1e-2, weightDecay: 0.1 },
    adamw: { type: 'adamw', lr: 1e-2, weightDecay: 0.1 },
  };
  it.each(Object.keys(optimizers))('%s: parameters after each of 5 steps', (name) => {
    const net = referenceNet();
    expectTrainingRun(net, optimizers[name], x, y, reference.after[name], reference.steps);
    net.dispose();
  });
});

describe('safetensors with PyTorch names', () => {
  it('exports byte for byte what the fixture script serialized from the state_dict', () => {
    const net = referenceNet();
    expect(Buffer.from(encodeTorchSafetensors(net)).equals(Buffer.from(torchBytes))).toBe(true);
    net.dispose();
  });

  it('imports it back into an equivalent network', () => {
    const net = new MLP(runtime, { sizes: reference.sizes, activation: reference.activations as Activation[], seed: 9 });
    assignTorchSafetensors(net, torchBytes, 'pytorch-state.safetensors');
    const original = referenceNet();
    expect(net.predict(x)).toEqual(original.predict(x));
    net.dispose();
    original.dispose();
  });

  it('rejects a state_dict of another architecture', () => {
    const net = new MLP(runtime, { sizes: [6, 7, 4, 3], activation: 'relu' });
    expect(() => assignTorchSafetensors(net, torchBytes, 'm.safetensors')).toThrow(/0.weight \[5,6\] \/ 0.bias \[5\] do not fit Linear\(6, 7\)/);
    net.dispose();
  });
});
