// Leaky ReLU (negative slope 0.01, nn.LeakyReLU's default): kernels against a TypeScript
// reference on awkward counts, and a network using it against the numerical gradient.
import { beforeAll, describe, expect, it } from 'vitest';
import { compareGradients } from '../src/gradient-check.js';
import { dense, leakyRelu } from '../src/layers.js';
import { Network } from '../src/network.js';
import type { Runtime } from '../src/runtime.js';
import { randomArray, randomLabels } from './support/reference.js';
import { getF32, put, testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const slope = Math.fround(0.01);

describe('leaky relu kernels', () => {
  it.each([1, 3, 4, 17, 100, 784])('forward and backward, %i values', (count) => {
    const { exports } = runtime.kernels;
    const x = randomArray(count, count + 41);
    if (count > 3) x.set([0, -0, -1e-30]);
    // The last count % 4 values go through the scalar tail: give it the kink too.
    if (count % 4 !== 0) x[count - 1] = 0;
    const xAt = put(runtime, x);
    const yAt = runtime.arena.alloc(count * 4);
    exports.leakyReluForward(yAt, xAt, count);
    const h = getF32(runtime, yAt, count);
    for (let i = 0; i < count; i++) expect(h[i]).toBe(x[i] > 0 ? x[i] : Math.fround(x[i] * slope));
    const g = randomArray(count, count + 42);
    const gAt = put(runtime, g);
    const dxAt = runtime.arena.alloc(count * 4);
    exports.leakyReluBackward(dxAt, gAt, yAt, count);
    const dx = getF32(runtime, dxAt, count);
    for (let i = 0; i < count; i++) expect(dx[i]).toBe(x[i] > 0 ? g[i] : Math.fround(g[i] * slope));
  });
});

describe('a leaky-relu network', () => {
  it('backprop matches the numerical gradient (away from the kink)', () => {
    const net = new Network(runtime, { input: 5, layers: [dense(7), leakyRelu(), dense(3)], weightInitStd: 1, seed: 3 });
    const x = randomArray(6 * 5, 9);
    const labels = randomLabels(6, 3, 10);
    // See network.test.ts for these tolerances; h = 1e-3 steps across no kink of this batch.
    const comparison = compareGradients(net.gradient(x, labels), net.numericalGradient(x, labels, 1e-3), 1e-3);
    expect(comparison.maxRelativeError, JSON.stringify(comparison.worst)).toBeLessThan(2e-2);
    net.dispose();
  });
});
