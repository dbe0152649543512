import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import { resolveOptimizer, type OptimizerOptions } from '../src/optimizer.js';
import type { Runtime } from '../src/runtime.js';
import { ReferenceOptimizer } from './support/optimizer-reference.js';
import { randomArray, randomLabels } from './support/reference.js';
import { testRuntime } from './support/runtime.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

const SIZES = [6, 5, 4, 3];
const ROWS = 8;
const STEPS = 6;

const flatten = (net: MLP, tensors: Record<string, ArrayLike<number>>) =>
  Float64Array.from(net.paramNames.flatMap((name) => Array.from(tensors[name])));

// Every optimizer × option combination. Weight decays are large (0.05–0.5 against weights of
// ~0.5 and gradients of ~0.1) so that the decay term is a sizeable part of every update: adding
// it twice, or dropping it, moves the parameters far beyond rounding.
const CASES: [string, OptimizerOptions, number][] = [
  ['SGD', { type: 'sgd' }, 0.1],
  ['SGD, weight decay (momentum 0)', { type: 'sgd', weightDecay: 0.05 }, 0.1],
  ['SGD, momentum', { type: 'sgd', momentum: 0.9 }, 0.1],
  ['SGD, momentum and weight decay', { type: 'sgd', momentum: 0.8, weightDecay: 0.05 }, 0.1],
  ['SGD, Nesterov', { type: 'sgd', momentum: 0.9, nesterov: true }, 0.05],
  ['SGD, Nesterov and weight decay', { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.05 }, 0.05],
  ['Adam', { type: 'adam' }, 0.01],
  ['Adam, betas and eps', { type: 'adam', betas: [0.8, 0.95], eps: 1e-3 }, 0.01],
  ['Adam, L2 weight decay', { type: 'adam', weightDecay: 0.5 }, 0.01],
  ['AdamW, default decay 0.01', { type: 'adamw' }, 0.01],
  ['AdamW, decoupled weight decay', { type: 'adamw', weightDecay: 0.5, betas: [0.85, 0.99] }, 0.05],
  ['AdamW, no decay (= Adam)', { type: 'adamw', weightDecay: 0 }, 0.01],
];

describe('optimizers against a float64 reference of torch.optim', () => {
  // Each step starts the reference from the network's own (f32) parameters, with the gradient
  // backprop gives there (gradient() equals the fused step's gradient: network.test.ts), and
  // keeps its own float64 optimizer state. The wasm update runs in f32, so its result differs
  // from the reference by rounding: of the parameters (ulp/2 ≈ 3e-8 of ~0.5), of the
  // gradient, and of the f32 state. Compared relative to the step's largest update, the
  // difference must stay below 1e-4 (observed: at most 1.3e-5, Adam).
  const TOLERANCE = 1e-4;

  it.each(CASES)('%s: %o at lr %s, six steps', (_, options, lr) => {
    const net = new MLP(runtime, { sizes: SIZES, activation: ['tanh', 'relu'], weightInitStd: 0.5, seed: 3 });
    const x = randomArray(ROWS * SIZES[0], 11);
    const labels = randomLabels(ROWS, SIZES[3], 12);
    net.useOptimizer(options);
    const reference = new ReferenceOptimizer(resolveOptimizer(options), net.parameterCount);
    for (let step = 0; step < STEPS; step++) {
      const before = flatten(net, net.params);
      const expected = before.slice();
      reference.update(expected, flatten(net, net.gradient(x, labels)), lr);
      net.trainStep(x, labels, lr);
      const actual = flatten(net, net.params);
      let largestUpdate = 0;
      let worst = 0;
      for (let i = 0; i < actual.length; i++) {
        largestUpdate = Math.max(largestUpdate, Math.abs(expected[i] - before[i]));
        worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      }
      expect(largestUpdate, `step ${step} moves the parameters`).toBeGreaterThan(1e-4);
      expect(worst / largestUpdate, `step ${step}`).toBeLessThan(TOLERANCE);
    }
    expect(net.optimizerState()!.step).toBe(STEPS);
    net.dispose();
  });
});

