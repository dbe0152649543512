// assignTorchStateDict's refusals with their exact messages (each names the tensor and the
// PyTorch module it does not fit), the default source names, and toTorchLayout's layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '../src/errors.js';
import { encodeSafetensors } from '../src/io/safetensors.js';
import type { NamedTensor } from '../src/io/tensor.js';
import { batchNorm1d, batchNorm2d, conv2d, dense, flatten, relu } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { assignTorchSafetensors, assignTorchStateDict, toTorchLayout, torchStateDict } from '../src/torch.js';
import { testRuntime } from './support/runtime.js';
import { expectRefusal as expectRefusalOf } from './support/refusal.js';

let runtime: Runtime;
let mlp: Network; // Linear(4, 3) at 0, ReLU at 1, Linear(3, 2) at 2
let images: Network; // Conv2d(2, 3, kernel_size=(2, 1)) at 0, BatchNorm2d(3) at 1, Flatten, Linear(6, 2) at 3

beforeAll(async () => {
  runtime = await testRuntime();
  mlp = new Network(runtime, { input: 4, layers: [dense(3), relu(), dense(2)], seed: 1 });
  images = new Network(runtime, { inputShape: [2, 3, 1], layers: [conv2d(3, [2, 1]), batchNorm2d(), flatten(), dense(2)], seed: 2 });
});

afterAll(() => {
  mlp.dispose();
  images.dispose();
});

/** The ModelFormatError `run` throws, whose message must be exactly `message`. */
const expectRefusal = (run: () => unknown, message: string) => expectRefusalOf(run, ModelFormatError, message);

const replaced = (state: NamedTensor[], name: string, change: Partial<NamedTensor>) =>
  state.map((t) => (t.name === name ? { ...t, ...change } : t));

describe('toTorchLayout', () => {
  it("transposes a dense weight to nn.Linear's [out×in] and keeps a convolution's as it is", () => {
    const [w0, b0, w2, b2] = toTorchLayout(mlp, mlp.params);
    expect([w0.name, w0.shape, b0.name, b0.shape, w2.name, w2.shape, b2.shape]).toEqual(['0.weight', [3, 4], '0.bias', [3], '2.weight', [2, 3], [2]]);
    const W1 = mlp.params.W1; // [4 × 3]
    for (let i = 0; i < 4; i++) for (let o = 0; o < 3; o++) expect(w0.data[o * 4 + i]).toBe(W1[i * 3 + o]);
    expect(b0.data).toEqual(mlp.params.b1);
    expect(b0.data).not.toBe(mlp.params.b1); // a copy
    const [conv] = toTorchLayout(images, images.params);
    expect(conv.shape).toEqual([3, 2, 2, 1]);
    expect(conv.data).toEqual(images.params.W1);
    expect(conv.data).not.toBe(images.params.W1); // a copy
  });
});

