import { beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../src/mlp.js';
import type { Runtime } from '../src/runtime.js';
import { maxRelativeError, referenceNetwork, relativeToLargest } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

// Logits of ±1e4 to 3e4, where exp() of a logit overflows f32 (and f64) unless the softmax
// subtracts the row's maximum first. Row 0 and row 2 hold near ties (gaps of 1 and 0.5), so
// their probabilities are not just 0 and 1. Every weight, input and logit is a multiple of 0.25
// below 2^17, so f32 computes every logit exactly and the float64 reference sees the same ones.
const LOGITS_PER_INPUT = [
  [1e4, 9999, -1e4],
  [-5e3, 2e4, 3e3],
  [2.5e4, -2.5e4, 24999.5],
];
const X = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0);
const LABELS = Int32Array.of(1, 0, 2, 1);

/** Output layer weights W [3×3] = LOGITS_PER_INPUT, so that x = e_i has logits row i. */
function linearNet(): MLP {
  const net = new MLP(runtime, { sizes: [3, 3] });
  net.params.W1 = Float32Array.from(LOGITS_PER_INPUT.flat());
  net.params.b1 = new Float32Array(3);
  return net;
}

/** The same logits behind a ReLU layer: h = x + 1 > 0 (no kink), b2 = −Σ_i W2[i,:]. */
function hiddenNet(): MLP {
  const net = new MLP(runtime, { sizes: [3, 3, 3], activation: 'relu' });
  net.params.W1 = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
  net.params.b1 = Float32Array.of(1, 1, 1);
  net.params.W2 = Float32Array.from(LOGITS_PER_INPUT.flat());
  net.params.b2 = Float32Array.from([0, 1, 2], (c) => -LOGITS_PER_INPUT.reduce((s, row) => s + row[c], 0));
  return net;
}

describe.each([
  ['no hidden layer', linearNet],
  ['a ReLU hidden layer', hiddenNet],
])('logits of order 1e4, %s', (_, makeNet) => {
  const reference = (net: MLP) => referenceNetwork(net.params, net.sizes, [...net.activations], X, LABELS);

  it('predict, loss and accuracy are finite and match the float64 reference', () => {
    const net = makeNet();
    const ref = reference(net);
    expect(ref.loss).toBeGreaterThan(6000); // row 1 alone costs 2.5e4
    const probs = net.predict(X);
    expect(probs.every(Number.isFinite)).toBe(true);
    expect(maxRelativeError(probs, ref.probs, 1e-6)).toBeLessThan(1e-5);
    expect(probs[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6); // the near tie of row 0
    const evaluation = net.evaluate(X, LABELS);
    expect(Math.abs(evaluation.loss - ref.loss)).toBeLessThan(1e-6 * ref.loss);
    expect(evaluation.accuracy).toBe(0.25); // only row 3's most probable class is its label
    net.dispose();
  });

  // Behind the hidden layer the gradient is δ·W2ᵀ: terms of ~1e3 that cancel down to ~0.1 for
  // the near ties, so f32 leaves an absolute error of ~1e-4 there, tiny against the tensor's
  // largest entries (~1e4). Each tensor is compared relative to its largest entry: below 1e-6
  // (observed: 1.5e-7).
  it('the gradient is finite and matches the float64 reference, and the step stays finite', () => {
    const net = makeNet();
    const ref = reference(net);
    const grads = net.gradient(X, LABELS);
    for (const name of net.paramNames) {
      expect(grads[name].every(Number.isFinite), name).toBe(true);
      expect(relativeToLargest(grads[name], ref.grads[name]), name).toBeLessThan(1e-6);
    }
    expect(Math.abs(net.trainStep(X, LABELS, 1e-3) - ref.loss)).toBeLessThan(1e-6 * ref.loss);
    for (const name of net.paramNames) expect(net.params[name].every(Number.isFinite), name).toBe(true);
    net.dispose();
  });
});