describe('optimizer state', () => {
  it('SGD without momentum keeps no momentum buffer (it stays zero), with or without decay', () => {
    for (const options of [{ type: 'sgd' }, { type: 'sgd', weightDecay: 0.05 }] as const) {
      const net = new MLP(runtime, { sizes: SIZES, activation: 'tanh', weightInitStd: 0.5, seed: 3 });
      net.useOptimizer(options);
      for (let step = 0; step < 3; step++) net.trainStep(randomArray(ROWS * SIZES[0], 11), randomLabels(ROWS, SIZES[3], 12), 0.1);
      const { state, step } = net.optimizerState()!;
      expect(step).toBe(3);
      expect(state.every((buffer) => buffer.every((v) => v === 0)), JSON.stringify(options)).toBe(true);
      net.dispose();
    }
  });
});

describe('resolveOptimizer', () => {
  it("fills in torch.optim's defaults", () => {
    const base = { momentum: 0, nesterov: false, betas: [0.9, 0.999], eps: 1e-8, alpha: 0.99, lrDecay: 0, initialAccumulatorValue: 0, maxGradNorm: 0 };
    expect(resolveOptimizer({ type: 'sgd' })).toEqual({ ...base, type: 'sgd', weightDecay: 0 });
    expect(resolveOptimizer({ type: 'adam' })).toEqual({ ...base, type: 'adam', weightDecay: 0 });
    expect(resolveOptimizer({ type: 'adamw' })).toEqual({ ...base, type: 'adamw', weightDecay: 0.01 });
    expect(resolveOptimizer({ type: 'sgd', momentum: 0.5, nesterov: true, weightDecay: 0.1 }))
      .toEqual({ ...base, type: 'sgd', momentum: 0.5, nesterov: true, weightDecay: 0.1 });
    expect(resolveOptimizer({ type: 'adamw', betas: [0.5, 0.6], eps: 1e-3, weightDecay: 0 }))
      .toEqual({ ...base, type: 'adamw', betas: [0.5, 0.6], eps: 1e-3, weightDecay: 0 });
    expect(resolveOptimizer({ type: 'rmsprop' })).toEqual({ ...base, type: 'rmsprop', weightDecay: 0 });
    expect(resolveOptimizer({ type: 'adagrad' })).toEqual({ ...base, type: 'adagrad', weightDecay: 0, eps: 1e-10 });
  });

  it('ignores the options of the other family', () => {
    expect(resolveOptimizer({ type: 'adam', momentum: 0.9, nesterov: true } as never)).toMatchObject({ momentum: 0, nesterov: false });
    expect(resolveOptimizer({ type: 'sgd', betas: [0.1, 0.2], eps: 1 } as never)).toMatchObject({ betas: [0.9, 0.999], eps: 1e-8 });
  });

  it('accepts the edges of every range', () => {
    expect(() => resolveOptimizer({ type: 'sgd', momentum: 0.999, weightDecay: 0 })).not.toThrow();
    expect(() => resolveOptimizer({ type: 'adam', betas: [0, 0], eps: Number.MIN_VALUE })).not.toThrow();
  });

  it.each([
    [{ type: 'sgd', momentum: 1 }, /momentum is 1: out of range for sgd/],
    [{ type: 'sgd', momentum: -0.1 }, /momentum is -0.1/],
    [{ type: 'sgd', momentum: NaN }, /momentum is NaN/],
    [{ type: 'sgd', weightDecay: -1e-9 }, /weightDecay is -1e-9: out of range for sgd/],
    [{ type: 'adam', weightDecay: Infinity }, /weightDecay is Infinity: out of range for adam/],
    [{ type: 'adam', betas: [1, 0.999] }, /betas\[0\] is 1: out of range for adam/],
    [{ type: 'adam', betas: [-0.5, 0.999] }, /betas\[0\] is -0.5/],
    [{ type: 'adamw', betas: [0.9, 1] }, /betas\[1\] is 1: out of range for adamw/],
    [{ type: 'adamw', betas: [0.9, -1] }, /betas\[1\] is -1/],
    [{ type: 'adam', eps: 0 }, /eps is 0: out of range for adam/],
    [{ type: 'adam', eps: -1 }, /eps is -1/],
    [{ type: 'sgd', nesterov: true }, /nesterov momentum needs momentum > 0/],
    [{ type: 'lion' }, /unknown optimizer 'lion': expected sgd, adam, adamw, rmsprop, adagrad/],
    [undefined, /unknown optimizer 'undefined'/],
  ])('rejects %o', (options, message) => {
    expect(() => resolveOptimizer(options as never)).toThrow(ValueError);
    expect(() => resolveOptimizer(options as never)).toThrow(message);
  });
});
