import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist-node.js';
import { compareGradients } from '../src/gradient-check.js';
import type { Mnist } from '../src/data/mnist.js';
import type { Runtime } from '../src/runtime.js';
import { train } from '../src/train.js';
import { TwoLayerNet } from '../src/two-layer-net.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
let mnist: Mnist;
beforeAll(async () => {
  runtime = await testRuntime();
  mnist = await loadMnist();
});

// The seed network of reference 001 at full size: all 79,510 gradient entries by central
// differences against backprop, on a batch of 100 real images, at initialization and after
// some training (where the gradients are no longer dominated by the output layer).
describe('gradient check of the full 784-100-10 network', () => {
  // The fast path differences in f64 from a shared base, so h can be small; for ReLU it must be,
  // or some of the 100×100 pre-activations sit within h·|x| of the kink and the difference
  // straddles it.
  it.each([
    ['sigmoid', 0, 1e-3],
    ['sigmoid', 300, 1e-3],
    ['relu', 300, 1e-6],
  ] as const)('%s after %i training steps, h = %s', (activation, steps, h) => {
    const net = new TwoLayerNet(runtime, { inputSize: 784, hiddenSize: 100, outputSize: 10, activation, seed: 4 });
    if (steps) train(net, { train: mnist.train }, { iterations: steps, learningRate: 0.1, seed: 4 });
    const x = mnist.test.images.subarray(0, 100 * 784);
    const t = mnist.test.labels.subarray(0, 100);
    const analytic = net.gradient(x, t);
    const numerical = net.numericalGradient(x, t, h);
    let largest = 0;
    for (const g of Object.values(analytic)) for (const v of g) largest = Math.max(largest, Math.abs(v));
    // Entries are compared relative to max(|a|, |n|, 1e-3 of the largest entry): below that, f32
    // backprop's own rounding (~1e-7 of the loss scale) dominates.
    const comparison = compareGradients(analytic, numerical, 1e-3 * largest);
    expect(comparison.globalRelativeError).toBeLessThan(1e-4);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(1e-2);
    net.dispose();
  });
});
