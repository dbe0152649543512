// The comparisons every PyTorch parity test makes against its fixture (test/fixtures, written by
// scripts/make-reference.py). Both sides compute in f32 with different summation orders, so they
// agree to rounding, not bit for bit.
import { expect } from 'vitest';
import type { NamedTensor } from '../../src/io/tensor.js';
import type { Targets } from '../../src/inputs.js';
import type { Network } from '../../src/network.js';
import type { OptimizerOptions } from '../../src/optimizer.js';
import { torchStateDict } from '../../src/torch.js';
import { relativeToLargest } from './reference.js';

/** A fixture's tensor: its values, or a state_dict entry { shape, values }. */
type FixtureTensor = number[] | { values: number[] };

/**
 * Tensors against the fixture's { name: tensor }: the same names in the same order, and each
 * tensor to `tolerance` of its largest entry (num_batches_tracked compared as a number).
 */
export function expectTensors(tensors: NamedTensor[], expected: Record<string, FixtureTensor>, tolerance = 1e-5): void {
  expect(tensors.map((t) => t.name)).toEqual(Object.keys(expected));
  for (const t of tensors) {
    const want = expected[t.name];
    const got = Array.from(t.data as ArrayLike<number | bigint>, Number);
    expect(relativeToLargest(got, Array.isArray(want) ? want : want.values), t.name).toBeLessThan(tolerance);
  }
}

/**
 * `steps` training steps on one batch under the optimizer, each step's loss to 1e-5 of the
 * fixture's, then the state_dict against the fixture's (expectTensors).
 */
export function expectTrainingRun(
  net: Network, optimizer: OptimizerOptions & { lr: number }, x: Float32Array, y: Targets,
  expected: { losses: number[]; state: Record<string, FixtureTensor> }, steps: number,
): void {
  const { lr, ...options } = optimizer;
  net.useOptimizer(options);
  for (let step = 0; step < steps; step++) {
    const loss = net.trainStep(x, y, lr);
    expect(Math.abs(loss - expected.losses[step]), `loss of step ${step}`).toBeLessThan(1e-5 * expected.losses[step]);
  }
  expectTensors(torchStateDict(net), expected.state);
}

/**
 * predict's probabilities against the softmax of the fixture's logits, each to `tolerance`.
 * (Softmax is monotonic per row, so the logits' logs differ from PyTorch's by a per-row
 * constant: the probabilities themselves are what both sides must agree on.)
 */
export function expectProbabilities(got: Float32Array, logits: number[], classes: number, tolerance: number): void {
  expect(got.length).toBe(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    const row = logits.slice(r * classes, (r + 1) * classes);
    const top = Math.max(...row);
    const sum = row.reduce((s, z) => s + Math.exp(z - top), 0);
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      expect(Math.abs(got[i] - Math.exp(row[c] - top) / sum), `probability ${i}`).toBeLessThan(tolerance);
    }
  }
}
