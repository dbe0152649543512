// Parity with PyTorch on a small convolutional network (test/fixtures/pytorch-conv.json, written
// by scripts/make-reference.py): Conv2d with padding, and with stride, padding and a non-square
// kernel, MaxPool2d, AvgPool2d with stride 1, Flatten and Linear on NCHW images.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { avgPool2d, conv2d, dense, flatten, maxPool2d, relu, tanh, type ImageShape } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { OptimizerOptions } from '../src/optimizer.js';
import type { Runtime } from '../src/runtime.js';
import { assignTorchSafetensors, assignTorchStateDict, encodeTorchSafetensors, toTorchLayout } from '../src/torch.js';
import { testRuntime } from './support/runtime.js';
import { loadFixture, tensorsOf } from './support/fixtures.js';
import { expectProbabilities, expectTensors, expectTrainingRun } from './support/parity.js';

const reference = loadFixture('pytorch-conv.json');
const state = tensorsOf(reference.state);
const x = Float32Array.from(reference.x as number[]);
const y = Int32Array.from(reference.y as number[]);

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

/** The fixture's nn.Sequential, layer for layer. */
function network(seed = 0): Network {
  return new Network(runtime, {
    inputShape: reference.inputShape as ImageShape,
    layers: [
      conv2d(5, 3, { padding: 1 }), relu(), maxPool2d(2),
      conv2d(3, [2, 3], { stride: 2, padding: 2 }), tanh(), avgPool2d(2, 1),
      flatten(), dense(4),
    ],
    seed,
  });
}

function referenceNet(): Network {
  const net = network();
  assignTorchStateDict(net, state, 'fixture');
  return net;
}


describe(`parity with PyTorch ${reference.torch} on a convolutional network`, () => {
  // Both sides compute in f32 with different summation orders, so results agree to rounding:
  // the loss to 1e-6, logits, gradients and parameters after five steps to 1e-5 of each
  // tensor's largest entry.
  it('logits, loss and every gradient', () => {
    const net = referenceNet();
    expectProbabilities(net.predict(x), reference.logits, 4, 1e-6);
    expect(Math.abs(net.loss(x, y) - reference.loss)).toBeLessThan(1e-6 * reference.loss);
    expectTensors(toTorchLayout(net, net.gradient(x, y)), reference.gradients);
    net.dispose();
  });

  const optimizers: Record<string, OptimizerOptions & { lr: number }> = {
    sgd: { type: 'sgd', lr: 0.1 },
    adam: { type: 'adam', lr: 1e-2 },
  };
  it.each(Object.keys(optimizers))('%s: parameters after each of 5 steps', (name) => {
    const net = referenceNet();
    expectTrainingRun(net, optimizers[name], x, y, reference.after[name], reference.steps);
    net.dispose();
  });
});

describe('a convolutional network in safetensors with PyTorch names', () => {
  it("exports exactly PyTorch's state_dict: names, order, shapes and values", () => {
    const net = referenceNet();
    const exported = decodeSafetensors(encodeTorchSafetensors(net), 'export').tensors;
    expect(exported.map((t) => [t.name, t.shape])).toEqual(state.map((t) => [t.name, t.shape]));
    exported.forEach((t, i) => expect(Array.from(t.data), t.name).toEqual(Array.from(state[i].data)));
    net.dispose();
  });

  it('imports it back into an equivalent network', () => {
    const original = referenceNet();
    const net = network(9);
    assignTorchSafetensors(net, encodeTorchSafetensors(original), 'conv.safetensors');
    expect(net.predict(x)).toEqual(original.predict(x));
    net.dispose();
    original.dispose();
  });

  it('rejects a convolution of another shape', () => {
    const net = new Network(runtime, {
      inputShape: reference.inputShape as ImageShape,
      layers: [conv2d(5, 5, { padding: 2 }), relu(), maxPool2d(2), conv2d(3, [2, 3], { stride: 2, padding: 2 }), tanh(), avgPool2d(2, 1), flatten(), dense(4)],
    });
    expect(() => assignTorchStateDict(net, state, 'm.safetensors')).toThrow(/0.weight \[5,2,3,3\] \/ 0.bias \[5\] do not fit Conv2d\(2, 5, kernel_size=\(5, 5\)\)/);
    net.dispose();
  });
});
