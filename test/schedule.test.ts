import { beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../src/mlp.js';
import type { Runtime } from '../src/runtime.js';
import { train, type Schedule, type TrainOptions } from '../src/train.js';
import { referenceNetwork } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const SIZES = [3, 4, 2];
const X = Float32Array.of(0.5, -1, 0.25);
const LABEL = 1;

/**
 * The learning rate each step of train() used, read off the parameters: the training set is one
 * row, so every batch is that row and plain SGD moves the parameters by −lr·g, with g the
 * gradient at the parameters before the step. g comes from the float64 reference network, so
 * the rate is the least-squares fit −Σ Δ·g / Σ g² over all parameters.
 */
function ratesUsed(options: TrainOptions): number[] {
  const net = new MLP(runtime, { sizes: SIZES, activation: 'tanh', weightInitStd: 0.5, seed: 1 });
  const snapshot = () => Object.fromEntries(net.paramNames.map((name) => [name, net.params[name].slice()]));
  let before = snapshot();
  const rates: number[] = [];
  train(net, { train: { images: X, labels: Uint8Array.of(LABEL) } }, {
    ...options, evaluateTrain: false,
    onStep: () => {
      const after = snapshot();
      const { grads } = referenceNetwork(before, SIZES, [...net.activations], X, Int32Array.of(LABEL));
      let dot = 0;
      let norm = 0;
      for (const name of net.paramNames) {
        for (let i = 0; i < grads[name].length; i++) {
          dot += (after[name][i] - before[name][i]) * grads[name][i];
          norm += grads[name][i] ** 2;
        }
      }
      rates.push(-dot / norm);

      before = after;
    },
  });
  net.dispose();
  return rates;
}

// The schedules of torch.optim.lr_scheduler, stepped once per training step: ConstantLR's
// constant, CosineAnnealingLR with T_max = the run's steps and eta_min = 0, StepLR.
const expectedRate = (schedule: Schedule, lr: number, step: number, steps: number): number =>
  schedule === 'constant' ? lr
    : schedule === 'cosine' ? (lr * (1 + Math.cos((Math.PI * step) / steps))) / 2
      : lr * schedule.gamma ** Math.floor(step / schedule.stepEvery);

describe('learning-rate schedules through train()', () => {
  // f32 parameters make each Δ exact only to ~3e-8 of |p| ≈ 0.5, against updates down to ~1e-3
  // (the end of the cosine); the fitted rate must match the formula to 1e-3 relative
  // (observed: at most 3.1e-5).
  const TOLERANCE = 1e-3;

  it.each([
    ['constant', 'constant', { iterations: 12, batchSize: 4 }],
    ['cosine, with replacement', 'cosine', { iterations: 12, batchSize: 4 }],
    ['cosine over shuffled epochs', 'cosine', { sampling: 'shuffled-epochs', epochs: 10, batchSize: 4 }],
    ['step: ×0.5 every 3 steps', { stepEvery: 3, gamma: 0.5 }, { iterations: 12, batchSize: 4 }],
    ['step: ×1.5 every 5 steps', { stepEvery: 5, gamma: 1.5 }, { iterations: 12, batchSize: 2 }],
  ] as [string, Schedule, TrainOptions][])('%s: every step at its rate', (_, schedule, options) => {
    const lr = 0.5;
    const rates = ratesUsed({ ...options, schedule, learningRate: lr });
    const steps = options.iterations ?? options.epochs!;
    expect(rates).toHaveLength(steps);
    rates.forEach((rate, step) => {
      const expected = expectedRate(schedule, lr, step, steps);
      expect(Math.abs(rate / expected - 1), `step ${step}: ${rate}, expected ${expected}`).toBeLessThan(TOLERANCE);
    });
  });
});