describe('assignTorchStateDict', () => {
  it('names the missing weight or bias, "state_dict" by default', () => {
    const state = torchStateDict(mlp);
    expectRefusal(() => assignTorchStateDict(mlp, state.filter((t) => t.name !== '2.weight')), 'state_dict: no 2.weight');
    expectRefusal(() => assignTorchStateDict(mlp, state.filter((t) => t.name !== '2.bias')), 'state_dict: no 2.bias');
    expectRefusal(() => assignTorchStateDict(mlp, state.filter((t) => t.name !== '0.bias'), 'mlp.pt'), 'mlp.pt: no 0.bias');
  });

  it('names a weight or bias of the wrong shape and the module it does not fit', () => {
    const state = torchStateDict(mlp);
    expectRefusal(() => assignTorchStateDict(mlp, replaced(state, '0.weight', { shape: [4, 3] })),
      'state_dict: 0.weight [4,3] / 0.bias [3] do not fit Linear(4, 3)');
    expectRefusal(() => assignTorchStateDict(mlp, replaced(state, '2.bias', { shape: [3], data: new Float32Array(3) })),
      'state_dict: 2.weight [2,3] / 2.bias [3] do not fit Linear(3, 2)');
    expectRefusal(() => assignTorchStateDict(mlp, replaced(state, '2.bias', { shape: [1, 2] })),
      'state_dict: 2.weight [2,3] / 2.bias [1,2] do not fit Linear(3, 2)');
    const imageState = torchStateDict(images);
    expectRefusal(() => assignTorchStateDict(images, replaced(imageState, '1.weight', { shape: [2], data: new Float32Array(2) })),
      'state_dict: 1.weight [2] / 1.bias [3] do not fit BatchNorm2d(3)');
    expectRefusal(() => assignTorchStateDict(images, replaced(imageState, '0.weight', { shape: [3, 2, 1, 2] })),
      'state_dict: 0.weight [3,2,1,2] / 0.bias [3] do not fit Conv2d(2, 3, kernel_size=(2, 1))');
  });

  it('compares whole shapes, not their digits: a bias [2,3] does not fit 23 outputs, nor a running mean [1,2] 12 channels', () => {
    const wide = new Network(runtime, { input: 2, layers: [dense(12), batchNorm1d(), dense(23)], seed: 3 });
    const state = torchStateDict(wide);
    expectRefusal(() => assignTorchStateDict(wide, replaced(state, '2.bias', { shape: [2, 3], data: new Float32Array(6) })),
      'state_dict: 2.weight [23,12] / 2.bias [2,3] do not fit Linear(12, 23)');
    expectRefusal(() => assignTorchStateDict(wide, replaced(state, '1.running_mean', { shape: [1, 2] })),
      'state_dict: 1.running_mean has shape [1,2], BatchNorm1d(12) needs [12]');
    wide.dispose();
  });

  it('refuses integer weights or biases', () => {
    const state = torchStateDict(mlp);
    expectRefusal(() => assignTorchStateDict(mlp, replaced(state, '2.weight', { data: new BigInt64Array(6) })), 'state_dict: 2.weight and 2.bias must be F32');
    expectRefusal(() => assignTorchStateDict(mlp, replaced(state, '2.bias', { data: new BigInt64Array(2) })), 'state_dict: 2.weight and 2.bias must be F32');
  });

  it("names a running statistic of the wrong shape, and what the module needs", () => {
    const state = torchStateDict(images);
    expectRefusal(() => assignTorchStateDict(images, replaced(state, '1.running_var', { shape: [2], data: new Float32Array(2) })),
      'state_dict: 1.running_var has shape [2], BatchNorm2d(3) needs [3]');
    expectRefusal(() => assignTorchStateDict(images, state.filter((t) => t.name !== '1.num_batches_tracked')),
      'state_dict: no 1.num_batches_tracked (BatchNorm2d(3) keeps its running statistics)');
  });

  it('lists every tensor the network does not have', () => {
    const state = torchStateDict(mlp);
    const extra = (name: string): NamedTensor => ({ name, shape: [1], data: new Float32Array(1) });
    expectRefusal(() => assignTorchStateDict(mlp, [...state, extra('4.weight'), extra('4.bias')]),
      'state_dict: tensors the network does not have: 4.weight, 4.bias');
    // The batchnorm module's buffers are expected, not extra.
    expect(() => assignTorchStateDict(images, torchStateDict(images))).not.toThrow();
  });

  it('reads a safetensors file, named "safetensors file" by default', () => {
    const state = torchStateDict(mlp).filter((t) => t.name !== '0.weight');
    expectRefusal(() => assignTorchSafetensors(mlp, encodeSafetensors(state, { format: 'pt' })), 'safetensors file: no 0.weight');
    expectRefusal(() => assignTorchSafetensors(mlp, encodeSafetensors(state, { format: 'pt' }), 'm.safetensors'), 'm.safetensors: no 0.weight');
  });
});
