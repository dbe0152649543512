import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { MLP } from '../src/mlp.js';
import { OptimizerRecord, resolveOptimizer, type OptimizerOptions } from '../src/optimizer.js';
import type { Runtime } from '../src/runtime.js';
import { ReferenceOptimizer } from './support/optimizer-reference.js';
import { randomArray, randomLabels } from './support/reference.js';
import { getF32, put, testRuntime } from './support/runtime.js';

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
  ['RMSprop', { type: 'rmsprop' }, 0.01],
  ['RMSprop, alpha, momentum and weight decay', { type: 'rmsprop', alpha: 0.9, momentum: 0.8, weightDecay: 0.05 }, 0.01],
  // An eps as large as the gradients' root mean square, so that its sign and place matter.
  ['RMSprop, a large eps', { type: 'rmsprop', eps: 0.1 }, 0.01],
  ['Adagrad', { type: 'adagrad' }, 0.05],
  ['Adagrad, lr decay, initial accumulator, weight decay and a large eps', { type: 'adagrad', lrDecay: 0.3, initialAccumulatorValue: 0.1, weightDecay: 0.05, eps: 0.1 }, 0.05],
  // Gradient clipping (clip_grad_norm_) that binds at every step, and one that never does.
  ['SGD with momentum, clipped to norm 0.05', { type: 'sgd', momentum: 0.9, maxGradNorm: 0.05 }, 0.1],
  ['Adam, clipped to norm 0.05', { type: 'adam', maxGradNorm: 0.05 }, 0.01],
  ['SGD, a clipping norm of 1000 that never binds', { type: 'sgd', maxGradNorm: 1000 }, 0.1],
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

describe('gradient clipping', () => {
  // A gradient of norm 1e-5 clipped to 5e-6: the coefficient 5e-6 / (1e-5 + 1e-6) is 10% from
  // what it would be without clip_grad_norm_'s 1e-6 or with it subtracted. From parameters of 0,
  // the update is −lr·g·coefficient, rounded only in f32.
  it('scales by max / (norm + 1e-6), as clip_grad_norm_, for a tiny gradient too', () => {
    const { kernels } = runtime;
    const count = 7;
    const grads = Float32Array.from(randomArray(count, 21), (v) => v * 1e-5);
    const norm = Math.hypot(...grads);
    const gradsAt = put(runtime, grads);
    const paramsAt = put(runtime, new Float32Array(count));
    const record = new OptimizerRecord(runtime, resolveOptimizer({ type: 'sgd', maxGradNorm: norm / 2 }), count);
    kernels.exports.optimizerStep(record.offset, paramsAt, gradsAt, count, 1);
    const coefficient = norm / 2 / (norm + 1e-6);
    const params = getF32(runtime, paramsAt, count);
    for (let i = 0; i < count; i++) expect(Math.abs(params[i] + grads[i] * coefficient)).toBeLessThanOrEqual(1e-6 * Math.abs(grads[i]));
    record.release();
  });
});

describe('optimizer state', () => {
  it('SGD and RMSprop without momentum keep no momentum buffer (it stays zero), with or without decay', () => {
    for (const options of [{ type: 'sgd' }, { type: 'sgd', weightDecay: 0.05 }, { type: 'rmsprop', weightDecay: 0.05 }] as const) {
      const net = new MLP(runtime, { sizes: SIZES, activation: 'tanh', weightInitStd: 0.5, seed: 3 });
      net.useOptimizer(options);
      for (let step = 0; step < 3; step++) net.trainStep(randomArray(ROWS * SIZES[0], 11), randomLabels(ROWS, SIZES[3], 12), 0.1);
      const { state, step } = net.optimizerState()!;
      expect(step).toBe(3);
      // SGD's one buffer is its momentum; RMSprop's second (its first is the square average).
      const momentum = state[options.type === 'sgd' ? 0 : 1];
      expect(state.length).toBe(options.type === 'sgd' ? 1 : 2);
      expect(momentum.every((v) => v === 0), JSON.stringify(options)).toBe(true);
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
