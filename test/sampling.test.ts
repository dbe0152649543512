import { beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../src/mlp.js';
import type { Runtime } from '../src/runtime.js';
import { train, type TrainOptions } from '../src/train.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const LEARNING_RATE = 0.1;

/**
 * Trains a network with no hidden layer on `count` rows whose inputs are the unit vectors e_i,
 * all labelled 0 of 2 classes, and returns how many times each step trained on each row.
 *
 * Why this reads the batches off the parameters: with x = e_i, row i of W1 receives the
 * gradient only from the batch rows that are row i, each contributing (p_i − t)/B with
 * p_i = softmax(W1[i,:] + b1) before the step. So plain SGD moves W1[i][0] by exactly
 * lr · k · (1 − p_i0) / B when row i was drawn k times of the B rows of the step (given by
 * `rowsOfStep`), and not at all when it was not drawn.
 * This observes what the training step actually used, not just which indices were written.
 */
function rowsTrainedOn(count: number, options: TrainOptions, rowsOfStep: (step: number) => number): number[][] {
  const net = new MLP(runtime, { sizes: [count, 2], seed: 1 });
  const images = new Float32Array(count * count);
  for (let i = 0; i < count; i++) images[i * count + i] = 1;
  const labels = new Uint8Array(count);
  const steps: number[][] = [];
  let W = net.params.W1.slice();
  let b = net.params.b1.slice();
  train(net, { train: { images, labels } }, {
    ...options, learningRate: LEARNING_RATE, evaluateTrain: false,
    onStep: () => {
      const moved = net.params.W1;
      const shares: number[] = [];
      for (let i = 0; i < count; i++) {
        const [z0, z1] = [W[2 * i] + b[0], W[2 * i + 1] + b[1]];
        const p0 = 1 / (1 + Math.exp(z1 - z0));
        shares.push((moved[2 * i] - W[2 * i]) / (LEARNING_RATE * (1 - p0))); // k / B
      }
      const rows = rowsOfStep(steps.length);
      const draws = shares.map((share, i) => {
        const k = share * rows;
        // f32 rounding leaves k within 1e-4 of an integer (measured: 8e-5); anything else
        // means the step trained on another number of rows than B, or the decoding is wrong,
        // which must fail loudly rather than count garbage.
        expect(Math.abs(k - Math.round(k)), `step ${steps.length}, row ${i}: ${k} draws`).toBeLessThan(0.01);
        return Math.round(k);
      });
      steps.push(draws);
      W = moved.slice();
      b = net.params.b1.slice();
    },
  });
  net.dispose();
  return steps;
}

const sum = (values: number[]) => values.reduce((a, v) => a + v, 0);

describe('with-replacement sampling', () => {
  // 625 steps of 16 rows out of 40: 10000 draws, 250 expected per row. For independent uniform
  // draws the statistic Σ (observed − 250)² / 250 follows a chi-square law with 39 degrees of
  // freedom (every expected count is far above 5); 16.27 and 74.73 are its 0.05% and 99.95%
  // quantiles, so a correct sampler lands outside them for a given seed with probability 0.1%.
  // The seed is fixed, so the test is deterministic (measured: 57.1 for seed 5, every row drawn
  // 206 to 286 times). A sampler that never draws one row scores at least 250; a round-robin
  // one, 0.
  const ROWS = 40;
  const BATCH = 16;
  const STEPS = 625;
  const CHI_SQUARE_BOUNDS = [16.27, 74.73];

  it('draws every row, uniformly, with repeats inside a batch', () => {
    const steps = rowsTrainedOn(ROWS, { batchSize: BATCH, iterations: STEPS, seed: 5 }, () => BATCH);
    expect(steps).toHaveLength(STEPS);
    const totals = Array.from({ length: ROWS }, (_, i) => sum(steps.map((draws) => draws[i])));
    expect(Math.min(...totals), `draws per row: ${totals}`).toBeGreaterThan(0);
    const expected = (BATCH * STEPS) / ROWS;
    const chiSquare = sum(totals.map((observed) => (observed - expected) ** 2 / expected));
    expect(chiSquare, `draws per row: ${totals}`).toBeGreaterThan(CHI_SQUARE_BOUNDS[0]);
    expect(chiSquare, `draws per row: ${totals}`).toBeLessThan(CHI_SQUARE_BOUNDS[1]);
    // With replacement: 16 draws from 40 repeat a row with probability 1 − 40!/(24!·40¹⁶) ≈ 0.97.
    expect(steps.filter((draws) => Math.max(...draws) > 1).length).toBeGreaterThan(STEPS / 2);
  });
});

describe('shuffled-epoch sampling', () => {
  const ROWS = 23;
  const BATCH = 5;

  it('trains on a permutation of all rows every epoch, a fresh one each epoch', () => {
    const steps = rowsTrainedOn(ROWS, { sampling: 'shuffled-epochs', batchSize: BATCH, epochs: 4, seed: 2 }, (step) => (step % 5 === 4 ? 3 : 5));
    const perEpoch = Math.ceil(ROWS / BATCH);
    expect(steps).toHaveLength(4 * perEpoch);
    const epochs = Array.from({ length: 4 }, (_, e) => steps.slice(e * perEpoch, (e + 1) * perEpoch));
    for (const epoch of epochs) {
      for (const draws of epoch) expect(Math.max(...draws)).toBe(1);
      const totals = Array.from({ length: ROWS }, (_, i) => sum(epoch.map((draws) => draws[i])));
      expect(totals).toEqual(new Array(ROWS).fill(1));
    }
    // Which rows make up each batch: a fresh shuffle per epoch makes every epoch differ.
    const batches = epochs.map((epoch) => JSON.stringify(epoch));
    expect(new Set(batches).size).toBe(4);
    const inOrder = Array.from({ length: perEpoch }, (_, s) => Array.from({ length: ROWS }, (_, i) => (Math.floor(i / BATCH) === s ? 1 : 0)));
    expect(batches).not.toContain(JSON.stringify(inOrder));
  });

  it('with dropLast trains on distinct rows, the remainder left out', () => {
    const steps = rowsTrainedOn(ROWS, { sampling: 'shuffled-epochs', batchSize: BATCH, epochs: 3, dropLast: true, seed: 2 }, () => BATCH);
    expect(steps).toHaveLength(3 * 4);
    for (let e = 0; e < 3; e++) {
      const epoch = steps.slice(e * 4, (e + 1) * 4);
      const totals = Array.from({ length: ROWS }, (_, i) => sum(epoch.map((draws) => draws[i])));
      expect(Math.max(...totals)).toBe(1);
      expect(sum(totals)).toBe(20);
    }
  });
});
